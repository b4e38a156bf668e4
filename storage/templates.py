"""Templates and nudges: clones, the question bank, vote rounds, targets and reminders sent.

A vote reset for the next group keeps its code (the QR code on the wall and the handouts
keep working): its ballots move to ``archived_ballots`` under a numbered round, so the
ballots table, and the hot path that counts it, only ever hold the current group, while the
export still lists every round. A reminder is a row in ``nudges_sent`` unique per item and
user: inserting it is claiming it, so nobody is reminded twice of one item, whoever inserts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, false, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ArchivedBallot,
    Attendance,
    Ballot,
    BankQuestion,
    NudgeSent,
    OpenAnswer,
    Training,
    TrainingQuestion,
    User,
    VoteRound,
    VoteSession,
    VoteTarget,
    utcnow,
)
from storage.trainings import Trainings
from storage.votes import CLOSED, OPEN, Votes

NUDGE = "nudge"  # the outbox announcement kind of a trainer's reminder


def vote_item(vote: VoteSession, round_number: int) -> str:
    """Name a vote's round as an item reminded of (a reset vote is a new item)."""
    return f"vote:{vote.id}:{round_number}"


def question_item(question: TrainingQuestion) -> str:
    """Name an open question as an item reminded of."""
    return f"question:{question.id}"


def deadline_item(vote: VoteSession) -> str:
    """Name a vote's deadline reminder."""
    return f"deadline:{vote.id}"


