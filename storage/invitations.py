"""Invitation links: an admin's link grants a role to whoever opens it, a few times at most."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invitation

# 16 random bytes: 22 URL-safe characters, unguessable, well within a deep link's 64.
TOKEN_BYTES = 16


def token_hash(token: str) -> str:
    """Return what is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitations:
    """Repository of invitations; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(
        self,
        *,
        role: str,
        district_id: int | None,
        uses: int,
        expires_at: datetime,
        created_by: int,
    ) -> tuple[Invitation, str]:
        """Make an invitation; return it with its token (shown once, never stored)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        invitation = Invitation(
            token_hash=token_hash(token),
            role=role,
            district_id=district_id,
            uses=uses,
            used=0,
            expires_at=expires_at,
            created_by=created_by,
        )
        self.session.add(invitation)
        await self.session.flush()
        return invitation, token

    async def get(self, invitation_id: int) -> Invitation | None:
        """Return the invitation with this id."""
        return await self.session.get(Invitation, invitation_id)

    async def by_token(self, token: str) -> Invitation | None:
        """Return the invitation a token opens, whatever its state."""
        return await self.session.scalar(
            select(Invitation).where(Invitation.token_hash == token_hash(token))
        )

    async def use(self, invitation: Invitation, now: datetime) -> bool:
        """Take one use if the invitation is still valid; False when it is not.

        One conditional UPDATE, so two people opening the last use at once cannot both get it.
        """
        result = await self.session.execute(
            update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
                Invitation.used < Invitation.uses,
            )
            .values(used=Invitation.used + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await self.session.refresh(invitation)
        return True

    def revoke(self, invitation: Invitation, by: int, now: datetime) -> bool:
        """Stop an invitation; False when it was already revoked."""
        if invitation.revoked_at is not None:
            return False
        invitation.revoked_at, invitation.revoked_by = now, by
        return True

    async def active(self, now: datetime, limit: int = 30) -> Sequence[Invitation]:
        """Return invitations that can still be used, newest first."""
        result = await self.session.scalars(
            select(Invitation)
            .where(
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
                Invitation.used < Invitation.uses,
            )
            .order_by(Invitation.id.desc())
            .limit(limit)
        )
        return result.all()


def state_of(invitation: Invitation, now: datetime) -> str:
    """Return why an invitation can or cannot be used: active, revoked, expired or used_up."""
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    if invitation.used >= invitation.uses:
        return "used_up"
    return "active"
