"""when each reviewer was last reminded of overdue practices

Revision ID: 0960
Revises: 0001
Create Date: 2026-12-03 11:10:00

Reviewers are reminded of practices waiting longer than REVIEW_REMIND_DAYS at most once a
day; the last time is kept here so a restart or a second process does not remind again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0960"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("queues",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "review_reminders",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("reminded_at", storage.models.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_review_reminders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_review_reminders")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("review_reminders")
