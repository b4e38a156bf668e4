"""Effects registered with ctx.after_commit run once after the commit, never after a rollback."""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from storage.models import ConversationState
from tests.support.chat import Chat, register


async def test_effects_follow_only_a_committed_transaction(app):
    chat = Chat(app, 41)
    await register(chat)
    ran: list[str] = []
    attempts: list[int] = []

    async def fails(ctx):
        ctx.after_commit(lambda: ran.append("failed"))
        raise RuntimeError("the handler fails after registering its effect")

    async def commits(ctx):
        ctx.after_commit(lambda: ran.append("committed"))
        ctx.send("ok")

    async def conflicts_once(ctx):
        attempts.append(1)
        ctx.after_commit(lambda: ran.append(f"attempt {len(attempts)}"))
        if len(attempts) == 1:  # another process wrote this user's state first: retried
            raise StaleDataError("conflict")

    app.dispatcher.router.commands.update(
        {"fails": fails, "commits": commits, "conflicts": conflicts_once}
    )
    replies = await chat.send("/fails")
    assert ran == []
    assert "алдаа" in chat.texts(replies)[0].lower()  # the user gets the usual apology

    await chat.send("/commits")
    assert ran == ["committed"]

    await chat.send("/conflicts")
    assert ran == ["committed", "attempt 2"]  # the rolled-back attempt's effect is dropped


async def test_a_failing_effect_loses_neither_the_commit_nor_the_replies(app):
    chat = Chat(app, 42)
    await register(chat)

    def broken() -> None:
        raise RuntimeError("the index is unwell")

    async def handler(ctx):
        ctx.after_commit(broken)
        ctx.data["kept"] = True
        ctx.send("done")

    app.dispatcher.router.commands["effect"] = handler
    replies = await chat.send("/effect")
    assert chat.texts(replies) == ["done"]
    async with app.database.transaction() as session:
        state = await session.get(ConversationState, 42)
        assert state is not None and state.data.get("kept") is True
