"""announcements: buttons under the bot's own notices

Revision ID: 0995
Revises: 0200
Create Date: 2026-12-04 16:40:00

A training's invitations (vote now, evaluate) go through the outbox so that the sender
paces them for a room of two thousand; they need their buttons, per language.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0995"
down_revision: str | None = "0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buttons", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_column("buttons")
