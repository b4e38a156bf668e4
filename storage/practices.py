"""Practices, their attachments and reviews, their life-cycle, and who may review them.

The vocabularies (categories, statuses, life-cycle steps) are defined here once: the import
file format, the submission form, the review and the card all use these ids; labels live in
the catalogue under ``category.<id>`` and ``status.<id>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Practice, PracticeAttachment, Review, RoleGrant, User, utcnow
from storage.users import Users

CATEGORIES = (
    "public-services",
    "social-welfare",
    "health",
    "education",
    "environment",
    "public-order",
    "participation",
    "employment",
    "urban",
    "other",
)
STATUSES = ("draft", "submitted", "returned", "approved", "selected", "rejected")
# Shared practices are the ones peers can find and adopt.
SHARED = ("approved", "selected")
# The life-cycle: each step, the statuses it may be taken from, and the status it leads to.
# A new practice is a draft (drafts live in the conversation until submitted); a reviewer's
# decisions are steps too (approve, return, reject; admins select for the capital level).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft",), "submitted"),
    "resubmit": (("returned",), "submitted"),  # the author revised a returned practice
    "approve": (("submitted",), "approved"),
    "return": (("submitted",), "returned"),
    "reject": (("submitted",), "rejected"),
    "select": (("approved",), "selected"),
}
REVIEWER = "reviewer"
BATCH = 500


def allows(step: str, status: str | None) -> bool:
    """Tell whether a practice with this status may take this life-cycle step."""
    return (status or "draft") in TRANSITIONS[step][0]


def stage_for(status: str) -> str:
    """Return the Peer Learning stage a practice with this status is at."""
    return "share" if status in SHARED else "identify"


def move(practice: Practice, step: str) -> None:
    """Take a life-cycle step: the status it leads to, and the stage that status means."""
    if not allows(step, practice.status):
        raise ValueError(f"{step} is not possible for a {practice.status} practice")
    status = TRANSITIONS[step][1]
    practice.status = status
    practice.stage = stage_for(status)


@dataclass(frozen=True)
class NewAttachment:
    """A file to attach to a practice, as Telegram knows it."""

    kind: str
    file_id: str
    file_name: str | None = None


class Practices:
    """Repository of practices; it never commits (the caller owns the transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, practice_id: int) -> Practice | None:
        """Return a practice with its attachments and reviews."""
        return await self.session.get(Practice, practice_id)

    async def by_external_id(self, external_id: str) -> Practice | None:
        """Return the practice an import file calls by this id."""
        return await self.session.scalar(
            select(Practice).where(Practice.external_id == external_id)
        )

    async def add(self, practice: Practice) -> Practice:
        """Store a new practice and give it an id (and an external id if it has none)."""
        # Give a new object empty collections: once it is persistent, an unloaded collection
        # would need a lazy load, which an async session cannot do implicitly.
        state = inspect(practice)
        for name in ("attachments", "reviews"):
            if name in state.unloaded:
                setattr(practice, name, [])
        self.session.add(practice)
        await self.session.flush()
        if practice.external_id is None:
            practice.external_id = f"bot-{practice.id}"
        return practice

    async def of_submitter(
        self, user_id: int, *, limit: int = 10, offset: int = 0
    ) -> Sequence[Practice]:
        """Return a user's practices, the most recently changed first."""
        result = await self.session.scalars(
            select(Practice)
            .where(Practice.submitter_id == user_id)
            .order_by(Practice.updated_at.desc(), Practice.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return result.all()

    async def count_of_submitter(self, user_id: int) -> int:
        """Return how many practices a user submitted."""
        total = await self.session.scalar(
            select(func.count(Practice.id)).where(Practice.submitter_id == user_id)
        )
        return int(total or 0)

    async def by_ids(self, practice_ids: Iterable[int]) -> Sequence[Practice]:
        """Return the practices with these ids, in no particular order (missing ones left out)."""
        ids = list(practice_ids)
        found: list[Practice] = []
        # In chunks: databases bound the number of parameters of one statement.
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            result = await self.session.scalars(select(Practice).where(Practice.id.in_(chunk)))
            found += result.all()
        return found

    async def changed_since(self, moment: datetime) -> list[tuple[int, datetime]]:
        """Return the id and last change of every practice changed at or after the moment."""
        result = await self.session.execute(
            select(Practice.id, Practice.updated_at).where(Practice.updated_at >= moment)
        )
        return [(row.id, row.updated_at) for row in result]

    async def changes_since(self, moment: datetime) -> tuple[int, datetime | None]:
        """Return how many practices changed at or after the moment, and the latest change."""
        row = (
            await self.session.execute(
                select(func.count(Practice.id), func.max(Practice.updated_at)).where(
                    Practice.updated_at >= moment
                )
            )
        ).one()
        return int(row[0]), row[1]

    async def shared(self) -> Sequence[Practice]:
        """Return every shared practice (approved or selected), oldest first."""
        result = await self.session.scalars(
            select(Practice).where(Practice.status.in_(SHARED)).order_by(Practice.id)
        )
        return result.all()

    async def all(self) -> Sequence[Practice]:
        """Return every practice in id order (for export)."""
        result = await self.session.scalars(select(Practice).order_by(Practice.id))
        return result.all()

    async def set_attachments(self, practice: Practice, files: Iterable[NewAttachment]) -> None:
        """Replace the practice's attachments, keeping the given order."""
        practice.attachments = [
            PracticeAttachment(kind=f.kind, file_id=f.file_id, file_name=f.file_name, position=i)
            for i, f in enumerate(files)
        ]

    async def submit(self, practice: Practice, now: datetime) -> Practice:
        """Submit a new practice, or resubmit a returned one, for review; store a new one."""
        move(practice, "resubmit" if practice.status == "returned" else "submit")
        practice.submitted_at = now
        if practice.id is None:
            await self.add(practice)
        return practice

    async def last_return(self, practice_id: int) -> Review | None:
        """Return the latest decision that sent the practice back to its author, if any."""
        return await self.session.scalar(
            select(Review)
            .where(Review.practice_id == practice_id, Review.decision == "return")
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(1)
        )

    async def decide(
        self, practice: Practice, reviewer_id: int, decision: str, comment: str | None = None
    ) -> Review:
        """Record a reviewer's decision and take the life-cycle step it is."""
        move(practice, decision)
        review = Review(decision=decision, reviewer_id=reviewer_id, comment=comment)
        practice.reviews.append(review)
        practice.updated_at = utcnow()
        await self.session.flush()
        return review


class Reviewers:
    """Who reviews which district: RoleGrant(role="reviewer"), no district meaning all."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_district(self, district_id: int | None) -> list[int]:
        """Return the user ids of the reviewers of a district, capital-level ones included."""
        result = await self.session.scalars(
            select(RoleGrant.user_id)
            .where(RoleGrant.role == REVIEWER)
            .where(or_(RoleGrant.district_id.is_(None), RoleGrant.district_id == district_id))
            .order_by(RoleGrant.user_id)
            .distinct()
        )
        return list(result.all())

    async def can_review(self, user_id: int, district_id: int | None) -> bool:
        """Tell whether the user reviews practices of this district."""
        return user_id in await self.of_district(district_id)

    async def grant(self, user_id: int, district_id: int | None, granted_by: int) -> bool:
        """Make the user a reviewer of a district (None: all); False when they already were."""
        return await Users(self.session).grant(user_id, REVIEWER, district_id, granted_by)

    async def existing_users(self, user_ids: Iterable[int]) -> list[User]:
        """Return the users among the ids who have talked to the bot (so can be messaged)."""
        ids = list(user_ids)
        if not ids:
            return []
        result = await self.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))
        return list(result.all())
