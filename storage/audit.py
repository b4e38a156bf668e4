"""The audit log: privileged actions, recorded in the same transaction as the action."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


class AuditLog:
    """Repository of audit entries."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def record(self, actor_id: int | None, action: str, target: str = "", **details: Any) -> None:
        """Add an entry; it commits (or rolls back) with the action itself."""
        self.session.add(
            AuditEntry(actor_id=actor_id, action=action, target=target, details=details)
        )

    async def entries(self, limit: int | None = None) -> Sequence[AuditEntry]:
        """Return entries, oldest first."""
        query = select(AuditEntry).order_by(AuditEntry.id)
        if limit is not None:
            query = query.limit(limit)
        return (await self.session.scalars(query)).all()
