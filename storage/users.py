"""Users, their profiles and the privileges admins grant them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RoleGrant, User


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
