"""Who may do what, checked when an action is performed (a button press can be forged).

Rights come only from grants: ADMIN_IDS, an admin's /grant, or an admin's invitation link.
What officers say about themselves (their position) is profile data and grants nothing.
"""

from __future__ import annotations

from handlers.context import Context
from storage.models import Practice, User
from storage.users import Users

ADMIN, REVIEWER, TRAINER, JUROR = "admin", "reviewer", "trainer", "juror"
ROLES = (ADMIN, REVIEWER, TRAINER, JUROR)
# Roles that belong to a district (the others hold everywhere).
DISTRICT_ROLES = (REVIEWER,)


async def is_admin(ctx: Context) -> bool:
    """Tell whether the user is an admin, by configuration or by an admin's grant."""
    if ctx.is_admin:
        return True
    return any(g.role == ADMIN for g in await Users(ctx.session).grants(ctx.user.id))


async def is_trainer(ctx: Context) -> bool:
    """Tell whether the user may run trainings: granted trainers, and admins."""
    if await is_admin(ctx):
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


def own_practice(user: User, practice: Practice) -> bool:
    """Tell whether a practice is the user's own: they submitted it, or it is their khoroo's.

    Nobody decides on such a practice, reviewers and admins alike.
    """
    if practice.submitter_id is not None and practice.submitter_id == user.id:
        return True
    return (
        user.district_id is not None
        and user.khoroo_number is not None
        and (practice.district_id, practice.khoroo_number) == (user.district_id, user.khoroo_number)
    )
