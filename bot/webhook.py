"""The webhook server: Telegram's POSTs in, each checked before anything in it is believed.

A request counts only with Telegram's secret header, compared in constant time as bytes.
Bodies that are too large (413), not UTF-8 JSON, nested deeper than any update, or not an
update at all (400) are refused before the bot sees them; none of them can make the server
answer 500 or stop. Both Telegram runtimes serve their webhook with this one server.

The bot may answer an update with one Bot API method call in the response (Telegram performs
it as if requested): the runtime gives one when a button's answer is ready, which saves a
request and its round trip while the user's button spins.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = b"x-telegram-bot-api-secret-token"
# Telegram's updates are a few kilobytes; a message's text is at most 4096 characters.
MAX_BODY = 1 << 20
# Objects and arrays inside objects and arrays: an update nests about eight deep.
MAX_DEPTH = 32
# What setWebhook accepts as a secret_token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class MalformedUpdate(ValueError):
    """The body of a webhook request is not a Telegram update."""


def valid_secret(secret: str) -> bool:
    """Tell whether Telegram would take this as the webhook's secret token."""
    return bool(_SECRET.fullmatch(secret))


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates, the secret it sends back, and where we listen."""

    url: str  # the public HTTPS base address; the webhook's path is added
    secret: str
    host: str = "127.0.0.1"
    port: int = 8080

    def __post_init__(self) -> None:
        if not valid_secret(self.secret):
            raise ValueError(
                "the webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )

    @property
    def endpoint(self) -> str:
        """Return the address given to setWebhook."""
        return self.url.rstrip("/") + WEBHOOK_PATH


def parse_update(body: bytes) -> dict[str, Any]:
    """Return the update in a request body, or raise MalformedUpdate saying what is wrong."""
    try:
        update = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedUpdate("the body is not UTF-8") from None
    except RecursionError:
        raise MalformedUpdate("the JSON is nested too deeply") from None
    except ValueError:
        raise MalformedUpdate("the body is not JSON") from None
    if not isinstance(update, dict):
        raise MalformedUpdate("the JSON is not an object")
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        raise MalformedUpdate("the update has no update_id")
    if _depth(update) > MAX_DEPTH:
        raise MalformedUpdate("the JSON is nested too deeply")
    return update


def _depth(value: Any) -> int:
    """Return how deeply objects and arrays nest in a parsed JSON value (without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class WebhookServer:
    """Serve Telegram's webhook and /healthz on one port; hand each checked update on."""

    def __init__(
        self, feed: Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]], secret: str
    ) -> None:
        if not valid_secret(secret):
            raise ValueError("a webhook needs a secret token")
        self.feed = feed
        self._secret = secret.encode("ascii")
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        """Build the aiohttp application (its body limit answers 413 to larger bodies)."""
        application = web.Application(client_max_size=MAX_BODY)
        application.router.add_post(WEBHOOK_PATH, self.receive)
        application.router.add_get("/healthz", _healthz)
        return application

    async def start(self, host: str, port: int) -> None:
        """Listen on the host and port."""
        # No access log: a line per update costs time in a burst and says nothing new.
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        log.info("webhook listening on %s:%s", host, port)

    async def stop(self) -> None:
        """Stop listening; requests in progress finish first."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    def authentic(self, request: web.Request) -> bool:
        """Tell whether the request carries exactly our secret (bytes, constant time)."""
        given = [value for name, value in request.raw_headers if name.lower() == SECRET_HEADER]
        return len(given) == 1 and hmac.compare_digest(given[0], self._secret)

    async def receive(self, request: web.Request) -> web.Response:
        """Check one POST from Telegram, handle the update in it, then answer (maybe a call)."""
        if not self.authentic(request):
            log.warning("webhook: refused a request without the right secret")
            return web.Response(status=401, text="unauthorized")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413, text="too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="too large")
        try:
            call = await self.feed(parse_update(body))
        except MalformedUpdate as error:
            log.info("webhook: refused a malformed update: %s", error)
            return web.Response(status=400, text=str(error))
        if call is not None:  # a method call for Telegram to perform
            return web.json_response(call)
        return web.Response(status=200)


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})
