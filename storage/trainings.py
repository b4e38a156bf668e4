"""Trainings: check-in, open questions and their answers, and the closing evaluation."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attendance,
    Evaluation,
    OpenAnswer,
    Training,
    TrainingQuestion,
    TrainingVote,
    User,
    VoteSession,
    utcnow,
)
from storage.votes import CODE_ALPHABET
from storage.votes import OPEN as VOTE_OPEN

CODE_LENGTH = 5  # one shorter than a vote's code: a typed code names one or the other
OPEN, EVALUATION, CLOSED = "open", "evaluation", "closed"
RATINGS = ("content", "trainer", "usefulness")


def new_code() -> str:
    """Return a random check-in code; it mixes letters and digits, so no word is a code."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
            return code


@dataclass(frozen=True)
class EvaluationSummary:
    """The evaluations of one training: how many, each rating's mean, and the comments."""

    count: int
    means: dict[str, float]
    comments: tuple[str, ...]
    # How many gave each score, 1 to 5, per rating: a mean of 3 may be all 3s or 1s and 5s.
    scores: dict[str, tuple[int, ...]] = field(default_factory=dict)


class Trainings:
    """Repository of trainings and what happens in them; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, owner_id: int, title: str) -> Training:
        """Open a training under a fresh code."""
        code = new_code()
        while await self.by_code(code) is not None:  # 32**5 codes: a clash is rare
            code = new_code()
        training = Training(
            code=code, owner_id=owner_id, title=title, state=OPEN, secret=secrets.token_urlsafe(24)
        )
        self.session.add(training)
        await self.session.flush()
        return training

    async def get(self, training_id: int) -> Training | None:
        """Return the training with this id."""
        return await self.session.get(Training, training_id)

    async def by_code(self, code: str) -> Training | None:
        """Return the training with this check-in code."""
        return await self.session.scalar(select(Training).where(Training.code == code.upper()))

    async def of_owner(self, owner_id: int, limit: int = 5) -> Sequence[Training]:
        """Return the owner's newest trainings."""
        result = await self.session.scalars(
            select(Training)
            .where(Training.owner_id == owner_id)
            .order_by(Training.id.desc())
            .limit(limit)
        )
        return result.all()

    async def running(self, limit: int = 10) -> Sequence[Training]:
        """Return the newest trainings not yet ended, whoever runs them (for admins)."""
        result = await self.session.scalars(
            select(Training)
            .where(Training.state != CLOSED)
            .order_by(Training.id.desc())
            .limit(limit)
        )
        return result.all()

    def set_state(self, training: Training, state: str, now: datetime | None = None) -> None:
        """Move the training on: open, evaluation, or closed."""
        training.state = state
        training.closed_at = (now or utcnow()) if state == CLOSED else None

    # --- attendance ----------------------------------------------------------------------

    async def attendance(self, training: Training, user_id: int) -> Attendance | None:
        """Return the user's check-in, if they checked in."""
        return await self.session.scalar(
            select(Attendance).where(
                Attendance.training_id == training.id, Attendance.user_id == user_id
            )
        )

    async def check_in(self, training: Training, user: User, via: str) -> tuple[Attendance, bool]:
        """Check the user in (once); return the attendance and whether it is new."""
        found = await self.attendance(training, user.id)
        if found is not None:
            if found.district_id is None and user.registered:
                # Checked in as a newcomer and registered since: the sheet learns the khoroo.
                found.district_id, found.khoroo_number = user.district_id, user.khoroo_number
            return found, False
        attendance = Attendance(
            training_id=training.id,
            user_id=user.id,
            via=via,
            district_id=user.district_id if user.registered else None,
            khoroo_number=user.khoroo_number if user.registered else None,
        )
        self.session.add(attendance)
        await self.session.flush()
        return attendance, True

    async def attendees(self, training: Training) -> Sequence[tuple[Attendance, User]]:
        """Return every check-in with its user, earliest first."""
        result = await self.session.execute(
            select(Attendance, User)
            .join(User, User.id == Attendance.user_id)
            .where(Attendance.training_id == training.id)
            .order_by(Attendance.checked_in_at, Attendance.id)
        )
        return [(a, u) for a, u in result.all()]

    async def count_attendees(self, training: Training) -> int:
        """Return how many checked in."""
        found = await self.session.scalar(
            select(func.count()).where(Attendance.training_id == training.id)
        )
        return int(found or 0)

    # --- open questions ------------------------------------------------------------------

    async def open_question(self, training: Training) -> TrainingQuestion | None:
        """Return the question open now, if any."""
        return await self.session.scalar(
            select(TrainingQuestion)
            .where(TrainingQuestion.training_id == training.id, TrainingQuestion.state == OPEN)
            .order_by(TrainingQuestion.id.desc())
            .limit(1)
        )

    async def question(self, question_id: int) -> TrainingQuestion | None:
        """Return the question with this id."""
        return await self.session.get(TrainingQuestion, question_id)

    async def latest_question(self, training: Training) -> TrainingQuestion | None:
        """Return the question asked last, open or closed."""
        return await self.session.scalar(
            select(TrainingQuestion)
            .where(TrainingQuestion.training_id == training.id)
            .order_by(TrainingQuestion.id.desc())
            .limit(1)
        )

    async def questions(self, training: Training) -> Sequence[TrainingQuestion]:
        """Return the training's questions, oldest first."""
        found = await self.session.scalars(
            select(TrainingQuestion)
            .where(TrainingQuestion.training_id == training.id)
            .order_by(TrainingQuestion.id)
        )
        return found.all()

    async def ask(self, training: Training, text: str) -> TrainingQuestion:
        """Open a question; the one open before it closes (one at a time keeps typing clear)."""
        await self.close_questions(training)
        question = TrainingQuestion(training_id=training.id, text=text, state=OPEN)
        self.session.add(question)
        await self.session.flush()
        return question

    async def close_questions(self, training: Training) -> None:
        """Close whatever question is open."""
        while (previous := await self.open_question(training)) is not None:
            previous.state = CLOSED
            await self.session.flush()

    async def add_answer(self, question: TrainingQuestion, user_id: int, text: str) -> OpenAnswer:
        """Keep a typed answer."""
        answer = OpenAnswer(question_id=question.id, user_id=user_id, text=text)
        self.session.add(answer)
        await self.session.flush()
        return answer

    async def count_answers_by(self, question: TrainingQuestion, user_id: int) -> int:
        """Return how many answers the user gave to the question."""
        found = await self.session.scalar(
            select(func.count()).where(
                OpenAnswer.question_id == question.id, OpenAnswer.user_id == user_id
            )
        )
        return int(found or 0)

    async def answers(
        self, question: TrainingQuestion, *, with_hidden: bool = True
    ) -> Sequence[tuple[OpenAnswer, User]]:
        """Return the question's answers with their authors, oldest first."""
        statement = (
            select(OpenAnswer, User)
            .join(User, User.id == OpenAnswer.user_id)
            .where(OpenAnswer.question_id == question.id)
            .order_by(OpenAnswer.id)
        )
        if not with_hidden:
            statement = statement.where(OpenAnswer.hidden.is_(False))
        result = await self.session.execute(statement)
        return [(a, u) for a, u in result.all()]

    async def answer(self, answer_id: int) -> OpenAnswer | None:
        """Return the answer with this id."""
        return await self.session.get(OpenAnswer, answer_id)

    # --- votes ---------------------------------------------------------------------------

    async def link_vote(self, training: Training, vote: VoteSession) -> None:
        """Make the vote one of the training's (once)."""
        linked = await self.session.scalar(
            select(TrainingVote.id).where(TrainingVote.vote_id == vote.id)
        )
        if linked is None:
            self.session.add(TrainingVote(training_id=training.id, vote_id=vote.id))
            await self.session.flush()

    async def votes(
        self, training: Training, limit: int | None = 20, *, oldest_first: bool = False
    ) -> Sequence[VoteSession]:
        """Return the training's votes, newest first unless asked otherwise."""
        found = await self.session.scalars(
            select(VoteSession)
            .join(TrainingVote, TrainingVote.vote_id == VoteSession.id)
            .where(TrainingVote.training_id == training.id)
            .order_by(VoteSession.id if oldest_first else VoteSession.id.desc())
            .limit(limit)
        )
        return found.all()

    async def current_vote(self, training: Training) -> VoteSession | None:
        """Return the training's newest open vote."""
        return await self.session.scalar(
            select(VoteSession)
            .join(TrainingVote, TrainingVote.vote_id == VoteSession.id)
            .where(TrainingVote.training_id == training.id, VoteSession.state == VOTE_OPEN)
            .order_by(VoteSession.id.desc())
            .limit(1)
        )

    async def open_training_of(self, owner_id: int) -> Training | None:
        """Return the owner's newest open training (a vote opened now belongs to it)."""
        return await self.session.scalar(
            select(Training)
            .where(Training.owner_id == owner_id, Training.state == OPEN)
            .order_by(Training.id.desc())
            .limit(1)
        )

    async def of_vote(self, vote_id: int) -> Training | None:
        """Return the training a vote belongs to, if it belongs to one."""
        return await self.session.scalar(
            select(Training)
            .join(TrainingVote, TrainingVote.training_id == Training.id)
            .where(TrainingVote.vote_id == vote_id)
        )

    # --- evaluation ----------------------------------------------------------------------

    async def evaluation(self, training: Training, user_id: int) -> Evaluation | None:
        """Return the user's evaluation, if they gave one."""
        return await self.session.scalar(
            select(Evaluation).where(
                Evaluation.training_id == training.id, Evaluation.user_id == user_id
            )
        )

    async def evaluate(
        self, training: Training, user_id: int, ratings: dict[str, int], comment: str | None
    ) -> Evaluation:
        """Keep a participant's evaluation; a second one replaces the first."""
        evaluation = await self.evaluation(training, user_id)
        if evaluation is None:
            evaluation = Evaluation(training_id=training.id, user_id=user_id, **ratings)
            self.session.add(evaluation)
        else:
            for name, value in ratings.items():
                setattr(evaluation, name, value)
            evaluation.created_at = utcnow()
        evaluation.comment = comment
        await self.session.flush()
        return evaluation

    async def summary(self, training: Training) -> EvaluationSummary:
        """Summarise the evaluations: count, each rating's mean, comments oldest first."""
        found = (
            await self.session.scalars(
                select(Evaluation)
                .where(Evaluation.training_id == training.id)
                .order_by(Evaluation.id)
            )
        ).all()
        count = len(found)
        means = {
            name: (sum(getattr(e, name) for e in found) / count if count else 0.0)
            for name in RATINGS
        }
        comments = tuple(e.comment for e in found if e.comment)
        scores = {
            name: tuple(sum(1 for e in found if getattr(e, name) == s) for s in range(1, 6))
            for name in RATINGS
        }
        return EvaluationSummary(count, means, comments, scores)
