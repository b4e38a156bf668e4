"""Who may do what, checked when an action is performed (a button press can be forged)."""

from __future__ import annotations

from handlers.context import Context
from storage.users import Users

ADMIN, REVIEWER, TRAINER = "admin", "reviewer", "trainer"
ROLES = (ADMIN, REVIEWER, TRAINER)


async def is_admin(ctx: Context) -> bool:
    """Tell whether the user is an admin, by configuration or by an admin's grant."""
    if ctx.is_admin:
        return True
    return any(g.role == ADMIN for g in await Users(ctx.session).grants(ctx.user.id))


async def is_trainer(ctx: Context) -> bool:
    """Tell whether the user may run trainings: trainers by profile or grant, and admins."""
    if ctx.user.role == TRAINER or await is_admin(ctx):
        return True
    return any(g.role == TRAINER for g in await Users(ctx.session).grants(ctx.user.id))


async def is_reviewer(ctx: Context, district_id: int | None) -> bool:
    """Tell whether the user reviews practices of this district (admins review all).

    A reviewer grant without a district is a capital-level reviewer: every district.
    """
    if await is_admin(ctx):
        return True
    return any(
        g.role == REVIEWER and g.district_id in (None, district_id)
        for g in await Users(ctx.session).grants(ctx.user.id)
    )
