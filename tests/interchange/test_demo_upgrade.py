"""An untouched older demo database is brought to the current demo data; any other is left alone.

The older demo is the first version of data/, kept in tests/fixtures/demo-v1 and seeded into a
real SQLite file as `make run` seeded it back then.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.accounts.models import AuditEvent, User
from app.claims.models import Claim
from app.cli import app
from app.config import PROJECT_ROOT, get_settings
from app.db import Database
from app.interchange.seed import (
    OLDER_DEMOS,
    SeedOutcome,
    database_fingerprint,
    files_fingerprint,
    read_demo,
    seed,
    seed_demo,
)
from app.settlements import service as settlements_service
from app.sources import service as sources_service
from app.sources.models import Reliability
from tests.databases import DEMO_DATA
from tests.helpers import DEMO_COUNTS, add_claim, make_user, table_counts

FIRST_DEMO = PROJECT_ROOT / "tests" / "fixtures" / "demo-v1"
FIRST_DEMO_COUNTS = {"settlements": 18, "sources": 16, "claims": 35, "area_figures": 8}


@pytest.fixture
def first_demo_db(empty_db: Database) -> Database:
    with empty_db.writing() as session:
        seed(session, FIRST_DEMO)
    assert table_counts(empty_db) == FIRST_DEMO_COUNTS
    return empty_db


def test_the_first_demo_fingerprint_is_the_one_kept_in_code(first_demo_db):
    fixture_fingerprint = files_fingerprint(read_demo(FIRST_DEMO))
    assert fixture_fingerprint in OLDER_DEMOS
    with first_demo_db.read_session() as session:
        assert database_fingerprint(session) == fixture_fingerprint
    assert files_fingerprint(read_demo(DEMO_DATA)) not in OLDER_DEMOS


def test_an_untouched_first_demo_becomes_the_current_one(first_demo_db):
    with first_demo_db.read_session() as session:
        old_claim_ids = set(session.scalars(select(Claim.id)))
    with first_demo_db.writing() as session:
        result = seed_demo(session, DEMO_DATA, if_empty=True)
    assert result.outcome is SeedOutcome.replaced_older_demo
    assert dict(result.added) == DEMO_COUNTS
    assert table_counts(first_demo_db) == DEMO_COUNTS
    with first_demo_db.read_session() as session:
        # The same content as a fresh seed of data/, and no claim id of the old demo reused.
        assert database_fingerprint(session) == files_fingerprint(read_demo(DEMO_DATA))
        assert old_claim_ids.isdisjoint(session.scalars(select(Claim.id)))
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "seed.replace_demo"))
        assert event is not None
        assert event.before["claims"] == 35 and event.after == DEMO_COUNTS
        gornal = settlements_service.get_by_slug(session, "gornal")
        assert gornal is not None and gornal.location_precision.value == "approximate"
        assert sources_service.get_by_slug(session, "russia-mod").homepage == "https://mil.ru"
    # And then it is the current demo: seeding again changes nothing.
    with first_demo_db.writing() as session:
        assert seed_demo(session, DEMO_DATA).outcome is SeedOutcome.nothing_new
    assert table_counts(first_demo_db) == DEMO_COUNTS


def _add_hand_made_claim(database: Database) -> None:
    add_claim(
        database,
        settlement="sudzha",
        source="isw",
        status="contested",
        as_of=date(2025, 3, 1),
        summary="Added by hand.",
        approve=False,
        submitted_by_id=make_user(database, "erin", "editor"),
    )


def _grade_a_source(database: Database) -> None:
    user_id = make_user(database, "rita", "reviewer")
    with database.writing() as session:
        source = sources_service.get_by_slug(session, "isw")
        sources_service.set_reliability(
            session, source, Reliability.B, actor=session.get(User, user_id)
        )


@pytest.mark.parametrize("change", [_add_hand_made_claim, _grade_a_source])
def test_a_first_demo_with_any_hand_made_change_is_left_alone(first_demo_db, change):
    change(first_demo_db)
    with first_demo_db.read_session() as session:
        before = database_fingerprint(session)
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    for if_empty in (True, False):
        with first_demo_db.writing() as session:
            result = seed_demo(session, DEMO_DATA, if_empty=if_empty)
        assert result.outcome is SeedOutcome.older_demo_kept
    with first_demo_db.read_session() as session:
        assert database_fingerprint(session) == before
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    expected = dict(FIRST_DEMO_COUNTS)
    expected["claims"] += change is _add_hand_made_claim
    assert table_counts(first_demo_db) == expected


def test_make_run_upgrades_a_first_demo_file_through_the_command_line(first_demo_db, monkeypatch):
    """`db upgrade` then `seed --if-empty`, as the Makefile runs them, on a real SQLite file."""
    monkeypatch.setenv(
        "KT_DATABASE_URL", first_demo_db.engine.url.render_as_string(hide_password=False)
    )
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"], catch_exceptions=False).exit_code == 0
        result = runner.invoke(app, ["seed", "--if-empty"], catch_exceptions=False)
        assert result.exit_code == 0
        assert "replaced the first version of the demo data" in result.output
        assert "169 claims" in result.output
        again = runner.invoke(app, ["seed", "--if-empty"], catch_exceptions=False)
        assert again.output.strip() == "database already holds data; not seeding"
    finally:
        get_settings.cache_clear()
    assert table_counts(first_demo_db) == DEMO_COUNTS


def test_the_command_line_says_how_to_start_afresh(first_demo_db, monkeypatch):
    _add_hand_made_claim(first_demo_db)
    monkeypatch.setenv(
        "KT_DATABASE_URL", first_demo_db.engine.url.render_as_string(hide_password=False)
    )
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["seed", "--if-empty"], catch_exceptions=False)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "older than data/" in lines[0] and "Starting afresh" in lines[0]
    assert table_counts(first_demo_db)["claims"] == 36
