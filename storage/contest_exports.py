"""A round's results as files: an XLSX workbook and a PNG chart of the totals.

Every text cell goes through storage.csv_safe.neutralise and is stored as text, so a
practice title or a juror's comment starting with "=" is never run as a formula.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.contest import Criterion
from storage.contest_judging import Judging, RoundResult
from storage.csv_safe import neutralise
from storage.models import ContestRound, Practice, User
from storage.peer_ranking import PeerRanking

if TYPE_CHECKING:  # openpyxl and matplotlib are imported only when a file is made
    from openpyxl.worksheet.worksheet import Worksheet

# Column headings of the workbook, per language (the officers' first, as everywhere).
HEADINGS: dict[str, dict[str, str]] = {
    "mn": {
        "rank": "Байр",
        "practice": "Туршлагын дугаар",
        "title": "Нэр",
        "district": "Дүүрэг",
        "khoroo": "Хороо",
        "total": "Нийт оноо (жинлэсэн, 100-аас)",
        "jury": "Шүүгчдийн оноо (100-аас)",
        "peer": "Хороодын эрэмбийн оноо (100-аас)",
        "top": "5 онооны тоо",
        "juror_total": "Шүүгчийн жинлэсэн оноо",
        "comment": "Тайлбар",
        "juror": "Шүүгч",
        "officer": "Илгээсэн ажилтан",
        "order": "Эрэмбэ (эхнийх нь шилдэг)",
        "round": "Шат",
        "year": "Он",
        "jurors": "Шүүгчдийн тоо",
        "agreement": "Шүүгчдийн санал нийлэлт (Kendall's W)",
        "peer_share": "Хороодын эрэмбийн жин (%)",
        "entries": "Гинжин бүртгэлийн бичлэг",
        "head": "Гинжийн сүүлийн hash (шатны)",
        "year_head": "Оны hash (нийтэлсэн дүнд)",
        "check": "Шалгах: khoroo-bot contest verify",
        "chart": "Нийт оноо",
    },
    "en": {
        "rank": "Rank",
        "practice": "Practice id",
        "title": "Title",
        "district": "District",
        "khoroo": "Khoroo",
        "total": "Total (weighted, of 100)",
        "jury": "Jury total (of 100)",
        "peer": "Peer score (of 100)",
        "top": "Top marks",
        "juror_total": "Juror's weighted total",
        "comment": "Comment",
        "juror": "Juror",
        "officer": "Submitted by officer",
        "order": "Ranking (best first)",
        "round": "Round",
        "year": "Year",
        "jurors": "Jurors",
        "agreement": "Jury agreement (Kendall's W)",
        "peer_share": "Peer share (%)",
        "entries": "Chain entries",
        "head": "Chain head (round)",
        "year_head": "Year digest (in the published results)",
        "check": "Check with: khoroo-bot contest verify",
        "chart": "Total",
    },
}


def _safe(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


def _append(sheet: Worksheet, row: list[Any]) -> None:
    sheet.append([_safe(v) for v in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # text, whatever it starts with


def _round2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def _practices(session: AsyncSession, ids: list[int]) -> dict[int, Practice]:
    if not ids:
        return {}
    rows = await session.scalars(select(Practice).where(Practice.id.in_(ids)))
    return {p.id: p for p in rows.all()}


def _district(practice: Practice | None, language: str) -> str:
    if practice is None or practice.district is None:
        return ""
    return practice.district.name(language)


async def round_workbook(session: AsyncSession, round_id: int, language: str = "mn") -> bytes:
    """Return a round's XLSX: totals (weighted, per criterion, peer, rank), jurors, chain head."""
    from openpyxl import Workbook

    words = HEADINGS.get(language, HEADINGS["mn"])
    judging = Judging(session)
    result = await judging.results(round_id)
    contest_round = result.round
    criteria = await judging.rubric(contest_round.year)
    practices = await _practices(session, [s.practice for s in result.standings])

    workbook = Workbook()
    totals = workbook.active
    assert totals is not None
    totals.title = "totals"
    _append(
        totals,
        [
            words["rank"],
            words["practice"],
            words["title"],
            words["district"],
            words["khoroo"],
            words["total"],
            words["jury"],
            words["peer"],
            *[c.name(language) for c in criteria],
            words["top"],
        ],
    )
    for standing in result.standings:
        practice = practices.get(standing.practice)
        means = result.means.get(standing.practice, {})
        _append(
            totals,
            [
                standing.rank,
                standing.practice,
                practice.title if practice else "",
                _district(practice, language),
                practice.khoroo_number if practice else None,
                _round2(standing.total),
                _round2(standing.jury_total),
                _round2(result.peer.get(standing.practice)),
                *[_round2(means.get(c.code)) for c in criteria],
                standing.top_marks,
            ],
        )
    _jurors(workbook, await _juror_rows(judging, result, practices), language, criteria)
    await _peer_sheet(session, workbook, round_id, practices, words)
    chain = workbook.create_sheet("chain")
    summary: list[tuple[str, Any]] = [
        (words["round"], f"{contest_round.id} ({contest_round.level})"),
        (words["year"], str(contest_round.year)),
        (words["jurors"], result.jurors),
        (words["agreement"], _round2(result.agreement)),
        (words["peer_share"], contest_round.peer_share),
        (words["entries"], len(await judging.log(round_id))),
        (words["head"], await judging.head(round_id)),
        (words["year_head"], await judging.year_head(contest_round.year)),
        (words["check"], str(contest_round.year)),
    ]
    for label, value in summary:
        _append(chain, [label, value])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def _juror_rows(
    judging: Judging, result: RoundResult, practices: dict[int, Practice]
) -> dict[int, tuple[str, list[list[Any]]]]:
    contest_round: ContestRound = result.round
    criteria = await judging.rubric(contest_round.year)
    scores = await judging.scores(contest_round.id)
    comments = {(c.juror, c.practice): c.text for c in await judging.comments(contest_round.id)}
    weights = sum(c.weight for c in criteria) or 1
    sheets: dict[int, tuple[str, list[list[Any]]]] = {}
    for juror in await judging.jurors(contest_round.id):
        user = await judging.session.get(User, juror)
        name = (user.first_name if user else "") or ""
        marks = {(s.practice, s.criterion): int(s.value) for s in scores if s.juror == juror}
        rows = []
        for practice_id in await judging.sheet(contest_round.id, juror):
            own = [marks.get((practice_id, c.code)) for c in criteria]
            total = None
            if any(m is not None for m in own):
                total = (
                    100
                    * sum(
                        c.weight * (m if m is not None else c.scale_min) / c.scale_max
                        for c, m in zip(criteria, own, strict=True)
                    )
                    / weights
                )
            practice = practices.get(practice_id)
            rows.append(
                [
                    practice_id,
                    practice.title if practice else "",
                    *own,
                    _round2(total),
                    comments.get((juror, practice_id), ""),
                ]
            )
        sheets[juror] = (name, rows)
    return sheets


