"""SQLAlchemy 2 models: the database is the single source of truth for every conversation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; SQLite drops the zone, so put it back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON()}


class District(Base):
    """An administrative unit above the khoroo: a district (of khoroos) or an aimag (of soums)."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_mn: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # "district" (its units are numbered khoroos) or "aimag" (its units are named soums).
    kind: Mapped[str] = mapped_column(String(10), default="district", server_default="district")
    # Other names people write for it, e.g. abbreviations ("БЗД"), matched like the names.
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    khoroos: Mapped[list[Khoroo]] = relationship(
        back_populates="district", order_by="Khoroo.number", cascade="all, delete-orphan"
    )

    def name(self, language: str) -> str:
        """Return the name in the given language."""
        return self.name_mn if language == "mn" else self.name_en


class Khoroo(Base):
    """A numbered sub-district of a district."""

    __tablename__ = "khoroos"
    __table_args__ = (UniqueConstraint("district_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # A soum's name; khoroos are known by their number only.
    name_mn: Mapped[str | None] = mapped_column(String(100), default=None)
    name_en: Mapped[str | None] = mapped_column(String(100), default=None)
    district: Mapped[District] = relationship(back_populates="khoroos")

    def name(self, language: str) -> str | None:
        """Return the soum's name in the given language, or None for a numbered khoroo."""
        return (self.name_mn if language == "mn" else self.name_en) or self.name_mn


class User(Base):
    """A Telegram user of the bot and the profile they registered."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    username: Mapped[str | None] = mapped_column(String(64), default=None)
    language: Mapped[str] = mapped_column(String(8), default="mn")
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="SET NULL"), default=None
    )
    khoroo_number: Mapped[int | None] = mapped_column(Integer, default=None)
    # What the officer says they do (governor, social worker...): profile data, no rights.
    position: Mapped[str | None] = mapped_column(String(20), default=None)
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    district: Mapped[District | None] = relationship(lazy="joined")


class RoleGrant(Base):
    """A privilege granted by an admin: admin, reviewer (of one district), trainer or juror."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "district_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="CASCADE"), default=None
    )
    granted_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationState(Base):
    """Where a user is in a conversation; the version guards against concurrent updates."""

    __tablename__ = "conversation_states"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str | None] = mapped_column(String(40), default=None)
    step: Mapped[str | None] = mapped_column(String(40), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class ProcessedUpdate(Base):
    """A Telegram update already applied, so a redelivery has no second effect."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Practice(Base):
    """A good practice of a khoroo: a draft's final form, or a record imported from a file."""

    __tablename__ = "practices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The id in imported files; bot submissions get "bot-<id>" so every practice round-trips.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    title: Mapped[str] = mapped_column(String(200))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="SET NULL"), default=None, index=True
    )
    khoroo_number: Mapped[int | None] = mapped_column(Integer, default=None)
    category: Mapped[str] = mapped_column(String(40))
    problem: Mapped[str] = mapped_column(Text, default="")
    solution: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str | None] = mapped_column(Text, default=None)
    partners: Mapped[str | None] = mapped_column(Text, default=None)
    contact: Mapped[str | None] = mapped_column(String(300), default=None)
    year: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    stage: Mapped[str] = mapped_column(String(20), default="identify")
    submitter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    district: Mapped[District | None] = relationship(lazy="joined")
    attachments: Mapped[list[PracticeAttachment]] = relationship(
        back_populates="practice",
        order_by="PracticeAttachment.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="practice",
        order_by="Review.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class PracticeAttachment(Base):
    """A photo or document of a practice, kept as Telegram's file id (the file stays there)."""

    __tablename__ = "practice_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    file_id: Mapped[str] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(String(255), default=None)
    position: Mapped[int] = mapped_column(Integer, default=0)
    practice: Mapped[Practice] = relationship(back_populates="attachments")


class Review(Base):
    """A reviewer's decision on a submitted practice, with the comment the author reads."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    practice: Mapped[Practice] = relationship(back_populates="reviews")


# --- FAQ: questions the knowledge base could not answer, what trainers taught it, feedback ---


class FaqQuestion(Base):
    """A question the bot could not answer, kept for trainers until one answers it."""

    __tablename__ = "faq_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(200), index=True)  # folded text: groups repeats
    language: Mapped[str] = mapped_column(String(8))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    answered_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    # A trainer hid it from /questions (small talk, off topic): kept for the audit trail.
    dismissed_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    dismissed_at: Mapped[datetime | None] = mapped_column(default=None)


class FaqLesson(Base):
    """A trainer's lesson: a new example question for a topic, or a whole new topic."""

    __tablename__ = "faq_lessons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[str] = mapped_column(String(60))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text, default=None)  # set for a new topic
    language: Mapped[str] = mapped_column(String(8), default="mn")
    created_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who last edited the answer, and who withdrew the lesson (a withdrawn one is not served).
    edited_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)


