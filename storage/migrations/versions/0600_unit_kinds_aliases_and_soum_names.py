"""unit kinds, aliases and soum names

Revision ID: 0600
Revises: 0001
Create Date: 2026-12-03 09:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0600"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("units",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=10), server_default="district", nullable=False)
        )
        batch_op.add_column(sa.Column("aliases", sa.JSON(), server_default="[]", nullable=False))
    with op.batch_alter_table("khoroos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_mn", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("name_en", sa.String(length=100), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("khoroos", schema=None) as batch_op:
        batch_op.drop_column("name_en")
        batch_op.drop_column("name_mn")
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.drop_column("aliases")
        batch_op.drop_column("kind")
