"""`kursk-tracker copy --to URL`: a whole tracker moved to another database, ids and all.

The source is a SQLite file; the target is PostgreSQL when KT_TEST_DATABASE_URL is set and
SQLite otherwise, so both CI runs copy.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.accounts.models import User
from app.claims import service as claims_service
from app.claims.models import Claim
from app.cli import app as cli_app
from app.cli import upgrade_database
from app.config import PROJECT_ROOT, get_settings
from app.db import Database
from app.interchange.importer import commit_import
from app.interchange.seed import seed_demo
from tests.helpers import add_claim, correct_guyevo_recapture, make_user, snapshot

# A correction before the claim it corrects: its id is the smaller one.
FORWARD_CORRECTION = (
    b"claim_id,settlement,status,as_of,source,summary,supersedes\r\n"
    b"2,sudzha,contested,2023-03-02,tass,corrects line 3,1\r\n"
    b"1,sudzha,contested,2023-03-01,tass,corrected,\r\n"
)


@pytest.fixture
def source_db(tmp_path):
    """A SQLite tracker that has seen some use: users, reviews, corrections, an import."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    upgrade_database(url)
    database = Database(url)
    with database.writing() as session:
        seed_demo(session, PROJECT_ROOT / "data")
    editor = make_user(database, "erin")
    reviewer = make_user(database, "rita", "reviewer")
    pending = add_claim(
        database,
        settlement="gornal",
        source="tass",
        status="contested",
        as_of=date(2025, 5, 1),
        approve=False,
        submitted_by_id=editor,
    )
    with database.writing() as session:
        claims_service.decide(
            session, pending, reviewer=session.get(User, reviewer), approve=True, version=None
        )
    correct_guyevo_recapture(database, date(2025, 5, 2))
    with database.writing() as session:
        commit_import(session, FORWARD_CORRECTION, user=None, approve=True, filename="f.csv")
    yield database
    database.dispose()


def copy(monkeypatch, source_url: str, *args: str):
    monkeypatch.setenv("KT_DATABASE_URL", source_url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli_app, ["copy", *args], catch_exceptions=False)
    finally:
        get_settings.cache_clear()


def test_every_row_of_every_table_arrives_and_new_ids_follow(monkeypatch, source_db, databases):
    target_url = databases.copy("empty")
    before = snapshot(source_db, skip=())
    result = copy(monkeypatch, source_db.url, "--to", target_url)
    assert result.exit_code == 0, result.output
    assert "copied" in result.output
    target = Database(target_url)
    try:
        assert snapshot(target, skip=()) == before
        assert snapshot(source_db, skip=()) == before
        with target.read_session() as session:
            corrected = session.scalar(select(Claim.id).where(Claim.summary == "corrected"))
            correction = session.scalar(select(Claim).where(Claim.summary == "corrects line 3"))
            assert correction.supersedes_id == corrected > correction.id
            largest = session.scalar(select(func.max(Claim.id)))
        # The id sequences carry on after the copied ids (PostgreSQL: reset by the copy).
        new_id = add_claim(
            target, settlement="sudzha", source="tass", status="contested", as_of=date(2023, 4, 1)
        )
        assert new_id == largest + 1
        make_user(target, "nora")

        # Into a database that now holds rows: refused, and nothing written.
        held = snapshot(target, skip=())
        result = copy(monkeypatch, source_db.url, "--to", target_url)
        assert result.exit_code == 1
        assert "already holds rows" in result.output
        assert snapshot(target, skip=()) == held
    finally:
        target.dispose()


def test_bad_targets_are_refused_in_words(monkeypatch, source_db):
    result = copy(monkeypatch, source_db.url, "--to", "not a url")
    assert result.exit_code == 2 and "--to" in result.output
    result = copy(monkeypatch, source_db.url, "--to", source_db.url)
    assert result.exit_code == 2 and "the target is the database being copied" in result.output