def _jurors(
    workbook: Any,
    sheets: dict[int, tuple[str, list[list[Any]]]],
    language: str,
    criteria: list[Criterion],
) -> None:
    words = HEADINGS.get(language, HEADINGS["mn"])
    for juror, (name, rows) in sheets.items():
        sheet = workbook.create_sheet(f"juror {juror}")
        _append(sheet, [words["juror"], juror, name])
        _append(
            sheet,
            [
                words["practice"],
                words["title"],
                *[c.name(language) for c in criteria],
                words["juror_total"],
                words["comment"],
            ],
        )
        for row in rows:
            _append(sheet, row)


async def _peer_sheet(
    session: AsyncSession,
    workbook: Any,
    round_id: int,
    practices: dict[int, Practice],
    words: dict[str, str],
) -> None:
    rankings = await PeerRanking(session).rankings(round_id)
    if not rankings:
        return
    sheet = workbook.create_sheet("peer")
    _append(sheet, [words["district"], words["khoroo"], words["officer"], words["order"]])
    for ranking in rankings:
        titles = " > ".join(
            f"{p} {practices[p].title}" if p in practices else str(p) for p in ranking.order
        )
        _append(sheet, [ranking.district_id, ranking.khoroo_number, ranking.officer_id, titles])


async def round_chart(session: AsyncSession, round_id: int, language: str = "mn") -> bytes:
    """Return a PNG bar chart of a round's totals, best first (the jury's and peer parts)."""
    # Imported here: matplotlib is slow to import and only this picture needs it; the
    # Figure API with the Agg canvas draws off-screen, without pyplot's global state.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    words = HEADINGS.get(language, HEADINGS["mn"])
    judging = Judging(session)
    result = await judging.results(round_id)
    scored = [s for s in result.standings if s.total is not None][::-1]  # the best on top
    practices = await _practices(session, [s.practice for s in scored])
    titles = {p: practice.title for p, practice in practices.items()}
    labels = [
        "\n".join(textwrap.wrap(f"{s.rank}. {titles.get(s.practice, s.practice)}", 40))
        for s in scored
    ]
    values = [round(s.total or 0.0, 1) for s in scored]
    height = max(3.0, 0.6 * len(scored) + 1.5)
    figure = Figure(figsize=(10, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bars = axes.barh(range(len(values)), values, color="#2f6fb0")
    axes.set_yticks(range(len(values)), labels, fontfamily="DejaVu Sans", fontsize=10)
    axes.bar_label(bars, padding=4, fontfamily="DejaVu Sans")
    axes.set_xlim(0, 100)
    axes.set_xlabel(words["chart"], fontfamily="DejaVu Sans")
    contest_round = result.round
    where = contest_round.district.name(language) if contest_round.district else ""
    axes.set_title(
        f"{contest_round.year} {words['round']} {contest_round.id} {where}".strip(),
        fontfamily="DejaVu Sans",
        fontsize=13,
    )
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
