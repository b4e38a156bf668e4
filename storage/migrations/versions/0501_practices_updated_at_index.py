"""index practices by their last change

Revision ID: 0501
Revises: 0002
Create Date: 2026-12-03 10:00:00

The library's look for practices other processes changed runs every few seconds and reads
only the recently changed ones.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0501"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practices_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practices_updated_at"))
