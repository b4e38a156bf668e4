"""The practice card: one rendering for the preview, reviewers, "My practices" and search.

The text is HTML with every user-written part escaped; ``Context.send`` splits a long card
at paragraph boundaries. Photos go first as an album (or a single photo), documents one by
one, then the text with the buttons, so the buttons stay at the bottom of the chat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import limits
from handlers.callbacks import Callback
from handlers.context import Context
from handlers.html import Html, escape
from handlers.messages import Keyboard, SendAlbum, SendDocument, SendPhoto
from storage.adoptions import Adoptions, Stats
from storage.models import District, Practice

Texts = Callable[..., Html]


# The records of buttons that open a practice; several flows put them on their messages.


class SearchOpen(Callback, prefix="sro"):
    """Open a shared practice's card."""

    practice: int


class MinePress(Callback, prefix="mine"):
    """A button of "My practices": a page, a practice to open or revise, or the revision."""

    action: Literal["p", "o", "e", "rv"]
    number: int | None = None  # the page, or the practice's id


@dataclass(frozen=True)
class CardFile:
    """An attachment as the card shows it."""

    kind: str
    file_id: str
    file_name: str | None = None


@dataclass(frozen=True)
class Card:
    """What a practice card shows, from a stored practice or from a draft."""

    title: str
    category: str
    problem: str
    solution: str
    results: str
    status: str
    district: District | None = None
    khoroo: int | None = None
    resources: str | None = None
    partners: str | None = None
    contact: str | None = None
    year: int | None = None
    adoptions: int = 0
    rated: int = 0  # how many adopting khoroos evaluated it
    rating: float | None = None  # their average rating, 1-5
    comment: str | None = None  # the reviewer's words when it was returned or rejected
    files: tuple[CardFile, ...] = field(default_factory=tuple)


def card_of(practice: Practice) -> Card:
    """Build the card of a stored practice."""
    comment = None
    if practice.status in ("returned", "rejected") and practice.reviews:
        comment = practice.reviews[-1].comment
    return Card(
        title=practice.title,
        category=practice.category,
        problem=practice.problem,
        solution=practice.solution,
        results=practice.results,
        status=practice.status,
        district=practice.district,
        khoroo=practice.khoroo_number,
        resources=practice.resources,
        partners=practice.partners,
        contact=practice.contact,
        year=practice.year,
        comment=comment,
        files=tuple(CardFile(a.kind, a.file_id, a.file_name) for a in practice.attachments),
    )


async def stored_card(session: AsyncSession, practice: Practice) -> Card:
    """Build the card of a stored practice with how many khoroos adopted it and their rating."""
    stats = (await Adoptions(session).stats((practice.id,))).get(practice.id, Stats())
    return replace(
        card_of(practice), adoptions=stats.adoptions, rated=stats.rated, rating=stats.average
    )


def draft_card(values: dict[str, Any], district: District | None, khoroo: int | None) -> Card:
    """Build the card of a draft's answers (missing answers show as empty)."""
    return Card(
        title=values.get("title") or "",
        category=values.get("category") or "other",
        problem=values.get("problem") or "",
        solution=values.get("solution") or "",
        results=values.get("results") or "",
        status="draft",
        district=district,
        khoroo=khoroo,
        resources=values.get("resources"),
        partners=values.get("partners"),
        contact=values.get("contact"),
        files=tuple(
            CardFile(f["kind"], f["file_id"], f.get("file_name")) for f in values.get("files") or ()
        ),
    )


def texts_for(ctx: Context, language: str | None = None) -> Texts:
    """Return a catalogue text function for a language (default: the user's)."""
    catalogue, chosen = ctx.services.catalogue, language or ctx.language

    def render(key: str, /, **values: Any) -> Html:
        return catalogue.text(chosen, key, **values)

    return render


def place(t: Texts, language: str, district: District | None, khoroo: int | None) -> Html:
    """Return "district, khoroo" as the card and lists show it."""
    if district is None:
        return t("card.no_place")
    name = district.name(language)
    if khoroo is None:
        return t("card.district_only", district=name)
    return t("card.place", district=name, khoroo=khoroo)


def render_card(t: Texts, language: str, card: Card) -> Html:
    """Render a card as HTML; every value written by a user is escaped."""
    parts = [
        t("card.title", title=card.title),
        t("card.where", place=place(t, language, card.district, card.khoroo)),
        t("card.category", category=t(f"category.{card.category}")),
    ]
    if card.year:
        parts.append(t("card.year", year=str(card.year)))
    body = [
        t("card.problem", text=card.problem),
        t("card.solution", text=card.solution),
        t("card.results", text=card.results),
    ]
    if card.resources:
        body.append(t("card.resources", text=card.resources))
    if card.partners:
        body.append(t("card.partners", text=card.partners))
    footer = []
    if card.contact:
        footer.append(t("card.contact", text=card.contact))
    footer.append(t("card.status", status=t(f"status.{card.status}")))
    if card.status in ("approved", "selected"):
        footer.append(t("card.adoptions", n=card.adoptions))
        if card.rating is not None:
            footer.append(t("card.rating", rating=f"{card.rating:.1f}", n=card.rated))
    if card.files:
        photos = sum(1 for f in card.files if f.kind == "photo")
        footer.append(
            t("card.files", photos=photos, documents=len(card.files) - photos, n=len(card.files))
        )
    if card.comment:
        footer.append(t("card.comment", text=card.comment))
    return Html("\n\n".join(["\n".join(parts), *body, "\n".join(footer)]))


def media_replies(card: Card, *, chat_id: int | None = None) -> list[Any]:
    """Return the replies that send a card's photos (albums of up to 10) and documents."""
    caption = escape(card.title)  # titles are at most 200 characters: within a caption
    replies: list[Any] = []
    photos = [f.file_id for f in card.files if f.kind == "photo"]
    size = limits.MEDIA_GROUP.maximum
    for start in range(0, len(photos), size):
        group = photos[start : start + size]
        if len(group) == 1:
            replies.append(SendPhoto(group[0], caption=caption, chat_id=chat_id))
        else:
            replies.append(SendAlbum(tuple(group), caption=caption, chat_id=chat_id))
    for document in (f for f in card.files if f.kind != "photo"):
        replies.append(
            SendDocument(
                document.file_id,
                filename=document.file_name or "file",
                caption=caption,
                chat_id=chat_id,
            )
        )
    return replies


def send_card(
    ctx: Context,
    card: Card,
    buttons: Keyboard = (),
    *,
    chat_id: int | None = None,
    language: str | None = None,
    media: bool = True,
) -> None:
    """Send a card: its attachments, then its text (split when long) with the buttons."""
    chosen = language or ctx.language
    if media:
        ctx.replies.extend(media_replies(card, chat_id=chat_id))
    ctx.send(render_card(texts_for(ctx, chosen), chosen, card), buttons, chat_id=chat_id)


def short_title(title: str, size: int = 40) -> str:
    """Return a title short enough for a button label."""
    return title if len(title) <= size else title[: size - 1].rstrip() + "…"