class Templates:
    """Repository of templates, rounds, targets and reminders; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- clones --------------------------------------------------------------------------

    async def clone_vote(
        self, vote: VoteSession | BankQuestion, owner_id: int, *, start: bool = True
    ) -> VoteSession:
        """Copy a vote's definition (not its ballots) under a new code; open it if asked."""
        copy = await Votes(self.session).create(
            owner_id=owner_id,
            question=vote.question,
            options=list(vote.options),
            kind=vote.kind,
            named=vote.named,
            live=vote.live,
        )
        if not start:
            copy.state = CLOSED  # prepared: never opened, so no closing time either
        return copy

    async def clone_training(self, training: Training, owner_id: int) -> Training:
        """Copy a training's settings and its votes' definitions, the votes ready to start."""
        trainings = Trainings(self.session)
        copy = await trainings.create(owner_id, training.title)
        copy.questions_named = training.questions_named
        for vote in await trainings.votes(training, None, oldest_first=True):
            await trainings.link_vote(copy, await self.clone_vote(vote, owner_id, start=False))
        return copy

    # --- the question bank ---------------------------------------------------------------

    async def save(self, owner_id: int, vote: VoteSession) -> tuple[BankQuestion, bool]:
        """Keep the vote's question and options in the bank; tell whether it is new there."""
        found = await self.session.scalar(
            select(BankQuestion).where(
                BankQuestion.owner_id == owner_id, BankQuestion.question == vote.question
            )
        )
        if found is not None:  # the same question again: its newest options win
            found.options, found.kind = list(vote.options), vote.kind
            found.named, found.live = vote.named, vote.live
            return found, False
        entry = BankQuestion(
            owner_id=owner_id,
            question=vote.question,
            options=list(vote.options),
            kind=vote.kind,
            named=vote.named,
            live=vote.live,
        )
        self.session.add(entry)
        await self.session.flush()
        return entry, True

    async def bank(self, owner_id: int, limit: int = 10, offset: int = 0) -> Sequence[BankQuestion]:
        """Return a page of the owner's bank, newest first."""
        found = await self.session.scalars(
            select(BankQuestion)
            .where(BankQuestion.owner_id == owner_id)
            .order_by(BankQuestion.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return found.all()

    async def count_bank(self, owner_id: int) -> int:
        """Return how many questions the owner keeps."""
        found = await self.session.scalar(
            select(func.count()).where(BankQuestion.owner_id == owner_id)
        )
        return int(found or 0)

    async def entry(self, entry_id: int) -> BankQuestion | None:
        """Return one bank entry."""
        return await self.session.get(BankQuestion, entry_id)

    async def forget(self, entry: BankQuestion) -> None:
        """Remove an entry from the bank."""
        await self.session.delete(entry)
        await self.session.flush()

    # --- rounds --------------------------------------------------------------------------

    async def rounds(self, vote: VoteSession) -> Sequence[VoteRound]:
        """Return the vote's finished rounds, first first."""
        found = await self.session.scalars(
            select(VoteRound).where(VoteRound.vote_id == vote.id).order_by(VoteRound.number)
        )
        return found.all()

    async def round_number(self, vote: VoteSession) -> int:
        """Return the number of the vote's current round (1 until it is first reset)."""
        found = await self.session.scalar(
            select(func.max(VoteRound.number)).where(VoteRound.vote_id == vote.id)
        )
        return int(found or 0) + 1

    async def reset(
        self, vote: VoteSession, now: datetime | None = None, *, expected: int | None = None
    ) -> VoteRound | None:
        """Close the current round, archive its ballots, and open the vote again, empty.

        With ``expected``, only that round is closed: None when it is over already (a second
        press of one confirmation, or an old one), so the next group's ballots stay.
        """
        # The vote's row is locked (PostgreSQL; SQLite has one writer anyway) and read
        # afresh: two presses at once close the round once, the second finds it closed.
        await self.session.refresh(vote, with_for_update=True)
        number = await self.round_number(vote)
        if expected is not None and number != expected:
            return None
        finished = VoteRound(vote_id=vote.id, number=number, closed_at=now or utcnow())
        self.session.add(finished)
        await self.session.flush()
        # DELETE .. RETURNING takes exactly the rows it removes: a ballot cast meanwhile is
        # either archived here or counted in the new round, never lost.
        removed = (
            await self.session.execute(
                delete(Ballot)
                .where(Ballot.vote_id == vote.id)
                .returning(Ballot.voter_id, Ballot.choices, Ballot.via, Ballot.cast_at)
            )
        ).all()
        if removed:
            await self.session.execute(
                insert(ArchivedBallot),
                [
                    {
                        "round_id": finished.id,
                        "voter_id": voter,
                        "choices": list(choices),
                        "via": via,
                        "cast_at": cast_at,
                    }
                    for voter, choices, via, cast_at in removed
                ],
            )
        finished.ballots = len(removed)
        vote.state, vote.closed_at, vote.closes_at = OPEN, None, None
        # A group poll of the old round would keep feeding answers into the new one.
        vote.poll_id = vote.poll_chat_id = vote.poll_message_id = None
        await self.session.flush()
        return finished

    async def archived(self, vote: VoteSession) -> Sequence[tuple[int, ArchivedBallot, User]]:
        """Return the ballots of finished rounds with their round and voter, in order."""
        result = await self.session.execute(
            select(VoteRound.number, ArchivedBallot, User)
            .join(ArchivedBallot, ArchivedBallot.round_id == VoteRound.id)
            .join(User, User.id == ArchivedBallot.voter_id)
            .where(VoteRound.vote_id == vote.id)
            .order_by(VoteRound.number, ArchivedBallot.cast_at, ArchivedBallot.id)
        )
        return [(number, ballot, user) for number, ballot, user in result.all()]

    # --- targets and the deadline reminder -----------------------------------------------

    async def set_targets(
        self, vote: VoteSession, places: Iterable[tuple[int, int | None]]
    ) -> None:
        """Replace the khoroos the vote targets (no number: the whole district)."""
        await self.session.execute(delete(VoteTarget).where(VoteTarget.vote_id == vote.id))
        for district_id, number in dict.fromkeys(places):
            self.session.add(
                VoteTarget(vote_id=vote.id, district_id=district_id, khoroo_number=number)
            )
        await self.session.flush()

    async def targets(self, vote: VoteSession) -> list[tuple[int, int | None]]:
        """Return the places the vote targets."""
        rows = await self.session.execute(
            select(VoteTarget.district_id, VoteTarget.khoroo_number)
            .where(VoteTarget.vote_id == vote.id)
            .order_by(VoteTarget.district_id, VoteTarget.khoroo_number)
        )
        return [(int(d), n) for d, n in rows.all()]

    async def closing_soon(self, now: datetime, before: timedelta) -> Sequence[VoteSession]:
        """Return the open, targeted votes that close within ``before`` from now."""
        found = await self.session.scalars(
            select(VoteSession)
            .where(
                VoteSession.state == OPEN,
                VoteSession.closes_at.is_not(None),
                VoteSession.closes_at > now,
                VoteSession.closes_at <= now + before,
                exists().where(VoteTarget.vote_id == VoteSession.id),
            )
            .order_by(VoteSession.closes_at, VoteSession.id)
        )
        return found.all()

    async def officers_not_voted(self, vote: VoteSession) -> Sequence[User]:
        """Return the registered, reachable officers of the vote's khoroos without a ballot."""
        places = await self.targets(vote)
        where = [
            and_(User.district_id == d, User.khoroo_number == n)
            if n is not None
            else User.district_id == d
            for d, n in places
        ]
        found = await self.session.scalars(
            select(User)
            .where(
                User.registered.is_(True),
                User.blocked.is_(False),
                User.id != vote.owner_id,  # the trainer runs the vote, not votes in it
                or_(*where) if where else false(),
                ~exists().where(Ballot.vote_id == vote.id, Ballot.voter_id == User.id),
            )
            .order_by(User.id)
        )
        return found.all()

    # --- who has not answered ------------------------------------------------------------

    async def silent_for_vote(self, training: Training, vote: VoteSession) -> tuple[list[int], int]:
        """Return the checked-in participants without a ballot, and how many checked in."""
        answered = exists().where(Ballot.vote_id == vote.id, Ballot.voter_id == Attendance.user_id)
        return await self._silent(training, answered)

    async def silent_for_question(
        self, training: Training, question: TrainingQuestion
    ) -> tuple[list[int], int]:
        """Return the checked-in participants without an answer, and how many checked in."""
        answered = exists().where(
            OpenAnswer.question_id == question.id, OpenAnswer.user_id == Attendance.user_id
        )
        return await self._silent(training, answered)

    async def _silent(self, training: Training, answered: Any) -> tuple[list[int], int]:
        # The trainer is never counted: they may have checked in to try the link.
        present = and_(
            Attendance.training_id == training.id, Attendance.user_id != training.owner_id
        )
        total = await self.session.scalar(select(func.count()).where(present))
        rows = await self.session.scalars(
            select(Attendance.user_id).where(present, ~answered).order_by(Attendance.id)
        )
        return list(rows.all()), int(total or 0)

    # --- reminders, each once ------------------------------------------------------------

    async def claim(self, item: str, user_ids: Sequence[int], now: datetime) -> list[int]:
        """Record a reminder of the item to each user not reminded yet; return those users."""
        # Those reminded already are left out first: a second tap inserts nothing. The insert
        # below still skips any another process claimed meanwhile.
        user_ids = await self.not_reminded(item, user_ids)
        if not user_ids:
            return []
        dialect = self.session.get_bind().dialect.name
        insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert_of(NudgeSent)
            .values([{"item": item, "user_id": u, "sent_at": now} for u in user_ids])
            .on_conflict_do_nothing(index_elements=[NudgeSent.item, NudgeSent.user_id])
            .returning(NudgeSent.user_id)
        )
        claimed = set((await self.session.scalars(statement)).all())
        return [u for u in user_ids if u in claimed]

    async def not_reminded(self, item: str, user_ids: Sequence[int]) -> list[int]:
        """Return those of the users not reminded of the item yet, in the order given."""
        if not user_ids:
            return []
        # All of the item's: at most a room's worth, and no list of thousands of parameters.
        done = set(
            await self.session.scalars(select(NudgeSent.user_id).where(NudgeSent.item == item))
        )
        return [u for u in user_ids if u not in done]

    async def reminded(self, item: str) -> int:
        """Return how many were reminded of the item."""
        found = await self.session.scalar(select(func.count()).where(NudgeSent.item == item))
        return int(found or 0)
