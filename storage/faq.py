"""What the FAQ learns at work: unanswered questions, trainers' lessons, users' feedback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FaqFeedback, FaqLesson, FaqQuestion

# Two folded questions this close (rapidfuzz's token-sort ratio, 0-100) are the same question
# typed differently ("тариф хэд вэ" / "тарифф хэд вэ?"): they are kept as one.
SAME_QUESTION = 90
_OPEN = (FaqQuestion.answered_at.is_(None), FaqQuestion.dismissed_at.is_(None))


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

    async def keep_question(self, user_id: int, question: str, key: str, language: str) -> int:
        """Remember a question the bot could not answer, merged with the same one asked before.

        The question joins an open one asked in the same or nearly the same words (it gains an
        asker, under that question's key). Return how many have asked it now, or 0 when this
        user already had.
        """
        key = await self._same_open_key(key[:200])
        already = await self.session.scalar(
            select(FaqQuestion.id).where(
                FaqQuestion.key == key, FaqQuestion.user_id == user_id, *_OPEN
            )
        )
        if already is not None:
            return 0
        self.session.add(
            FaqQuestion(user_id=user_id, question=question, key=key, language=language)
        )
        await self.session.flush()
        return await self.askers(key)

    async def _same_open_key(self, key: str) -> str:
        """Return the key of the open question this one repeats, or the key itself."""
        keys = set(await self.session.scalars(select(FaqQuestion.key).where(*_OPEN).distinct()))
        if key in keys or not keys:
            return key
        scored = [(fuzz.token_sort_ratio(key, other), other) for other in sorted(keys)]
        score, best = max(scored)
        return best if score >= SAME_QUESTION else key

    async def askers(self, key: str) -> int:
        """Return how many asked the open question with this key."""
        count = await self.session.scalar(
            select(func.count()).select_from(FaqQuestion).where(FaqQuestion.key == key, *_OPEN)
        )
        return int(count or 0)

    async def dismiss(self, key: str, by: int, moment: datetime) -> int:
        """Hide an open question (every asker's copy) from the trainers' list; return how many."""
        result = await self.session.execute(
            update(FaqQuestion)
            .where(FaqQuestion.key == key, *_OPEN)
            .values(dismissed_by=by, dismissed_at=moment)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def merge(self, source: str, target: str) -> int:
        """Move the askers of one open question to another; return how many moved."""
        result = await self.session.execute(
            update(FaqQuestion).where(FaqQuestion.key == source, *_OPEN).values(key=target)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def open_questions(self, limit: int = 10) -> list[OpenQuestion]:
        """Return unanswered questions, the most asked first."""
        rows = await self.session.execute(
            select(FaqQuestion.key, func.min(FaqQuestion.id), func.count())
            .where(*_OPEN)
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
            await self.session.scalars(select(FaqQuestion).where(FaqQuestion.key == key, *_OPEN))
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

    async def lessons(self, *, include_withdrawn: bool = False) -> Sequence[FaqLesson]:
        """Return the lessons in the order taught; withdrawn ones only when asked."""
        query = select(FaqLesson).order_by(FaqLesson.id)
        if not include_withdrawn:
            query = query.where(FaqLesson.withdrawn_at.is_(None))
        return (await self.session.scalars(query)).all()

    async def lesson(self, lesson_id: int) -> FaqLesson | None:
        """Return one lesson, withdrawn or not."""
        return await self.session.get(FaqLesson, lesson_id)

    async def taught(self, *, limit: int, offset: int = 0) -> Sequence[FaqLesson]:
        """Return lessons for the trainers' list, the newest first."""
        result = await self.session.scalars(
            select(FaqLesson).order_by(FaqLesson.id.desc()).limit(limit).offset(offset)
        )
        return result.all()

    async def count_lessons(self) -> int:
        """Return how many lessons were taught, withdrawn ones included."""
        return int(await self.session.scalar(select(func.count()).select_from(FaqLesson)) or 0)

    def edit(self, lesson: FaqLesson, answer: str, by: int, moment: datetime) -> None:
        """Replace a taught topic's answer, remembering who did it and when."""
        lesson.answer, lesson.edited_by, lesson.edited_at = answer, by, moment

    def withdraw(self, lesson: FaqLesson, by: int, moment: datetime) -> bool:
        """Withdraw a lesson so it is no longer served; False when it already was."""
        if lesson.withdrawn_at is not None:
            return False
        lesson.withdrawn_by, lesson.withdrawn_at = by, moment
        return True

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
