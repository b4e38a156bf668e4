"""The fake Bot API server answers like Telegram, refuses what Telegram refuses, and real
aiogram and python-telegram-bot clients can talk to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.fake_telegram import (
    FakeTelegram,
    Spec,
    check_against_spec,
    load_spec,
    parse_html,
)

TOKEN = "123456:TEST-TOKEN"
USER = 1001
Api = Any  # the `api` fixture's call function


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """Run a fake Telegram for one test."""
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture
async def api(fake: FakeTelegram) -> AsyncIterator[Api]:
    """Return call(method, **params) -> (status, body), posting JSON to the fake."""
    async with aiohttp.ClientSession() as session:

        async def call(method: str, **params: Any) -> tuple[int, dict[str, Any]]:
            url = f"{fake.base_url}/bot{fake.token}/{method}"
            async with session.post(url, json=params) as response:
                return response.status, await response.json()

        yield call


def keyboard(*data: str) -> dict[str, Any]:
    """Return an inline keyboard with one button per callback_data."""
    return {
        "inline_keyboard": [[{"text": f"b{i}", "callback_data": d}] for i, d in enumerate(data)]
    }


# -- protocol ---------------------------------------------------------------------------------


async def test_get_me_over_get_post_and_any_case(fake: FakeTelegram, api: Api) -> None:
    status, body = await api("GETME")
    assert status == 200
    assert body["result"]["username"] == "khoroo_test_bot"
    assert body["result"]["id"] == 123456
    assert body["result"]["supports_inline_queries"] is True
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.base_url}/bot{TOKEN}/getMe") as response,
    ):
        assert (await response.json())["ok"] is True
    assert [call.method for call in fake.calls] == ["getMe", "getMe"]


async def test_wrong_token_and_unknown_method(fake: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.base_url}/bot1:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with session.post(f"{fake.base_url}/bot{TOKEN}/sendMessages") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"
    assert len(fake.rejected) == 2


async def test_form_and_multipart_bodies_are_decoded(fake: FakeTelegram) -> None:
    url = f"{fake.base_url}/bot{TOKEN}/sendMessage"
    markup = '{"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}'
    async with aiohttp.ClientSession() as session:
        form = {"chat_id": str(USER), "text": "123", "reply_markup": markup}
        async with session.post(url, data=form) as response:
            assert response.status == 200
        data = aiohttp.FormData()
        data.add_field("chat_id", str(USER))
        data.add_field("photo", b"jpeg-bytes", filename="a.jpg")
        async with session.post(f"{fake.base_url}/bot{TOKEN}/sendPhoto", data=data) as response:
            assert response.status == 200
    first, second = fake.calls
    assert first.params == {
        "chat_id": USER,
        "text": "123",
        "reply_markup": {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
    }
    assert second.files == {"photo": b"jpeg-bytes"}
    assert fake.last_message(USER).kind == "photo"  # type: ignore[union-attr]


# -- getUpdates -------------------------------------------------------------------------------


async def test_long_poll_returns_an_update_pushed_while_waiting(
    fake: FakeTelegram, api: Api
) -> None:
    poll = asyncio.create_task(api("getUpdates", timeout=30))
    await fake.wait_for(lambda: fake.polls_waiting == 1)
    update = fake.user_sends(USER, "/start ref42", first_name="Bat")
    status, body = await poll
    assert status == 200
    assert body["result"] == [update]
    message = update["message"]
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["from"]["first_name"] == "Bat"
    assert message["chat"] == {"id": USER, "type": "private", "first_name": "Bat"}


async def test_short_poll_returns_nothing_at_once(api: Api) -> None:
    assert await api("getUpdates", timeout=0) == (200, {"ok": True, "result": []})


async def test_offset_confirms_updates_and_limit_caps_them(fake: FakeTelegram, api: Api) -> None:
    first = fake.user_sends(USER, "one")
    second = fake.user_sends(USER, "two")
    assert second["update_id"] == first["update_id"] + 1
    _, body = await api("getUpdates", limit=1)
    assert body["result"] == [first]
    _, body = await api("getUpdates")
    assert body["result"] == [first, second]  # nothing confirmed yet
    _, body = await api("getUpdates", offset=first["update_id"] + 1)
    assert body["result"] == [second]
    assert fake.is_confirmed(first) and not fake.is_confirmed(second)
    _, body = await api("getUpdates", offset=second["update_id"] + 1)
    assert body["result"] == []
    assert fake.pending_updates == []


async def test_the_same_update_pushed_twice_is_delivered_twice(
    fake: FakeTelegram, api: Api
) -> None:
    update = fake.user_sends(USER, "hello")
    _, body = await api("getUpdates")
    offset = update["update_id"] + 1
    await api("getUpdates", offset=offset)
    fake.push_update(update)
    _, body = await api("getUpdates", offset=offset)
    assert body["result"] == [update]
    _, body = await api("getUpdates", offset=offset)
    assert body["result"] == []


async def test_a_second_poll_terminates_the_first(fake: FakeTelegram, api: Api) -> None:
    first = asyncio.create_task(api("getUpdates", timeout=30))
    await fake.wait_for(lambda: fake.polls_waiting == 1)
    assert await api("getUpdates") == (200, {"ok": True, "result": []})
    status, body = await first
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates")


async def test_webhook_blocks_polling_and_delivers_with_secret(
    fake: FakeTelegram, api: Api
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        assert (await api("setWebhook", url=url, secret_token="s3cret"))[0] == 200
        _, info = await api("getWebhookInfo")
        assert info["result"]["url"] == url
        assert (await api("getUpdates"))[0] == 409
        update = fake.user_sends(USER, "hi")
        assert (await fake.deliver_webhook(None, update))[0] == 200
        assert received == [("s3cret", update)]
        assert fake.pending_updates == []
        await api("deleteWebhook")
        assert (await api("getUpdates"))[0] == 200
    finally:
        await runner.cleanup()


# -- validation -------------------------------------------------------------------------------

CYRILLIC_33 = "б" * 33  # 66 bytes in UTF-8
REJECTED: list[tuple[str, str, dict[str, Any], str]] = [
    ("unknown parameter", "sendMessage", {"chat_id": USER, "text": "a", "txt": "b"}, "unknown"),
    ("missing text", "sendMessage", {"chat_id": USER}, "message text is empty"),
    ("missing chat_id", "sendMessage", {"text": "a"}, "chat_id is empty"),
    ("blank text", "sendMessage", {"chat_id": USER, "text": "  \n"}, "message text is empty"),
    ("text too long", "sendMessage", {"chat_id": USER, "text": "ж" * 4097}, "too long"),
    (
        "emoji count twice",
        "sendMessage",
        {"chat_id": USER, "text": "😀" * 2049},
        "message is too long",
    ),
    ("wrong type", "deleteMessage", {"chat_id": USER, "message_id": "x"}, "Integer"),
    ("wrong boolean", "sendMessage", {"chat_id": USER, "text": "a", "protect_content": "y"}, ""),
    ("unsupported tag", "sendMessage", {"chat_id": USER, "text": "a<br>b"}, "Unsupported"),
    ("unclosed tag", "sendMessage", {"chat_id": USER, "text": "<b>a"}, "Can't find end tag"),
    ("misnested", "sendMessage", {"chat_id": USER, "text": "<b><i>a</b></i>"}, "Unmatched"),
    ("bare <", "sendMessage", {"chat_id": USER, "text": "1 < 2"}, "can't parse entities"),
    ("bare &", "sendMessage", {"chat_id": USER, "text": "A & B"}, "can't parse entities"),
    ("span class", "sendMessage", {"chat_id": USER, "text": "<span>a</span>"}, "tg-spoiler"),
    (
        "callback_data 65 bytes",
        "sendMessage",
        {"chat_id": USER, "text": "a", "reply_markup": keyboard("x" * 65)},
        "BUTTON_DATA_INVALID",
    ),
    (
        "callback_data Cyrillic",
        "sendMessage",
        {"chat_id": USER, "text": "a", "reply_markup": keyboard(CYRILLIC_33)},
        "BUTTON_DATA_INVALID",
    ),
    (
        "empty button text",
        "sendMessage",
        {
            "chat_id": USER,
            "text": "a",
            "reply_markup": {"inline_keyboard": [[{"text": "", "callback_data": "x"}]]},
        },
        "BUTTON_TEXT_EMPTY",
    ),
    (
        "button without action",
        "sendMessage",
        {"chat_id": USER, "text": "a", "reply_markup": {"inline_keyboard": [[{"text": "a"}]]}},
        "Text buttons are unallowed",
    ),
    (
        "keyboard not rows",
        "sendMessage",
        {
            "chat_id": USER,
            "text": "a",
            "reply_markup": {"inline_keyboard": [{"text": "a", "callback_data": "x"}]},
        },
        "Array of Arrays",
    ),
    (
        "caption too long",
        "sendPhoto",
        {"chat_id": USER, "photo": "https://example.org/a.jpg", "caption": "a" * 1025},
        "caption is too long",
    ),
    ("callback answer", "answerCallbackQuery", {"callback_query_id": "1", "text": "a" * 201}, ""),
    (
        "poll question",
        "sendPoll",
        {"chat_id": USER, "question": "q" * 301, "options": [{"text": "a"}, {"text": "b"}]},
        "",
    ),
    (
        "poll 13 options",
        "sendPoll",
        {"chat_id": USER, "question": "q", "options": [{"text": str(i)} for i in range(13)]},
        "",
    ),
    (
        "poll option text",
        "sendPoll",
        {"chat_id": USER, "question": "q", "options": [{"text": "a" * 101}, {"text": "b"}]},
        "",
    ),
    (
        "51 inline results",
        "answerInlineQuery",
        {
            "inline_query_id": "1",
            "results": [
                {
                    "type": "article",
                    "id": str(i),
                    "title": "t",
                    "input_message_content": {"message_text": "m"},
                }
                for i in range(51)
            ],
        },
        "RESULTS_TOO_MUCH",
    ),
    (
        "media group of one",
        "sendMediaGroup",
        {"chat_id": USER, "media": [{"type": "photo", "media": "https://e.org/a.jpg"}]},
        "",
    ),
    (
        "media group of eleven",
        "sendMediaGroup",
        {"chat_id": USER, "media": [{"type": "photo", "media": "https://e.org/a.jpg"}] * 11},
        "",
    ),
    (
        "media type mismatch",
        "sendMediaGroup",
        {"chat_id": USER, "media": [{"type": "photograph", "media": "https://e.org/a"}] * 2},
        "",
    ),
]


# Refusals the fake can only know from the spec file: the parameters and types it lists.
FROM_SPEC = {"unknown parameter", "media type mismatch"}


@pytest.mark.parametrize(
    ("case", "method", "params", "expected"), REJECTED, ids=[case[0] for case in REJECTED]
)
async def test_refuses_what_telegram_refuses(
    fake: FakeTelegram, api: Api, case: str, method: str, params: dict[str, Any], expected: str
) -> None:
    if case in FROM_SPEC:
        spec_or_skip()
    if "parse entities" in expected or "tag" in expected.lower() or "Unmatched" in expected:
        params = {**params, "parse_mode": "HTML"}
    if params.get("text", "").startswith(("a<", "<", "1 <", "A &")):
        params = {**params, "parse_mode": "HTML"}
    status, body = await api(method, **params)
    assert status == 400, body
    assert body["description"].startswith("Bad Request: ")
    assert expected in body["description"]
    assert fake.rejected == fake.calls
    assert fake.sent_messages() == []


async def test_limits_count_visible_html_text(fake: FakeTelegram, api: Api) -> None:
    text = "<b>" + "ж" * 4000 + "</b> &lt;" + "x" * 94  # 4096 visible characters
    status, body = await api("sendMessage", chat_id=USER, text=text, parse_mode="HTML")
    assert status == 200, body
    status, body = await api("sendMessage", chat_id=USER, text=text + "x", parse_mode="HTML")
    assert body["description"] == "Bad Request: message is too long"
    status, _ = await api(
        "sendMessage", chat_id=USER, text="x" * 64, reply_markup=keyboard("я" * 32)
    )
    assert status == 200


async def test_valid_html_becomes_text_and_entities(fake: FakeTelegram, api: Api) -> None:
    html = (
        "<b>Бат</b> <i>a</i><em>b</em><u>c</u><s>d</s><tg-spoiler>e</tg-spoiler>"
        '<span class="tg-spoiler">f</span> <a href="https://e.org/?a=1&amp;b=2">link</a> '
        "<code>x</code> "
        '<pre><code class="language-python">y</code></pre><blockquote expandable>q</blockquote>'
        " &lt;&gt;&amp;&quot;&#39;&#x41;"
    )
    status, body = await api("sendMessage", chat_id=USER, text=html, parse_mode="HTML")
    assert status == 200, body
    message = body["result"]
    assert message["text"] == "Бат abcdef link x yq <>&\"'A"
    types = [entity["type"] for entity in message["entities"]]
    assert types[0] == "bold"
    assert {"text_link", "pre", "expandable_blockquote", "spoiler"} <= set(types)
    assert fake.last_message(USER).raw_text == html  # type: ignore[union-attr]
    assert parse_html("<b>a</b>") == ("a", [{"type": "bold", "offset": 0, "length": 1}])


async def test_unknown_parameters_pass_when_not_strict(fake: FakeTelegram) -> None:
    async with (
        FakeTelegram(TOKEN, strict=False) as lenient,
        aiohttp.ClientSession() as session,
        session.post(
            f"{lenient.base_url}/bot{TOKEN}/sendMessage",
            json={"chat_id": USER, "text": "a", "colour": "red"},
        ) as response,
    ):
        assert response.status == 200
        problems = check_against_spec(lenient.calls)
    if load_spec() is not None:
        assert problems == [
            'sendMessage: unknown parameter "colour" for method sendMessage (strict mode)'
        ]


# -- message state ----------------------------------------------------------------------------


async def test_edit_delete_and_not_modified(fake: FakeTelegram, api: Api) -> None:
    _, body = await api("sendMessage", chat_id=USER, text="Сонго", reply_markup=keyboard("a", "b"))
    message_id = body["result"]["message_id"]
    assert body["result"]["reply_markup"] == keyboard("a", "b")
    status, body = await api(
        "editMessageText",
        chat_id=USER,
        message_id=message_id,
        text="Сонго",
        reply_markup=keyboard("a", "b"),
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified: ")
    status, body = await api("editMessageText", chat_id=USER, message_id=message_id, text="Done")
    assert status == 200
    assert body["result"]["text"] == "Done"
    assert "reply_markup" not in body["result"]  # an edit without markup removes the keyboard
    sent = fake.last_message(USER)
    assert sent is not None and (sent.text, sent.buttons, sent.edits) == ("Done", [], 1)
    status, body = await api("editMessageText", chat_id=USER, message_id=999, text="x")
    assert body["description"] == "Bad Request: message to edit not found"
    status, body = await api(
        "editMessageReplyMarkup", chat_id=USER, message_id=message_id, reply_markup=keyboard("c")
    )
    assert status == 200 and fake.last_message(USER).callback_data == ["c"]  # type: ignore[union-attr]
    assert (await api("deleteMessage", chat_id=USER, message_id=message_id))[0] == 200
    assert fake.sent_messages(USER) == []
    status, body = await api("deleteMessage", chat_id=USER, message_id=message_id)
    assert body["description"] == "Bad Request: message to delete not found"


async def test_reply_keyboards_are_recorded(fake: FakeTelegram, api: Api) -> None:
    markup = {"keyboard": [[{"text": "Тийм"}, {"text": "Үгүй"}]], "resize_keyboard": True}
    status, body = await api("sendMessage", chat_id=USER, text="?", reply_markup=markup)
    assert status == 200 and "reply_markup" not in body["result"]
    sent = fake.last_message(USER)
    assert sent is not None and sent.reply_keyboard == [["Тийм", "Үгүй"]]
    if load_spec() is not None:  # the spec says what a keyboard is
        status, _ = await api("sendMessage", chat_id=USER, text="?", reply_markup={"keyboard": 1})
        assert status == 400


async def test_message_ids_increase_per_chat(api: Api) -> None:
    ids = []
    for chat in (1, 1, 2, 1):
        _, body = await api("sendMessage", chat_id=chat, text="x")
        ids.append((chat, body["result"]["message_id"]))
    assert ids == [(1, 1), (1, 2), (2, 1), (1, 3)]


async def test_button_press_carries_the_message_and_is_answered_once(
    fake: FakeTelegram, api: Api
) -> None:
    await api("sendMessage", chat_id=USER, text="Q", reply_markup=keyboard("yes", "no"))
    sent = fake.last_message(USER)
    assert sent is not None
    with pytest.raises(ValueError, match="not on the message's keyboard"):
        fake.user_presses(USER, sent, "maybe")
    update = fake.user_presses(USER, sent, button="b1")
    query = update["callback_query"]
    assert query["data"] == "no"
    assert query["message"]["message_id"] == sent.message_id
    assert (await api("answerCallbackQuery", callback_query_id=query["id"]))[0] == 200
    status, body = await api("answerCallbackQuery", callback_query_id=query["id"])
    assert status == 400 and "query is too old" in body["description"]


async def test_user_media_can_be_fetched_and_resent(fake: FakeTelegram, api: Api) -> None:
    update = fake.user_sends_photo(USER, b"photo-bytes", caption="Манай хороо")
    file_id = update["message"]["photo"][-1]["file_id"]
    _, body = await api("getFile", file_id=file_id)
    path = body["result"]["file_path"]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.base_url}/file/bot{TOKEN}/{path}") as response,
    ):
        assert await response.read() == b"photo-bytes"
    assert (await api("sendPhoto", chat_id=2, photo=file_id))[0] == 200
    status, body = await api("sendPhoto", chat_id=2, photo="no-such-file")
    assert body["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
    for builder in (
        lambda: fake.user_sends_document(USER, b"doc"),
        lambda: fake.user_sends_sticker(USER),
        lambda: fake.user_sends_location(USER, 47.92, 106.92),
        lambda: fake.user_sends_contact(USER, "+97699112233"),
        lambda: fake.user_sends_voice(USER),
    ):
        assert "message" in builder()
    inline = fake.user_inline_query(USER, "ногоон")
    result = {
        "type": "article",
        "id": "1",
        "title": "t",
        "input_message_content": {"message_text": "m"},
    }
    status, body = await api(
        "answerInlineQuery", inline_query_id=inline["inline_query"]["id"], results=[result]
    )
    assert status == 200, body


async def test_polls_stop_and_collect_answers(fake: FakeTelegram, api: Api) -> None:
    options = [{"text": "Тийм"}, {"text": "Үгүй"}]
    _, body = await api("sendPoll", chat_id=USER, question="?", options=options, is_anonymous=False)
    poll_message = body["result"]
    update = fake.user_answers_poll(2002, poll_message, [1])
    assert update["poll_answer"]["option_ids"] == [1]
    status, body = await api("stopPoll", chat_id=USER, message_id=poll_message["message_id"])
    assert status == 200
    assert body["result"]["is_closed"] is True
    assert [option["voter_count"] for option in body["result"]["options"]] == [0, 1]


async def test_commands_are_stored_per_scope_and_language(api: Api) -> None:
    commands = [{"command": "start", "description": "Эхлэх"}]
    assert (await api("setMyCommands", commands=commands, language_code="mn"))[0] == 200
    assert (await api("getMyCommands", language_code="mn"))[1]["result"] == commands
    assert (await api("getMyCommands"))[1]["result"] == []
    status, _ = await api("setMyCommands", commands=[{"command": "Start", "description": "x"}])
    assert status == 400


async def test_a_chat_scope_needs_a_chat_id(api: Api) -> None:
    commands = [{"command": "review", "description": "Хянах"}]
    chat = {"type": "chat", "chat_id": USER}
    assert (await api("setMyCommands", commands=commands, scope=chat))[0] == 200
    assert (await api("getMyCommands", scope=chat))[1]["result"] == commands
    assert (await api("getMyCommands"))[1]["result"] == []  # the default scope is apart
    for scope in ({"type": "chat"}, {"type": "everyone"}):
        assert (await api("setMyCommands", commands=commands, scope=scope))[0] == 400


# -- fault injection --------------------------------------------------------------------------


async def test_fail_next_forbid_chats_and_rate_limit() -> None:
    clock = [100.0]
    async with FakeTelegram(TOKEN, clock=lambda: clock[0]) as fake, aiohttp.ClientSession() as s:

        async def send(chat: int) -> tuple[int, dict[str, Any]]:
            url = f"{fake.base_url}/bot{TOKEN}/sendMessage"
            async with s.post(url, json={"chat_id": chat, "text": "x"}) as response:
                return response.status, await response.json()

        fake.fail_next("sendMessage", 429, retry_after=3)
        fake.fail_next("SENDMESSAGE", 400, chat_id=7, times=2)
        fake.forbid_chats({8})
        assert await send(1) == (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 3",
                "parameters": {"retry_after": 3},
            },
        )
        assert (await send(1))[0] == 200
        assert [(await send(7))[1]["description"] for _ in range(2)] == [
            "Bad Request: chat not found"
        ] * 2
        assert (await send(7))[0] == 200
        assert (await send(8))[1]["description"] == "Forbidden: bot was blocked by the user"
        fake.fail_next("sendMessage", 500)
        assert (await send(1))[0] == 500
        assert len(fake.faulted) == 5 and fake.rejected == []

        fake.rate_limit(per_second=2)
        assert [(await send(1))[0] for _ in range(3)] == [200, 200, 429]
        clock[0] += 1.0  # the window slides on
        assert (await send(1))[0] == 200
        fake.rate_limit(None, per_chat=1)
        clock[0] += 1.0
        assert [(await send(chat))[0] for chat in (1, 2, 1)] == [200, 200, 429]
        fake.rate_limit(None)
        assert (await send(1))[0] == 200


async def test_wait_for_reports_recent_calls_on_timeout(fake: FakeTelegram, api: Api) -> None:
    await api("getMe")
    with pytest.raises(AssertionError, match="getMe"):
        await fake.wait_for(lambda: False, timeout=0.01)


# -- without the spec file --------------------------------------------------------------------


async def test_works_without_the_spec_file() -> None:
    async with (
        FakeTelegram(TOKEN, use_spec_file=False) as fake,
        aiohttp.ClientSession() as session,
    ):
        assert fake.spec.builtin
        url = f"{fake.base_url}/bot{TOKEN}/"
        async with session.post(url + "sendMessage", json={"chat_id": 1, "text": "a"}) as r:
            assert r.status == 200
        async with session.post(url + "sendMessage", json={"chat_id": 1}) as r:
            assert (await r.json())["description"] == "Bad Request: message text is empty"
        big = {"chat_id": 1, "text": "a", "reply_markup": keyboard("x" * 65)}
        async with session.post(url + "sendMessage", json=big) as r:
            assert r.status == 400
        async with session.post(url + "sendMessage", json={"chat_id": 1, "text": "<b>"}) as r:
            assert r.status == 200  # no parse_mode: plain text
        html = {"chat_id": 1, "text": "<b>", "parse_mode": "HTML"}
        async with session.post(url + "sendMessage", json=html) as r:
            assert r.status == 400
        async with session.post(url + "setMyDescription", json={}) as r:
            assert r.status == 404


# -- real clients -----------------------------------------------------------------------------


def spec_or_skip() -> Spec:
    """Return the spec, or skip the test when the file is absent."""
    spec = load_spec()
    if spec is None:
        pytest.skip("Bot API spec file absent (../shared/telegram/bot-api-spec.json)")
    return spec


async def test_real_aiogram_bot_round_trip(fake: FakeTelegram) -> None:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import (
        BufferedInputFile,
        InlineKeyboardButton,
        InlineKeyboardMarkup,
        InputMediaPhoto,
        InputPollOption,
    )

    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    bot = Bot(TOKEN, session=session)
    try:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Тийм", callback_data="vote:1")]]
        )
        me = await bot.get_me()
        assert me.username == "khoroo_test_bot"
        message = await bot.send_message(
            USER, "<b>Сайн уу</b>", parse_mode="HTML", reply_markup=markup
        )
        assert message.text == "Сайн уу"
        assert message.reply_markup is not None
        assert message.reply_markup.inline_keyboard[0][0].callback_data == "vote:1"
        edited = await bot.edit_message_text(
            "Баярлалаа", chat_id=USER, message_id=message.message_id, reply_markup=markup
        )
        assert not isinstance(edited, bool) and edited.text == "Баярлалаа"
        photo = await bot.send_photo(USER, BufferedInputFile(b"jpeg", "p.jpg"), caption="Зураг")
        assert photo.photo and photo.caption == "Зураг"
        document = await bot.send_document(USER, BufferedInputFile(b"%PDF", "report.pdf"))
        assert document.document and document.document.file_name == "report.pdf"
        group = await bot.send_media_group(
            USER,
            [
                InputMediaPhoto(media=BufferedInputFile(b"1", "1.jpg")),
                InputMediaPhoto(media=photo.photo[-1].file_id, caption="2"),
            ],
        )
        assert len({item.media_group_id for item in group}) == 1
        poll = await bot.send_poll(
            USER, "Аль нь?", [InputPollOption(text="A"), "B"], is_anonymous=False
        )
        assert poll.poll and [o.text for o in poll.poll.options] == ["A", "B"]
        update = fake.user_presses(USER, fake.sent_messages(USER)[0], "vote:1")
        assert await bot.answer_callback_query(update["callback_query"]["id"], text="OK")
        stopped = await bot.stop_poll(USER, poll.message_id)
        assert stopped.is_closed
        await bot.send_chat_action(USER, "typing")
    finally:
        await bot.session.close()
    assert fake.rejected == []
    assert fake.calls("sendPhoto")[0].files == {"photo": b"jpeg"}
    assert check_against_spec(fake.calls) == []


async def test_real_ptb_bot_round_trip(fake: FakeTelegram) -> None:
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto

    bot = Bot(TOKEN, base_url=f"{fake.base_url}/bot", base_file_url=fake.file_base_url)
    async with bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Тийм", callback_data="vote:1")]])
        assert bot.username == "khoroo_test_bot"
        message = await bot.send_message(
            USER, "<i>Сайн уу</i>", parse_mode="HTML", reply_markup=markup
        )
        assert message.text == "Сайн уу" and message.reply_markup == markup
        edited = await bot.edit_message_text(
            "Done", chat_id=USER, message_id=message.message_id, reply_markup=markup
        )
        assert not isinstance(edited, bool) and edited.text == "Done"
        photo = await bot.send_photo(USER, b"jpeg", caption="Зураг", filename="p.jpg")
        assert photo.photo[-1].file_id
        document = await bot.send_document(USER, b"%PDF", filename="report.pdf")
        assert document.document and document.document.file_name == "report.pdf"
        group = await bot.send_media_group(
            USER, [InputMediaPhoto(b"1"), InputMediaPhoto(photo.photo[-1].file_id)]
        )
        assert len(group) == 2
        poll = await bot.send_poll(USER, "Аль нь?", ["A", "B"], is_anonymous=False)
        assert poll.poll and poll.poll.question == "Аль нь?"
        update = fake.user_presses(USER, fake.sent_messages(USER)[0], "vote:1")
        assert await bot.answer_callback_query(update["callback_query"]["id"], text="OK")
        file = await bot.get_file(photo.photo[-1].file_id)
        assert await file.download_as_bytearray() == b"jpeg"
        fake.user_sends(USER, "/start")
        updates = await bot.get_updates(timeout=5)
        assert updates[-1].message and updates[-1].message.text == "/start"
    assert fake.rejected == []
    assert check_against_spec(fake.calls) == []


async def test_results_match_the_spec_types(fake: FakeTelegram, api: Api) -> None:
    spec = spec_or_skip()
    fake.user_sends(USER, "/start")
    _, updates = await api("getUpdates")
    spec.check_value(updates["result"], "Array of Update")
    _, sent = await api(
        "sendMessage", chat_id=USER, text="<b>a</b>", parse_mode="HTML", reply_markup=keyboard("x")
    )
    spec.check_value(sent["result"], "Message")
    options = [{"text": "a"}, {"text": "b"}]
    _, poll = await api("sendPoll", chat_id=USER, question="q", options=options, is_anonymous=False)
    spec.check_value(poll["result"], "Message")
    _, me = await api("getMe")
    spec.check_value(me["result"], "User")
    _, chat = await api("getChat", chat_id=USER)
    spec.check_value(chat["result"], "ChatFullInfo")
    _, info = await api("getWebhookInfo")
    spec.check_value(info["result"], "WebhookInfo")
    sent_message = fake.last_message(USER)
    assert sent_message is not None
    for update in (
        fake.user_presses(USER, fake.sent_messages(USER)[0], "x"),
        fake.user_sends_photo(USER),
        fake.user_sends_document(USER),
        fake.user_sends_sticker(USER),
        fake.user_sends_location(USER, 1.5, 2.5),
        fake.user_sends_contact(USER, "+976"),
        fake.user_sends_voice(USER),
        fake.user_inline_query(USER, "q"),
        fake.user_answers_poll(USER, poll["result"]["poll"]["id"], [0]),
    ):
        spec.check_value(update, "Update")
