"""What the FAQ learns at work: unanswered questions, trainers' lessons, users' feedback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FaqFeedback, FaqLesson, FaqQuestion


@dataclass(frozen=True)
class OpenQuestion:
    """Unanswered questions asked in the same words, counted once."""

    first_id: int
    question: str
    askers: int


class FaqRecords:
    """Repository of the FAQ's questions, lessons and feedback."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def keep_question(self, user_id: int, question: str, key: str, language: str) -> None:
        """Remember a question the bot could not answer."""
        self.session.add(
            FaqQuestion(user_id=user_id, question=question, key=key[:200], language=language)
        )

    async def open_questions(self, limit: int = 10) -> list[OpenQuestion]:
        """Return unanswered questions, the most asked first."""
        rows = await self.session.execute(
            select(FaqQuestion.key, func.min(FaqQuestion.id), func.count())
            .where(FaqQuestion.answered_at.is_(None))
            .group_by(FaqQuestion.key)
            .order_by(func.count().desc(), func.min(FaqQuestion.id))
            .limit(limit)
        )
        groups = rows.all()
        firsts = {
            q.id: q
            for q in await self.session.scalars(
                select(FaqQuestion).where(FaqQuestion.id.in_([g[1] for g in groups]))
            )
        }
        return [OpenQuestion(first, firsts[first].question, count) for _, first, count in groups]

    async def question(self, question_id: int) -> FaqQuestion | None:
        """Return one kept question."""
        return await self.session.get(FaqQuestion, question_id)

    async def answer_all(
        self, key: str, answer: str, trainer_id: int, moment: datetime
    ) -> Sequence[FaqQuestion]:
        """Answer every open question asked in the same words; return them (for the askers)."""
        questions = (
            await self.session.scalars(
                select(FaqQuestion).where(FaqQuestion.key == key, FaqQuestion.answered_at.is_(None))
            )
        ).all()
        await self.session.execute(
            update(FaqQuestion)
            .where(FaqQuestion.id.in_([q.id for q in questions]))
            .values(answer=answer, answered_by=trainer_id, answered_at=moment)
        )
        return questions

    async def add_lesson(self, lesson: FaqLesson) -> FaqLesson:
        """Store a lesson; its id names a new topic."""
        self.session.add(lesson)
        await self.session.flush()
        return lesson

    async def lessons(self) -> Sequence[FaqLesson]:
        """Return every lesson in the order taught."""
        return (await self.session.scalars(select(FaqLesson).order_by(FaqLesson.id))).all()

    async def rate(self, user_id: int, topic_id: str, helpful: bool) -> None:
        """Record a user's opinion of an answer, replacing an earlier one."""
        existing = await self.session.scalar(
            select(FaqFeedback).where(
                FaqFeedback.user_id == user_id, FaqFeedback.topic_id == topic_id
            )
        )
        if existing is None:
            self.session.add(FaqFeedback(user_id=user_id, topic_id=topic_id, helpful=helpful))
        else:
            existing.helpful = helpful
