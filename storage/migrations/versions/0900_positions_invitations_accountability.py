"""positions instead of self-declared roles, invitations, taught answers' history, vote joins

Revision ID: 0900
Revises: 0100, 0300, 0500
Create Date: 2026-12-03 09:40:00.000000

The registration's "role" was declared by the officer and made a "trainer" one: it becomes
their position, which grants nothing. Everyone keeps what they chose (copied as it was);
rights that came only from choosing "trainer" are dropped, and each drop is written to the
audit log so admins can see whom to grant (rights granted by admins stay).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0900"
# It changes users (0001), votes (0100), FAQ lessons (0300) and writes to the audit log
# (0500): it joins those branches.
down_revision: str | tuple[str, ...] | None = ("0100", "0300", "0500")
branch_labels: str | Sequence[str] | None = ("roles",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.String(length=20), nullable=True))
    op.execute("UPDATE users SET position = role")
    # Self-declared trainers without a trainer grant lose the rights: say so in the audit log.
    op.execute(
        "INSERT INTO audit_log (actor_id, action, target, details, created_at) "
        "SELECT NULL, 'role.profile_dropped', 'user:' || CAST(users.id AS VARCHAR(20)), "
        '\'{"role": "trainer"}\', CURRENT_TIMESTAMP FROM users '
        "WHERE users.role = 'trainer' AND NOT EXISTS (SELECT 1 FROM role_grants "
        "WHERE role_grants.user_id = users.id AND role_grants.role = 'trainer')"
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("role")

    with op.batch_alter_table("faq_lessons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("edited_at", storage.models.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("withdrawn_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("withdrawn_at", storage.models.UtcDateTime(timezone=True), nullable=True)
        )

    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("expires_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_invitations_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )

    op.create_table(
        "vote_joins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["vote_sessions.id"],
            name=op.f("fk_vote_joins_vote_id_vote_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_joins")),
        sa.UniqueConstraint("vote_id", "chat_id", name=op.f("uq_vote_joins_vote_id")),
    )
    # Whoever voted from the bot before already had the ballot: they keep their access.
    op.execute(
        "INSERT INTO vote_joins (vote_id, chat_id, joined_at) "
        "SELECT DISTINCT vote_id, voter_id, CURRENT_TIMESTAMP FROM ballots WHERE via = 'bot'"
    )


def downgrade() -> None:
    """Revert this revision (positions go back to the old roles; officers by default)."""
    op.drop_table("vote_joins")
    op.drop_table("invitations")
    with op.batch_alter_table("faq_lessons", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("edited_at")
        batch_op.drop_column("edited_by")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE users SET role = CASE WHEN position IN ('officer', 'trainer', 'other') "
        "THEN position WHEN position IS NULL THEN NULL ELSE 'officer' END"
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("position")
