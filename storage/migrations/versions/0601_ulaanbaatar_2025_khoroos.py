"""Ulaanbaatar's 2025 khoroos: 152 (2019) -> 204

Revision ID: 0601
Revises: 0600
Create Date: 2026-12-03 09:55:00

Adds the khoroos (and any missing district) of the capital's 2025 division to a database
that holds Ulaanbaatar's districts, and the districts' usual abbreviations (БЗД) for
matching what people type. Only khoroo and district rows change: no user, practice, adoption or
announcement changes, and no khoroo is removed or renumbered (new khoroos get the numbers
after a district's last one). A database with other units (aimags, or districts this list
does not know) is left alone, and so is an empty one (the first start loads the seed file).
The figures are frozen here, not read from storage/seed/units.yaml, so this revision does
the same thing whenever it runs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0601"
down_revision: str | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# code, Mongolian name, English name, khoroos as of 2025, abbreviation (in display order).
ULAANBAATAR_2025 = (
    ("baganuur", "Багануур", "Baganuur", 5, "БНД"),
    ("bagakhangai", "Багахангай", "Bagakhangai", 2, "БХД"),
    ("bayangol", "Баянгол", "Bayangol", 34, "БГД"),
    ("bayanzurkh", "Баянзүрх", "Bayanzürkh", 43, "БЗД"),
    ("nalaikh", "Налайх", "Nalaikh", 8, "НД"),
    ("songinokhairkhan", "Сонгинохайрхан", "Songinokhairkhan", 43, "СХД"),
    ("sukhbaatar", "Сүхбаатар", "Sükhbaatar", 20, "СБД"),
    ("khan-uul", "Хан-Уул", "Khan-Uul", 25, "ХУД"),
    ("chingeltei", "Чингэлтэй", "Chingeltei", 24, "ЧД"),
)

districts = sa.table(
    "districts",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name_mn", sa.String),
    sa.column("name_en", sa.String),
    sa.column("position", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("aliases", sa.JSON),
)
khoroos = sa.table(
    "khoroos",
    sa.column("district_id", sa.Integer),
    sa.column("number", sa.Integer),
)


def upgrade() -> None:
    """Apply this revision."""
    connection = op.get_bind()
    existing = {
        row.code: row
        for row in connection.execute(sa.select(districts.c.id, districts.c.code, districts.c.kind))
    }
    known = {entry[0] for entry in ULAANBAATAR_2025}
    if not existing or not set(existing) <= known:
        return
    if any(row.kind != "district" for row in existing.values()):
        return
    for position, (code, name_mn, name_en, count, alias) in enumerate(ULAANBAATAR_2025):
        row = existing.get(code)
        if row is None:
            connection.execute(
                sa.insert(districts).values(
                    code=code, name_mn=name_mn, name_en=name_en, position=position, aliases=[alias]
                )
            )
            district_id = connection.execute(
                sa.select(districts.c.id).where(districts.c.code == code)
            ).scalar_one()
        else:
            district_id = row.id
            connection.execute(
                sa.update(districts).where(districts.c.id == district_id).values(aliases=[alias])
            )
        have = {
            number
            for (number,) in connection.execute(
                sa.select(khoroos.c.number).where(khoroos.c.district_id == district_id)
            )
        }
        missing = [n for n in range(1, count + 1) if n not in have]
        if missing:
            op.bulk_insert(khoroos, [{"district_id": district_id, "number": n} for n in missing])


def downgrade() -> None:
    """Keep the khoroos: officers may already have registered in the new ones."""
