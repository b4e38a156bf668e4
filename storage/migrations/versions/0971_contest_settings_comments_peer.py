"""contest judging: settings per year and level, juror comments, khoroos' peer rankings

Revision ID: 0971_contest
Revises: 0970
Create Date: 2026-12-03 13:45:00.000000

The score log gains a kind ("score", "comment", "peer") and a ranking's data, so comments
and rankings are chained with the marks.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0971_contest"
down_revision: str | None = "0970"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("contest_score_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=10), server_default="score", nullable=False)
        )
        batch_op.add_column(sa.Column("data", sa.Text(), nullable=True))

    op.create_table(
        "contest_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("top_n", sa.Integer(), nullable=False),
        sa.Column("peer_share", sa.Integer(), nullable=False),
        sa.Column("normalise", sa.Boolean(), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_settings")),
        sa.UniqueConstraint("year", "level", name=op.f("uq_contest_settings_year")),
    )
    op.create_table(
        "contest_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("juror_id", sa.BigInteger(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["juror_id"],
            ["users.id"],
            name=op.f("fk_contest_comments_juror_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_contest_comments_practice_id_practices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["contest_rounds.id"],
            name=op.f("fk_contest_comments_round_id_contest_rounds"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_comments")),
        sa.UniqueConstraint(
            "round_id", "juror_id", "practice_id", name=op.f("uq_contest_comments_round_id")
        ),
    )
    op.create_table(
        "contest_peer_rankings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("khoroo_number", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.BigInteger(), nullable=False),
        sa.Column("ranking", sa.JSON(), nullable=False),
        sa.Column("updated_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_contest_peer_rankings_district_id_districts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["users.id"],
            name=op.f("fk_contest_peer_rankings_officer_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["contest_rounds.id"],
            name=op.f("fk_contest_peer_rankings_round_id_contest_rounds"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_peer_rankings")),
        sa.UniqueConstraint(
            "round_id",
            "district_id",
            "khoroo_number",
            name=op.f("uq_contest_peer_rankings_round_id"),
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("contest_peer_rankings")
    op.drop_table("contest_comments")
    op.drop_table("contest_settings")
    with op.batch_alter_table("contest_score_log", schema=None) as batch_op:
        batch_op.drop_column("data")
        batch_op.drop_column("kind")
