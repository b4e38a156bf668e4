"""Users, their profiles and the privileges admins grant them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RoleGrant, User

# What an officer does, as they say at registration; profile data that grants no rights.
POSITIONS = ("governor", "secretary", "social_worker", "officer", "other")
# The positions of a khoroo's own staff, who are reminded about its submissions.
KHOROO_STAFF = ("governor", "secretary", "social_worker", "officer")


class Users:
    """Repository of users; it never commits (the caller owns the transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        """Return the user with this Telegram id, if known."""
        return await self.session.get(User, user_id)

    async def get_or_create(
        self, user_id: int, *, first_name: str = "", username: str | None = None, language: str
    ) -> User:
        """Return the user, creating an unregistered one on first contact."""
        user = await self.get(user_id)
        if user is None:
            user = User(id=user_id, first_name=first_name, username=username, language=language)
            self.session.add(user)
            await self.session.flush()
        else:
            if first_name and user.first_name != first_name:
                user.first_name = first_name
            if username != user.username and username is not None:
                user.username = username
        return user

    async def mark_blocked(self, user_id: int, blocked: bool = True) -> None:
        """Remember that the user blocked the bot (or came back)."""
        await self.session.execute(update(User).where(User.id == user_id).values(blocked=blocked))

    async def grants(self, user_id: int) -> Sequence[RoleGrant]:
        """Return the privileges granted to the user."""
        result = await self.session.scalars(select(RoleGrant).where(RoleGrant.user_id == user_id))
        return result.all()

    async def roles_of(self, user_id: int) -> set[str]:
        """Return the names of the roles granted to the user."""
        return {grant.role for grant in await self.grants(user_id)}

    async def of_khoroo(self, district_id: int, khoroo_number: int, limit: int) -> Sequence[User]:
        """Return registered users of a khoroo, the earliest registered first."""
        result = await self.session.scalars(
            select(User)
            .where(
                User.district_id == district_id,
                User.khoroo_number == khoroo_number,
                User.registered.is_(True),
            )
            .order_by(User.created_at, User.id)
            .limit(limit)
        )
        return result.all()

    async def by_username(self, username: str) -> User | None:
        """Return the user with this @username (case-insensitive), if they used the bot."""
        result = await self.session.scalars(
            select(User).where(func.lower(User.username) == username.lstrip("@").lower())
        )
        return result.first()

    async def grant(
        self, user_id: int, role: str, district_id: int | None, granted_by: int | None
    ) -> bool:
        """Grant a role (a reviewer's district: None means every district); False if held."""
        if await self._grant(user_id, role, district_id) is not None:
            return False
        self.session.add(
            RoleGrant(user_id=user_id, role=role, district_id=district_id, granted_by=granted_by)
        )
        await self.session.flush()
        return True

    async def revoke(self, user_id: int, role: str, district_id: int | None) -> bool:
        """Take a role back; False when the user did not hold it."""
        grant = await self._grant(user_id, role, district_id)
        if grant is None:
            return False
        await self.session.delete(grant)
        await self.session.flush()
        return True

    async def all_grants(self) -> Sequence[RoleGrant]:
        """Return every grant, by user."""
        result = await self.session.scalars(
            select(RoleGrant).order_by(RoleGrant.user_id, RoleGrant.role, RoleGrant.district_id)
        )
        return result.all()

    async def _grant(self, user_id: int, role: str, district_id: int | None) -> RoleGrant | None:
        district = (
            RoleGrant.district_id.is_(None)
            if district_id is None
            else RoleGrant.district_id == district_id
        )
        result = await self.session.scalars(
            select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role == role, district)
        )
        return result.first()
