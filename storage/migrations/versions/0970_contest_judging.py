"""contest judging: rounds, rubric criteria, juries, entries, scores and the hash-chained log

Revision ID: 0970
Revises: 0002
Create Date: 2026-12-03 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0970"
# Its tables refer to users and districts (0001) and practices (0002) only.
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("contest_judging",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "contest_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_mn", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description_mn", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("scale_min", sa.Integer(), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_criteria")),
        sa.UniqueConstraint("year", "code", name=op.f("uq_contest_criteria_year")),
    )
    op.create_table(
        "contest_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("top_n", sa.Integer(), nullable=False),
        sa.Column("peer_share", sa.Integer(), nullable=False),
        sa.Column("normalise", sa.Boolean(), nullable=False),
        sa.Column("opened_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_contest_rounds_district_id_districts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_rounds")),
    )
    with op.batch_alter_table("contest_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contest_rounds_year"), ["year"], unique=False)

    op.create_table(
        "contest_jurors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("granted_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["contest_rounds.id"],
            name=op.f("fk_contest_jurors_round_id_contest_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_contest_jurors_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_jurors")),
        sa.UniqueConstraint("round_id", "user_id", name=op.f("uq_contest_jurors_round_id")),
    )
    with op.batch_alter_table("contest_jurors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contest_jurors_user_id"), ["user_id"], unique=False)

    op.create_table(
        "contest_score_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("juror_id", sa.BigInteger(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["contest_rounds.id"],
            name=op.f("fk_contest_score_log_round_id_contest_rounds"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_score_log")),
        sa.UniqueConstraint("round_id", "seq", name=op.f("uq_contest_score_log_round_id")),
    )
    op.create_table(
        "contest_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("advanced_from", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["advanced_from"],
            ["contest_rounds.id"],
            name=op.f("fk_contest_entries_advanced_from_contest_rounds"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_contest_entries_practice_id_practices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["contest_rounds.id"],
            name=op.f("fk_contest_entries_round_id_contest_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_entries")),
        sa.UniqueConstraint("round_id", "practice_id", name=op.f("uq_contest_entries_round_id")),
    )
    with op.batch_alter_table("contest_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contest_entries_practice_id"), ["practice_id"], unique=False
        )

    op.create_table(
        "contest_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("juror_id", sa.BigInteger(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("updated_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["juror_id"],
            ["users.id"],
            name=op.f("fk_contest_scores_juror_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_contest_scores_practice_id_practices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["contest_rounds.id"],
            name=op.f("fk_contest_scores_round_id_contest_rounds"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_scores")),
        sa.UniqueConstraint(
            "round_id",
            "juror_id",
            "practice_id",
            "criterion",
            name=op.f("uq_contest_scores_round_id"),
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("contest_scores")
    with op.batch_alter_table("contest_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contest_entries_practice_id"))

    op.drop_table("contest_entries")
    op.drop_table("contest_score_log")
    with op.batch_alter_table("contest_jurors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contest_jurors_user_id"))

    op.drop_table("contest_jurors")
    with op.batch_alter_table("contest_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contest_rounds_year"))

    op.drop_table("contest_rounds")
    op.drop_table("contest_criteria")
