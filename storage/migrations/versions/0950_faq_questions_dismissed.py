"""faq questions a trainer dismissed

Revision ID: 0950
Revises: 0300
Create Date: 2026-12-03 11:05:00.000000

Trainers hide a question from /questions (small talk, off topic) instead of answering it; the
row stays, with who dismissed it and when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0950"
down_revision: str | tuple[str, ...] | None = "0300"
branch_labels: str | Sequence[str] | None = ("freetext",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("faq_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dismissed_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("dismissed_at", storage.models.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("faq_questions", schema=None) as batch_op:
        batch_op.drop_column("dismissed_at")
        batch_op.drop_column("dismissed_by")