class FaqFeedback(Base):
    """Whether an answer helped a user (their latest opinion per topic)."""

    __tablename__ = "faq_feedback"
    __table_args__ = (UniqueConstraint("user_id", "topic_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic_id: Mapped[str] = mapped_column(String(60))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- Votes (issue 6): quick votes during trainings, and one ballot per voter ---


class VoteSession(Base):
    """A quick vote a trainer opens during a training; participants join by its code."""

    __tablename__ = "vote_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)  # read aloud: no 0/O/1/I
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(10))  # single, multiple or ranking
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    live: Mapped[bool] = mapped_column(Boolean, default=True)  # results before closing
    state: Mapped[str] = mapped_column(String(10), default="open")  # open or closed
    closes_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    secret: Mapped[str] = mapped_column(String(43))  # the projector page's key
    # The trainer's results message, edited as ballots arrive; the digest of what it shows
    # keeps a second writer from sending the same content again.
    results_chat_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    results_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    results_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    # The native Telegram poll the vote was posted as, if any.
    poll_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    poll_chat_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    poll_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class VoteJoin(Base):
    """A chat a vote was opened in by its code or link: a voter's own chat, or a group.

    Ballot buttons name a vote by its id, which is easy to guess: a press counts only from
    a chat listed here, so a vote's code stays the key to it.
    """

    __tablename__ = "vote_joins"
    __table_args__ = (UniqueConstraint("vote_id", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote_sessions.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ballot(Base):
    """One voter's choice in a vote: option indexes, in order for a ranking."""

    __tablename__ = "ballots"
    # One ballot per voter per vote: changing one's mind replaces it.
    __table_args__ = (UniqueConstraint("vote_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote_sessions.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    choices: Mapped[list[int]] = mapped_column(JSON)
    via: Mapped[str] = mapped_column(String(10), default="bot")  # bot buttons or a group poll
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Adoption (issue 5): khoroos adopting shared practices, their reports, author relays ---


class Adoption(Base):
    """A khoroo's commitment to adopt a shared practice, its progress and its evaluation."""

    __tablename__ = "adoptions"
    # One adoption per khoroo per practice, whoever of its officers pressed the button.
    __table_args__ = (UniqueConstraint("practice_id", "district_id", "khoroo_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), index=True
    )
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    khoroo_number: Mapped[int] = mapped_column(Integer)
    # The officer who adopted it: reports, evaluates and gets the reminders.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    status: Mapped[str] = mapped_column(String(12), default="planning")
    rating: Mapped[int | None] = mapped_column(Integer, default=None)  # 1-5, once done
    change: Mapped[str | None] = mapped_column(Text, default=None)  # what changed
    figures: Mapped[str | None] = mapped_column(Text, default=None)  # ... in numbers
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_at: Mapped[datetime | None] = mapped_column(default=None)
    evaluated_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set in the transaction that claims a reminder, so each is sent once.
    report_reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    evaluate_reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    practice: Mapped[Practice] = relationship(lazy="joined")
    district: Mapped[District] = relationship(lazy="joined")


class AdoptionReport(Base):
    """One progress report of an adoption: the status it moved to and an optional note."""

    __tablename__ = "adoption_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    adoption_id: Mapped[int] = mapped_column(
        ForeignKey("adoptions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthorMessage(Base):
    """A question to a practice's author, or a reply either way, relayed by the bot."""

    __tablename__ = "author_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("author_messages.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Contest calendar and announcements (issue 7): stages, the outbox and its deliveries ---


class ContestStage(Base):
    """A stage of the yearly contest, e.g. submission, district selection, capital selection."""

    __tablename__ = "contest_stages"
    # Re-importing a calendar updates a stage with the same Mongolian name in the same year.
    __table_args__ = (UniqueConstraint("year", "name_mn"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)  # the contest year (of starts_at, local time)
    name_mn: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def name(self, language: str) -> str:
        """Return the name in the given language."""
        return self.name_mn if language == "mn" else self.name_en


class ContestNotice(Base):
    """A notice about a stage already claimed (its start, or a reminder N days before its end).

    The unique key is the guard: whichever process inserts it first sends the notice, so a
    restart or a second process never sends it again.
    """

    __tablename__ = "contest_notices"
    __table_args__ = (UniqueConstraint("stage_id", "notice"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("contest_stages.id", ondelete="CASCADE"))
    notice: Mapped[str] = mapped_column(String(20))  # "start" or "remind-<days>"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Announcement(Base):
    """A message to many users: an admin's, a stage start or a deadline reminder."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="admin")  # admin, stage, reminder
    text: Mapped[str] = mapped_column(Text)  # Telegram HTML; Mongolian for generated ones
    text_en: Mapped[str | None] = mapped_column(Text, default=None)  # for English readers
    media_kind: Mapped[str | None] = mapped_column(String(10), default=None)  # photo, document
    media_file_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # Buttons under the message, per language: {"mn": [[[label, callback data], ...], ...]}.
    # Only the bot's own notices carry them (a training's "Vote now"); admins' have none.
    buttons: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # {"kind": "all"} | {"kind": "districts", "ids": [...]} | {"kind": "khoroos",
    # "khoroos": [[district_id, number], ...]} | {"kind": "roles", "roles": [...]} |
    # {"kind": "not_submitted", "year": N}
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scheduled_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    state: Mapped[str] = mapped_column(String(12), default="scheduled", index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("contest_stages.id", ondelete="SET NULL"), default=None
    )
    # The admin's message that shows the progress, edited as deliveries go out.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Delivery(Base):
    """One announcement to one chat: the outbox row the sender works through."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("announcement_id", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8), default="mn")
    # pending, sending (claimed; the lease ends at next_attempt_at), sent, failed,
    # unreachable (403), invalid (400 chat not found), cancelled
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the row may be claimed next; NULL once final, so the index holds only live rows.
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow, index=True)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class SendBudget(Base):
    """The bot's shared sending clock: every sender reserves its time slots here."""

    __tablename__ = "send_budget"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next_at: Mapped[datetime] = mapped_column()  # the first free slot


# --- Invitations: links an admin makes that grant a role to whoever opens them ---


class Invitation(Base):
    """A deep link granting a role: N uses until it expires or an admin revokes it.

    Only the token's SHA-256 is kept, so the database alone cannot be turned into links.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="CASCADE"), default=None
    )
    uses: Mapped[int] = mapped_column(Integer, default=1)  # how many people it may grant
    used: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    district: Mapped[District | None] = relationship(lazy="joined")


# --- Audit: who did what with privileges, and when ---


class AuditEntry(Base):
    """A privileged action: granting roles, review decisions, announcements, vote control."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(120), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# --- Contest judging (issue 16): rounds, rubric, juries, scores and the hash-chained log ---


class ContestRound(Base):
    """A judging round of a contest year: one per district, then one capital round."""

    __tablename__ = "contest_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    level: Mapped[str] = mapped_column(String(10))  # "district" or "capital"
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="SET NULL"), default=None
    )
    state: Mapped[str] = mapped_column(String(10), default="open")  # open or closed
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    top_n: Mapped[int] = mapped_column(Integer, default=3)
    peer_share: Mapped[int] = mapped_column(Integer, default=0)  # percent of the total
    normalise: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    district: Mapped[District | None] = relationship(lazy="joined")


class ContestCriterion(Base):
    """A rubric criterion of a contest year, with its weight and scale."""

    __tablename__ = "contest_criteria"
    __table_args__ = (UniqueConstraint("year", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    name_mn: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_mn: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(Integer)
    scale_min: Mapped[int] = mapped_column(Integer, default=1)
    scale_max: Mapped[int] = mapped_column(Integer, default=5)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ContestEntry(Base):
    """A practice taking part in a round (a capital entry notes the round it came from)."""

    __tablename__ = "contest_entries"
    __table_args__ = (UniqueConstraint("round_id", "practice_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_rounds.id", ondelete="CASCADE"))
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practices.id", ondelete="RESTRICT"), index=True
    )
    advanced_from: Mapped[int | None] = mapped_column(
        ForeignKey("contest_rounds.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContestJuror(Base):
    """A juror of one round, granted by an admin (a juror role without a round grants nothing)."""

    __tablename__ = "contest_jurors"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    granted_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContestScore(Base):
    """A juror's current mark for a practice on a criterion (its history is in the log)."""

    __tablename__ = "contest_scores"
    __table_args__ = (UniqueConstraint("round_id", "juror_id", "practice_id", "criterion"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_rounds.id", ondelete="RESTRICT"))
    juror_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id", ondelete="RESTRICT"))
    criterion: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContestScoreLog(Base):
    """An append-only, hash-chained record of every mark given or changed in a round.

    Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON
    (knowledge/contest.py), so editing, removing or inserting a row breaks the chain.
    """

    __tablename__ = "contest_score_log"
    __table_args__ = (UniqueConstraint("round_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_rounds.id", ondelete="RESTRICT"))
    seq: Mapped[int] = mapped_column(Integer)
    juror_id: Mapped[int] = mapped_column(BigInteger)
    practice_id: Mapped[int] = mapped_column(Integer)
    criterion: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # "score", "comment" (a juror's note on a practice) or "peer" (a khoroo's ranking).
    kind: Mapped[str] = mapped_column(String(10), default="score", server_default="score")
    data: Mapped[str | None] = mapped_column(Text, default=None)  # a ranking's canonical JSON


# --- Trainings (issue 17): one session's check-in, open answers and evaluation ---


class Training(Base):
    """One training session a granted trainer runs; participants check in by its code."""

    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Five characters, so a training's code is never taken for a vote's six-character one.
    code: Mapped[str] = mapped_column(String(8), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12), default="open")  # open, evaluation, closed
    secret: Mapped[str] = mapped_column(String(43))  # the projector page's key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Questions from the room carry their author's name only when the trainer chose so.
    questions_named: Mapped[bool] = mapped_column(Boolean, default=False)


class Attendance(Base):
    """A participant checked in to a training, with the khoroo their profile had then."""

    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("training_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(String(10), default="code")  # link, command or code
    # Copied, not joined: the attendance sheet says where the officer worked that day.
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="SET NULL"), default=None
    )
    khoroo_number: Mapped[int | None] = mapped_column(Integer, default=None)


class TrainingQuestion(Base):
    """An open ("a word or a sentence") question a trainer asks inside a training."""

    __tablename__ = "training_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    training_id: Mapped[int] = mapped_column(
        ForeignKey("trainings.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="open")  # open or closed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OpenAnswer(Base):
    """One typed answer to an open question; the trainer may hide it from the cloud."""

    __tablename__ = "training_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("training_questions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Evaluation(Base):
    """A checked-in participant's end-of-training evaluation: three 1-5 ratings, a comment."""

    __tablename__ = "training_evaluations"
    __table_args__ = (UniqueConstraint("training_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    content: Mapped[int] = mapped_column(Integer)
    trainer: Mapped[int] = mapped_column(Integer)
    usefulness: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Queues: when each reviewer was last reminded of practices waiting for them ---


class ReviewReminder(Base):
    """The last time a reviewer was reminded of overdue practices (once a day at most)."""

    __tablename__ = "review_reminders"

    user_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    reminded_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Trainings (issue 17): votes inside a training, questions from the room ---


class TrainingVote(Base):
    """A vote opened from a training's panel: it belongs to the training."""

    __tablename__ = "training_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    training_id: Mapped[int] = mapped_column(
        ForeignKey("trainings.id", ondelete="CASCADE"), index=True
    )
    vote_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoomQuestion(Base):
    """A question a participant sends the trainer during a training; others upvote it."""

    __tablename__ = "room_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    training_id: Mapped[int] = mapped_column(
        ForeignKey("trainings.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    named: Mapped[bool] = mapped_column(Boolean, default=False)  # as the training was then
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoomQuestionVote(Base):
    """One participant's upvote of a question from the room (one per person)."""

    __tablename__ = "room_question_votes"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("room_questions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Templates and nudges (issue 17): a question bank, a training's votes, a vote's rounds,
# the khoroos a vote targets, and who was reminded of what ---


class BankQuestion(Base):
    """A vote's question and options a trainer keeps to start again with another group."""

    __tablename__ = "question_bank"
    __table_args__ = (UniqueConstraint("owner_id", "question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(10))
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VoteRound(Base):
    """A finished round of a vote that was reset for the next group."""

    __tablename__ = "vote_rounds"
    __table_args__ = (UniqueConstraint("vote_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote_sessions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first group
    ballots: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArchivedBallot(Base):
    """A ballot of a finished round, moved out so the next group starts from zero."""

    __tablename__ = "archived_ballots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("vote_rounds.id", ondelete="CASCADE"), index=True
    )
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    choices: Mapped[list[int]] = mapped_column(JSON)
    via: Mapped[str] = mapped_column(String(10), default="bot")
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)


class VoteTarget(Base):
    """A khoroo (or, with no number, a whole district) whose officers a vote is meant for."""

    __tablename__ = "vote_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), index=True
    )
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    khoroo_number: Mapped[int | None] = mapped_column(Integer, default=None)


class NudgeSent(Base):
    """One reminder to one user about one item ("vote:12:1", "question:5", "deadline:12")."""

    __tablename__ = "nudges_sent"
    # The unique pair is the whole guarantee: a second tap, a restart or a second process
    # inserting the same reminder finds it there and sends nothing.
    __table_args__ = (UniqueConstraint("item", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Contest judging (issue 16): settings per year and round level, comments, peer rankings ---


class ContestSettings(Base):
    """How a contest year judges a level (district or capital), from the file or an admin."""

    __tablename__ = "contest_settings"
    __table_args__ = (UniqueConstraint("year", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10))  # "district" or "capital"
    top_n: Mapped[int] = mapped_column(Integer, default=3)  # advancing, or winners named
    peer_share: Mapped[int] = mapped_column(Integer, default=0)  # percent of the total
    normalise: Mapped[bool] = mapped_column(Boolean, default=False)
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContestComment(Base):
    """A juror's comment in force on a practice of a round (its history is in the log)."""

    __tablename__ = "contest_comments"
    __table_args__ = (UniqueConstraint("round_id", "juror_id", "practice_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_rounds.id", ondelete="RESTRICT"))
    juror_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContestPeerRanking(Base):
    """A khoroo's ranking in force of the other khoroos' practices in a district round.

    One per khoroo: the last officer of the khoroo to submit one replaces it (the log keeps
    every submission).
    """

    __tablename__ = "contest_peer_rankings"
    __table_args__ = (UniqueConstraint("round_id", "district_id", "khoroo_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_rounds.id", ondelete="RESTRICT"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"))
    khoroo_number: Mapped[int] = mapped_column(Integer)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    ranking: Mapped[list[int]] = mapped_column(JSON)  # practice ids, best first
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
