"""`kursk-tracker seed`: the demo facts, loaded once, validated, never twice."""

from __future__ import annotations

import csv
import shutil
from datetime import date

import pytest
from sqlalchemy import func, select

from app.accounts.models import AuditEvent
from app.claims.models import Claim, ReviewState
from app.interchange.seed import SeedError, is_empty, seed
from app.settlements.models import Settlement
from app.sources.models import Source
from app.status.models import AreaFigure
from tests.databases import DEMO_DATA
from tests.helpers import DEMO_COUNTS, table_counts


def test_seed_loads_the_demo_data_approved(empty_db):
    with empty_db.writing() as session:
        assert is_empty(session)
        added = seed(session, DEMO_DATA)
    assert dict(added) == DEMO_COUNTS
    assert table_counts(empty_db) == DEMO_COUNTS
    with empty_db.read_session() as session:
        states = set(session.scalars(select(Claim.review_state)))
        assert states == {ReviewState.approved}
        assert session.scalar(select(func.count()).select_from(AuditEvent)) >= 169


def test_seeding_twice_adds_nothing_twice(empty_db):
    with empty_db.writing() as session:
        seed(session, DEMO_DATA)
    with empty_db.writing() as session:
        added = seed(session, DEMO_DATA)
    assert sum(added.values()) == 0
    assert table_counts(empty_db) == DEMO_COUNTS


def test_reference_only_loads_settlements_and_sources(empty_db):
    with empty_db.writing() as session:
        seed(session, DEMO_DATA, reference_only=True)
    assert table_counts(empty_db) == {
        "settlements": 46,
        "sources": 30,
        "claims": 0,
        "area_figures": 0,
    }


def test_settlement_without_coordinates_is_allowed(empty_db):
    with empty_db.writing() as session:
        seed(session, DEMO_DATA, reference_only=True)
    with empty_db.read_session() as session:
        makhnovka = session.scalar(select(Settlement).where(Settlement.slug == "makhnovka"))
        assert makhnovka.lat is None and makhnovka.lon is None
        assert makhnovka.location_precision.value == "unknown"
        gornal = session.scalar(select(Settlement).where(Settlement.slug == "gornal"))
        assert gornal.location_precision.value == "approximate"
        guyevo = session.scalar(select(Settlement).where(Settlement.slug == "guyevo"))
        assert guyevo.location_precision.value == "exact"


@pytest.mark.parametrize(
    ("file", "bad_line", "reason"),
    [
        ("settlements.csv", "atlantis,Atlantis,,,,,Kursk,95.0,35.0,exact", "lat"),
        ("settlements.csv", "halfway,Halfway,,,,,Kursk,51.0,,exact", "lat and lon go together"),
        ("claims.csv", ",sudzha,Sudzha,liberated,2025-03-13,,tass,russia,,unverified,x", "status"),
        ("claims.csv", ",sudzha,Sudzha,contested,2025-02-30,,tass,russia,,unverified,x", "as_of"),
        (
            "claims.csv",
            ",sudzha,Sudzha,contested,2025-03-13,,tass,russia,javascript:alert(1),unverified,x",
            "source_url",
        ),
        (
            "claims.csv",
            ",atlantis,Atlantis,contested,2025-03-13,,tass,russia,,unverified,x",
            "unknown settlement",
        ),
    ],
)
def test_a_bad_row_stores_nothing_and_names_the_line(empty_db, tmp_path, file, bad_line, reason):
    data = tmp_path / "data"
    shutil.copytree(DEMO_DATA, data)
    with (data / file).open("a", encoding="utf-8") as f:
        f.write(bad_line + "\n")
    lines = (data / file).read_text(encoding="utf-8").count("\n")
    with pytest.raises(SeedError) as error, empty_db.writing() as session:
        seed(session, data)
    assert f"line {lines}" in str(error.value)
    assert reason in str(error.value)
    assert table_counts(empty_db) == {
        "settlements": 0,
        "sources": 0,
        "claims": 0,
        "area_figures": 0,
    }


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (DEMO_DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _same(expected: str, stored: object) -> bool:
    if stored is None:
        return expected == ""
    if isinstance(stored, float):
        return expected != "" and float(expected) == stored
    return expected == str(getattr(stored, "value", stored))


def test_every_column_of_every_demo_row_is_stored(empty_db):
    """Homepages, aliases, coordinates and their precision, URLs, summaries: nothing dropped."""
    with empty_db.writing() as session:
        seed(session, DEMO_DATA)
    differences: list[str] = []
    with empty_db.read_session() as session:
        settlements = {s.slug: s for s in session.scalars(select(Settlement))}
        sources = {s.slug: s for s in session.scalars(select(Source))}
        for row in _csv_rows("settlements.csv"):
            for column, expected in row.items():
                stored = getattr(settlements[row["slug"]], column)
                if not _same(expected, stored):
                    differences.append(f"settlement {row['slug']} {column}: {stored!r}")
        for row in _csv_rows("sources.csv"):
            for column, expected in row.items():
                stored = getattr(sources[row["slug"]], column)
                if not _same(expected, stored):
                    differences.append(f"source {row['slug']} {column}: {stored!r}")
        stored_claims = {
            (c.settlement.slug, c.source.slug, c.as_of.isoformat(), c.status.value): c
            for c in session.scalars(select(Claim))
        }
        for row in _csv_rows("claims.csv"):
            claim = stored_claims[(row["settlement"], row["source"], row["as_of"], row["status"])]
            for column in ("published_on", "source_url", "verification", "summary"):
                if not _same(row[column], getattr(claim, column)):
                    differences.append(f"claim {row['settlement']} {row['as_of']} {column}")
        stored_figures = {
            (f.as_of.isoformat(), f.holder.value, f.source.slug): f
            for f in session.scalars(select(AreaFigure))
        }
        for row in _csv_rows("area_figures.csv"):
            figure = stored_figures[(row["as_of"], row["holder"], row["source"])]
            for column in ("area_km2", "source_url", "summary"):
                if not _same(row[column], getattr(figure, column)):
                    differences.append(f"area figure {row['as_of']} {row['source']} {column}")
    assert differences == []
    assert len(stored_claims) == 169 and len(stored_figures) == 12
    assert sources["russia-mod"].homepage == "https://mil.ru"
    assert "Huievo" in settlements["guyevo"].alias_list


def test_area_figures_of_two_sources_on_one_date_are_both_kept(empty_db, tmp_path):
    """The rule is one figure per date, holder and source; a repeat of all three is skipped."""
    data = tmp_path / "data"
    shutil.copytree(DEMO_DATA, data)
    with (data / "area_figures.csv").open("a", encoding="utf-8") as f:
        f.write("2025-03-16,ukraine,111,isw,,Another source on the same day.\n")
        f.write("2025-03-16,ukraine,112,isw,,The same source, date and holder again.\n")
    with empty_db.writing() as session:
        added = seed(session, data)
    assert added["area_figures"] == 13
    with empty_db.read_session() as session:
        on_one_day = session.execute(
            select(Source.slug, AreaFigure.area_km2)
            .join(AreaFigure.source)
            .where(AreaFigure.as_of == date(2024, 8, 12))
            .order_by(Source.slug)
        ).all()
        assert [tuple(r) for r in on_one_day] == [("afp", 800.0), ("ua-commander-in-chief", 1000.0)]
        isw = session.scalars(
            select(AreaFigure.area_km2).join(AreaFigure.source).where(Source.slug == "isw")
        ).all()
        assert list(isw) == [111.0]
