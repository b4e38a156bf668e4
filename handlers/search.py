"""Search practices the way officers type, browse "Most adopted" and "Recently shared", inline.

The query, the list shown, the filters and the page live in ``ctx.data["search"]``, so the
buttons carry ids only: a page of the current list, a practice to open, a list to switch to
(``adopted``/``recent``), a tool (new search, the filter screen, cycle the status, clear the
filters), a filter's choices, and one choice (None: any). Deep link ``/start p_<id>`` (from
an inline result) opens a card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from handlers import adoption, limits, menu, validators
from handlers.callbacks import Callback, MaxBytes, parse_int
from handlers.context import Context
from handlers.dispatcher import SCREEN, Router
from handlers.html import Html, plain, truncate
from handlers.messages import AnswerInline, Button, InlineResult, Keyboard, Kind, rows
from handlers.practice_card import (
    SearchOpen,
    place,
    render_card,
    short_title,
    stored_card,
    texts_for,
)
from handlers.steps import Answer, Form, FormRun, Prompt, Step
from knowledge.search import Filters
from storage.adoptions import Adoptions, Narrowing
from storage.models import Practice
from storage.practices import CATEGORIES, SHARED, Practices
from storage.units import Units

PER_PAGE = 10
# Inline answers are paged with next_offset; Telegram takes at most 50 results per answer.
INLINE_PAGE = min(20, limits.INLINE_RESULTS.maximum)
LISTS = ("adopted", "recent")
QUERY = "query"  # the mode of a typed search, beside the lists
QUERY_LENGTH = (2, 200)
RESULTS = "results"  # the screen a typed text searches again from
# The status filter cycles: every shared practice, then selected only, then approved only.
STATUS_CYCLE = (None, "selected", "approved")
Filter = Literal["district", "category", "year"]
# The saved state's keys were single letters before; a search saved then still loads.
_OLD_KEYS = {"f": "filters", "m": "mode", "q": "query", "p": "page"}


class SearchPage(Callback, prefix="srp"):
    """A page of the current search or list."""

    page: int


class SearchList(Callback, prefix="srl"):
    """Switch to a list: the most adopted or the recently shared practices."""

    name: Literal["adopted", "recent"]


class SearchTool(Callback, prefix="srt"):
    """A new search, the filter screen, the next status filter, or clearing the filters."""

    action: Literal["new", "filters", "status", "clear"]


class SearchChoices(Callback, prefix="src"):
    """The values of one filter."""

    filter: Filter


class SearchChoose(Callback, prefix="srs"):
    """Choose one value of a filter (None: any)."""

    filter: Filter
    value: Annotated[str, MaxBytes(40)] | None


@dataclass(frozen=True)
class Found:
    """One page of a list: the practices shown, their adoption counts, and the total."""

    practices: list[Practice]
    adoptions: dict[int, int]
    total: int


def state(ctx: Context) -> dict[str, Any]:
    """Return the search state (query, list, filters, page), creating it empty."""
    saved = dict(ctx.data.get("search") or {})
    for old, new in _OLD_KEYS.items():
        if old in saved:
            saved.setdefault(new, saved.pop(old))
    if saved.get("mode") == "q":
        saved["mode"] = QUERY
    saved.setdefault("filters", {})
    ctx.data["search"] = saved
    return saved


def narrowing(ctx: Context) -> Narrowing:
    """Return the chosen filters."""
    chosen = state(ctx)["filters"]
    return Narrowing(
        district=chosen.get("district"),
        category=chosen.get("category"),
        status=chosen.get("status"),
        year=chosen.get("year"),
    )


async def find(ctx: Context, page: int, size: int = PER_PAGE) -> Found:
    """Run the current query or list for one page."""
    saved, chosen = state(ctx), narrowing(ctx)
    offset = (page - 1) * size
    if saved.get("mode") in LISTS:
        rows, total = await Adoptions(ctx.session).shared_page(
            saved["mode"], chosen, limit=size, offset=offset
        )
        return Found([p for p, _ in rows], {p.id: n for p, n in rows}, total)
    return await search_page(ctx, saved.get("query") or "", chosen, size, offset)


async def search_page(ctx: Context, query: str, chosen: Narrowing, size: int, offset: int) -> Found:
    """Search the library and load the practices found, in rank order."""
    filters = Filters(
        district=chosen.district,
        category=chosen.category,
        status=chosen.status or SHARED,
        year=chosen.year,
    )
    result = await ctx.services.library.search(
        ctx.session, query, limit=size, offset=offset, filters=filters
    )
    practices = result.practices
    stats = await Adoptions(ctx.session).stats(p.id for p in practices)
    return Found(practices, {i: s.adoptions for i, s in stats.items()}, result.total)


async def describe_filters(ctx: Context) -> dict[str, str]:
    """Return a label for each filter, "any" when not chosen."""
    chosen, any_value = state(ctx)["filters"], str(ctx.t("search.filter.any"))
    labels = dict.fromkeys(("district", "category", "status", "year"), any_value)
    if chosen.get("district"):
        district = next(
            (d for d in await Units(ctx.session).districts() if d.code == chosen["district"]),
            None,
        )
        labels["district"] = district.name(ctx.language) if district else chosen["district"]
    if chosen.get("category"):
        labels["category"] = str(ctx.t(f"category.{chosen['category']}"))
    labels["status"] = str(ctx.t(f"search.filter.status_{chosen.get('status') or 'shared'}"))
    if chosen.get("year"):
        labels["year"] = str(chosen["year"])
    return labels


async def filters_line(ctx: Context) -> str:
    """Return the line naming the chosen filters, or "" when none is chosen."""
    chosen = state(ctx)["filters"]
    if not any(chosen.values()):
        return ""
    labels = await describe_filters(ctx)
    shown = [
        labels[name] for name in ("district", "category", "status", "year") if chosen.get(name)
    ]
    return str(ctx.t("search.filters_line", filters=" · ".join(shown)))


async def show_results(ctx: Context, page: int = 1, *, edit: bool = True) -> None:
    """Show a page of the current search or list, with paging, filters and the cards' buttons."""
    saved = state(ctx)
    found = await find(ctx, max(page, 1))
    pages = max(1, -(-found.total // PER_PAGE))
    if page > pages:
        page = pages
        found = await find(ctx, page)
    saved["page"] = page
    mode = saved.get("mode") or QUERY
    query = saved.get("query") or ""
    if mode in LISTS:
        header = ctx.t(f"search.list.{mode}", n=found.total)
    else:  # "0 found" and "nothing found" would say the same twice
        header = ctx.t(
            "search.found" if found.total else "search.nothing", query=query, n=found.total
        )
    lines: list[str] = [header]
    narrowed = await filters_line(ctx)
    if narrowed:
        lines.append(narrowed)
    rows: list[tuple[Button, ...]] = []
    if not found.practices:
        if mode in LISTS:
            lines.append(ctx.t("search.list.empty"))
    else:
        lines.append("")
        first = (page - 1) * PER_PAGE + 1
        for number, practice in enumerate(found.practices, start=first):
            lines.append(
                ctx.t(
                    "search.item",
                    number=number,
                    title=practice.title,
                    place=place(ctx.t, ctx.language, practice.district, practice.khoroo_number),
                    n=found.adoptions.get(practice.id, 0),
                )
            )
            rows.append(
                (
                    Button(
                        f"{number}. {short_title(practice.title)}",
                        SearchOpen(practice.id).pack(),
                    ),
                )
            )
        lines.append("")
        lines.append(ctx.t("search.open_hint"))
    if pages > 1:
        paging = []
        if page > 1:
            paging.append(ctx.button("nav.previous", SearchPage(page - 1)))
        paging.append(ctx.button("nav.page", SearchPage(page), page=page, pages=pages))
        if page < pages:
            paging.append(ctx.button("nav.next", SearchPage(page + 1)))
        rows.append(tuple(paging))
    rows.extend(tools(ctx))
    text = Html("\n".join(lines))
    (ctx.show if edit else ctx.send)(text, tuple(rows))
    ctx.data[SCREEN] = RESULTS  # text typed while looking at a list is a new search


async def new_search(ctx: Context) -> bool:
    """Take text typed on a results screen as a new query (the dispatcher's policy)."""
    query = ctx.incoming.text.strip()
    if ctx.incoming.kind is not Kind.TEXT or len(query) < QUERY_LENGTH[0]:
        return False
    saved = state(ctx)
    saved["mode"], saved["query"] = QUERY, query[: QUERY_LENGTH[1]]
    await show_results(ctx, edit=False)
    return True


# "Хог ангилах туршлага байна уу?" asks for practices, not about the methodology: the words
# of the topic are searched. A "how"/"what is" question stays a question for the FAQ.
_PRACTICE = re.compile(r"(?:туршлаг|turshlag)\w*")
_ASKS_FOR = re.compile(
    r"\b(?:байна\s*уу|байгаа\s*юу|бий\s*юу|байдаг\s*уу|байвал|хай\w*|олж\s*өг\w*|харуул\w*"
    r"|baina\s*uu|bii\s*yu|hai\w*)"
)
_ABOUT_METHOD = re.compile(
    r"\b(?:яаж|яах|хэрхэн|гэж\s*юу|гэдэг|юу\s*вэ|ямар\s*ашиг|yaaj|herhen|gej\s*yu)"
)
_FILLER = re.compile(
    r"\b(?:сайн|бусад|хорооны|хороонд|тухай|талаар|ямар|нэг|юм|надад|байна|sain|busad)\b"
)


def practice_request(text: str) -> str | None:
    """Return what to search for when a typed text asks for practices on a topic."""
    lowered = " ".join(text.lower().split())
    if not _PRACTICE.search(lowered) or not _ASKS_FOR.search(lowered):
        return None
    if _ABOUT_METHOD.search(lowered):
        return None
    topic = _FILLER.sub(" ", _ASKS_FOR.sub(" ", _PRACTICE.sub(" ", lowered)))
    topic = " ".join(re.sub(r"[?!.,;:«»\"]+", " ", topic).split())
    return topic if len(topic) >= QUERY_LENGTH[0] else None


async def typed_request(ctx: Context) -> bool:
    """Search when a typed text asks for practices and some are found (else it is a question)."""
    if ctx.incoming.kind is not Kind.TEXT:
        return False
    topic = practice_request(ctx.incoming.text)
    if topic is None:
        return False
    saved = state(ctx)
    before = dict(saved)
    saved["mode"], saved["query"] = QUERY, topic[: QUERY_LENGTH[1]]
    if (await find(ctx, 1, size=1)).total == 0:
        ctx.data["search"] = before  # nothing on that topic: the FAQ and the trainers may help
        return False
    await show_results(ctx, edit=False)
    return True


def tools(ctx: Context) -> Keyboard:
    """Return the rows under every list: filters, a new search, the other lists, the menu."""
    count = sum(1 for value in state(ctx)["filters"].values() if value)
    filters = (
        ctx.button("search.filters_button_n", SearchTool("filters"), n=count)
        if count
        else ctx.button("search.filters_button", SearchTool("filters"))
    )
    lists = (
        ctx.button("search.adopted_button", SearchList("adopted")),
        ctx.button("search.recent_button", SearchList("recent")),
    )
    return (
        (filters, ctx.button("search.new_button", SearchTool("new"))),
        lists,
        (ctx.button("nav.menu", menu.HOME),),
    )


async def show_filters(ctx: Context) -> None:
    """Show the filter screen: one button per filter, clearing, and back to the results."""
    labels = await describe_filters(ctx)
    chosen = state(ctx)["filters"]
    rows: list[tuple[Button, ...]] = [
        (
            ctx.button(
                "search.filter.district", SearchChoices("district"), value=labels["district"]
            ),
        ),
        (
            ctx.button(
                "search.filter.category", SearchChoices("category"), value=labels["category"]
            ),
        ),
        (ctx.button("search.filter.status", SearchTool("status"), value=labels["status"]),),
        (ctx.button("search.filter.year", SearchChoices("year"), value=labels["year"]),),
    ]
    if any(chosen.values()):
        rows.append((ctx.button("search.filter.clear", SearchTool("clear")),))
    rows.append((ctx.button("search.filter.show", SearchPage(1)),))
    ctx.show(ctx.t("search.filter.title"), tuple(rows))


async def show_choices(ctx: Context, name: Filter) -> None:
    """List the values of one filter (district, category or year) as buttons."""
    choices: list[tuple[str, str]]
    if name == "district":
        choices = [(d.code, d.name(ctx.language)) for d in await Units(ctx.session).districts()]
    elif name == "category":
        choices = [(c, str(ctx.t(f"category.{c}"))) for c in CATEGORIES]
    else:
        choices = [(str(y), str(y)) for y in await Adoptions(ctx.session).shared_years()]
    buttons = [Button(label, SearchChoose(name, value).pack()) for value, label in choices]
    keyboard = (
        *rows(buttons, 2),
        (ctx.button("search.filter.any", SearchChoose(name, None)),),
        (ctx.button("nav.back", SearchTool("filters")),),
    )
    ctx.show(ctx.t(f"search.filter.choose_{name}"), keyboard)


def choose(ctx: Context, name: Filter, value: str | None) -> bool:
    """Set one filter from a pressed choice; tell whether the value was a valid one."""
    chosen = state(ctx)["filters"]
    if value is None:
        chosen.pop(name, None)
        return True
    if name == "category" and value not in CATEGORIES:
        return False
    if name == "year":
        year = parse_int(value)
        if year is None:
            return False
        chosen[name] = year
    else:
        chosen[name] = value
    return True


SearchPress = SearchPage | SearchOpen | SearchList | SearchTool | SearchChoices | SearchChoose


async def on_search(ctx: Context, press: SearchPress) -> None:
    """Handle the results' and filters' buttons."""
    saved = state(ctx)
    match press:
        case SearchOpen(practice=practice_id):
            await open_practice(ctx, practice_id)
            return
        case SearchChoose(filter=name, value=value) if not choose(ctx, name, value):
            ctx.answer(ctx.t("error.outdated_button"))
            return
    ctx.answer()
    match press:
        case SearchPage(page=page):
            await show_results(ctx, max(page, 1))
        case SearchList(name=listed):
            saved["mode"] = listed
            await show_results(ctx)
        case SearchTool(action="new"):
            await FORM.begin(ctx, fresh=True)
        case SearchTool(action="status"):
            current = saved["filters"].get("status")
            position = STATUS_CYCLE.index(current) if current in STATUS_CYCLE else 0
            saved["filters"]["status"] = STATUS_CYCLE[(position + 1) % len(STATUS_CYCLE)]
            await show_filters(ctx)
        case SearchTool(action="clear"):
            saved["filters"] = {}
            await show_filters(ctx)
        case SearchChoices(filter=name):
            await show_choices(ctx, name)
        case _:  # the filter screen, also after a choice
            await show_filters(ctx)


async def open_practice(ctx: Context, practice_id: int) -> None:
    """Open a shared practice's card from a list, with what the user can do with it."""
    practice = await Practices(ctx.session).get(practice_id)
    if practice is None or practice.status not in SHARED:
        ctx.answer(ctx.t("search.gone"), alert=True)
        return
    ctx.answer()
    back = ctx.button("search.back", SearchPage(state(ctx).get("page") or 1))
    await adoption.send_practice(ctx, practice, back=back if state(ctx).get("mode") else None)


# -- the query prompt: a one-step form, so typed text is the query only while it is asked --


async def ask_query(ctx: Context, run: FormRun) -> Prompt:
    """Ask what to look for; offer the lists and the filters too."""
    text = ctx.t("search.prompt")
    narrowed = await filters_line(ctx)
    if narrowed:
        text = Html(f"{text}\n{narrowed}")
    return Prompt(
        text,
        (
            tuple(ctx.button(f"search.{name}_button", FORM.data("query", name)) for name in LISTS),
            (ctx.button("search.filters_button", SearchTool("filters")),),
        ),
    )


async def accept_query(ctx: Context, run: FormRun, answer: Answer) -> dict[str, str]:
    """Take a typed query, or a list chosen instead."""
    if answer.choice in LISTS:
        return {"mode": answer.choice}
    query = validators.text(answer, QUERY_LENGTH[0], None)
    maximum = QUERY_LENGTH[1]
    return {"mode": QUERY, "query": query[:maximum]}


async def finish_query(ctx: Context, run: FormRun) -> None:
    """Show the first page of what was asked for."""
    chosen = run.get("query") or {}
    saved = state(ctx)
    # A query answered before the keys were named still reads ("m" and "q").
    mode = chosen.get("mode", chosen.get("m", QUERY))
    saved["mode"] = QUERY if mode == "q" else mode
    saved["query"] = chosen.get("query", chosen.get("q", ""))
    await show_results(ctx, edit=ctx.incoming.callback_data is not None)


FORM = Form("search", "flow.search", [Step("query", ask_query, accept_query)], finish_query)


async def search_menu(ctx: Context) -> None:
    """Open "Search practices" from the main menu."""
    await FORM.begin(ctx, fresh=True)


async def search_command(ctx: Context) -> None:
    """Search at once with ``/search words``, or ask what to look for."""
    query = ctx.incoming.args.strip()
    if len(query) < QUERY_LENGTH[0]:
        await FORM.begin(ctx, fresh=True, edit=False)
        return
    if ctx.state.flow == FORM.name:
        FORM.discard(ctx)
    saved = state(ctx)
    saved["mode"], saved["query"] = QUERY, query[: QUERY_LENGTH[1]]
    await show_results(ctx, edit=False)


async def open_from_link(ctx: Context) -> None:
    """Open the practice a deep link names (``/start p_<id>``, from an inline result)."""
    argument = str(ctx.data.pop("start_argument", ""))
    practice = await Practices(ctx.session).get(int(argument)) if argument.isdigit() else None
    if practice is None or practice.status not in SHARED:
        ctx.send(ctx.t("search.gone"))
        return
    await adoption.send_practice(ctx, practice)


# -- inline mode: "@bot words" in any chat --


async def inline_query(ctx: Context) -> None:
    """Answer an inline query with matching practices as articles, paged by offset."""
    incoming = ctx.incoming
    if incoming.query_id is None:
        return
    query = incoming.text.strip()[: QUERY_LENGTH[1]]
    offset = int(incoming.inline_offset) if incoming.inline_offset.isdigit() else 0
    if query:
        found = await search_page(ctx, query, Narrowing(), INLINE_PAGE, offset)
    else:
        rows, total = await Adoptions(ctx.session).shared_page(
            "recent", Narrowing(), limit=INLINE_PAGE, offset=offset
        )
        found = Found([p for p, _ in rows], {}, total)
    results = [await inline_result(ctx, practice) for practice in found.practices]
    following = offset + len(found.practices)
    next_offset = str(following) if found.practices and following < found.total else ""
    ctx.replies.append(AnswerInline(incoming.query_id, tuple(results), next_offset))


async def inline_result(ctx: Context, practice: Practice) -> InlineResult:
    """Return a practice as an inline article: the card is the message it posts."""
    card = await stored_card(ctx.session, practice)
    t = texts_for(ctx)
    text = truncate(render_card(t, ctx.language, card))
    buttons: Keyboard = ()
    if ctx.services.bot_username:
        link = f"https://t.me/{ctx.services.bot_username}?start=p_{practice.id}"
        buttons = ((Button(ctx.t("search.open_in_bot"), url=link),),)
    where = place(t, ctx.language, practice.district, practice.khoroo_number)
    return InlineResult(
        id=str(practice.id),
        title=short_title(practice.title, 100),
        description=plain(f"{where} · {ctx.t(f'category.{practice.category}')}"),
        text=text,
        buttons=buttons,
    )


def register(router: Router) -> None:
    """Add search, the lists, inline mode and the card deep link to the router."""
    router.form(FORM)
    router.menu["search"] = search_menu
    router.commands["search"] = search_command
    router.button(SearchPage, on_search)
    router.button(SearchOpen, on_search)
    router.button(SearchList, on_search)
    router.button(SearchTool, on_search)
    router.button(SearchChoices, on_search)
    router.button(SearchChoose, on_search)
    router.start_payloads["p"] = open_from_link
    router.screens[RESULTS] = new_search
    router.texts.append(typed_request)
    router.inline = inline_query
