"""`kursk-tracker seed`: the demo facts, loaded once, validated, never twice."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from app.accounts.models import AuditEvent
from app.claims.models import Claim, ReviewState
from app.interchange.seed import SeedError, is_empty, seed
from app.settlements.models import Settlement
from app.sources.models import Source
from app.status.models import AreaFigure
from tests.databases import DEMO_DATA


def counts(database) -> dict[str, int]:
    with database.read_session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Settlement, Source, Claim, AreaFigure)
        }


def test_seed_loads_the_demo_data_approved(empty_db):
    with empty_db.writing() as session:
        assert is_empty(session)
        added = seed(session, DEMO_DATA)
    assert dict(added) == {"settlements": 18, "sources": 16, "claims": 35, "area_figures": 8}
    assert counts(empty_db) == {"settlements": 18, "sources": 16, "claims": 35, "area_figures": 8}
    with empty_db.read_session() as session:
        states = set(session.scalars(select(Claim.review_state)))
        assert states == {ReviewState.approved}
        assert session.scalar(select(func.count()).select_from(AuditEvent)) >= 35


def test_seeding_twice_adds_nothing_twice(empty_db):
    with empty_db.writing() as session:
        seed(session, DEMO_DATA)
    with empty_db.writing() as session:
        added = seed(session, DEMO_DATA)
    assert sum(added.values()) == 0
    assert counts(empty_db)["claims"] == 35


def test_reference_only_loads_settlements_and_sources(empty_db):
    with empty_db.writing() as session:
        seed(session, DEMO_DATA, reference_only=True)
    assert counts(empty_db) == {"settlements": 18, "sources": 16, "claims": 0, "area_figures": 0}


def test_settlement_without_coordinates_is_allowed(empty_db):
    with empty_db.writing() as session:
        seed(session, DEMO_DATA, reference_only=True)
    with empty_db.read_session() as session:
        martynovka = session.scalar(select(Settlement).where(Settlement.slug == "martynovka"))
        assert martynovka.lat is None and martynovka.lon is None
        assert martynovka.location_precision.value == "unknown"
        guyevo = session.scalar(select(Settlement).where(Settlement.slug == "guyevo"))
        assert guyevo.location_precision.value == "approximate"


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
    assert counts(empty_db) == {"settlements": 0, "sources": 0, "claims": 0, "area_figures": 0}
