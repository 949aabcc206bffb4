"""Fixtures: one demo database per session for reading; a fresh copy for every test that writes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.config import Settings
from app.db import Database
from app.main import create_app
from tests.databases import TestDatabases, postgres_url

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_report_header() -> str:
    return f"database backend: {'postgresql' if postgres_url() else 'sqlite'}; CI={IN_CI}"


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    dbs = TestDatabases(tmp_path_factory.mktemp("databases"), postgres_url())
    yield dbs
    dbs.drop_all()


def make_settings(database_url: str, **overrides: object) -> Settings:
    return Settings(
        database_url=database_url, secret_key="test-secret-key-not-for-production", **overrides
    )


@contextmanager
def running_app(database_url: str, **overrides: object) -> Iterator[tuple[FastAPI, TestClient]]:
    app = create_app(make_settings(database_url, **overrides))
    with TestClient(app) as client:
        yield app, client


# --- the demo database, shared by every test that only reads -------------------------------


@pytest.fixture(scope="session")
def demo_url(databases: TestDatabases) -> str:
    return databases.copy("demo")


@pytest.fixture(scope="session")
def demo_app(demo_url: str) -> Iterator[FastAPI]:
    with running_app(demo_url) as (app, _client):
        yield app


@pytest.fixture(scope="session")
def client(demo_app: FastAPI) -> TestClient:
    return TestClient(demo_app)


@pytest.fixture
def reader(demo_app: FastAPI) -> TestClient:
    """A reader of the demo data holding no cookie (the shared ``client`` may hold one by now:
    a session, once any test opened a page with a form)."""
    return TestClient(demo_app)


@pytest.fixture(scope="session")
def demo_db(demo_app: FastAPI) -> Database:
    return demo_app.state.db


# --- fresh databases, one per test that writes ---------------------------------------------


@pytest.fixture
def fresh_url(databases: TestDatabases) -> str:
    """A copy of the demo database that this test may change."""
    return databases.copy("demo")


@pytest.fixture
def fresh_app(fresh_url: str) -> Iterator[FastAPI]:
    with running_app(fresh_url) as (app, _client):
        yield app


@pytest.fixture
def fresh_client(fresh_app: FastAPI) -> TestClient:
    return TestClient(fresh_app)


@pytest.fixture
def fresh_db(fresh_app: FastAPI) -> Database:
    return fresh_app.state.db


@pytest.fixture
def empty_db(databases: TestDatabases) -> Iterator[Database]:
    """A migrated database with no rows at all."""
    database = Database(databases.copy("empty"))
    yield database
    database.dispose()


@pytest.fixture
def reference_db(databases: TestDatabases) -> Iterator[Database]:
    """Settlements and sources of the demo data, no claims."""
    database = Database(databases.copy("reference"))
    yield database
    database.dispose()


# --- helpers -----------------------------------------------------------------------------


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries(database: Database) -> Iterator[QueryCounter]:
    """Count the SQL statements sent through a database's engine (BEGIN/COMMIT aside)."""
    counter = QueryCounter()

    def before_cursor_execute(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            counter.statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(database.engine, "before_cursor_execute", before_cursor_execute)


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


# --- people and their sessions --------------------------------------------------------------

# A parametrised date that depends on the day the test runs: worked out when it runs, not when
# the module is collected (the day changes at 10:00 UTC, "today" being the date in UTC+14).
TOMORROW = "<tomorrow>"


def day_text(value: str) -> str:
    from app import dates

    return (dates.today() + timedelta(days=1)).isoformat() if value == TOMORROW else value


# The demo's contested settlements on 8 April 2025: two on claims of that day, twelve on
# claims weeks or months old (stale, and still contested: silence does not end a fight).
CONTESTED_ON_2025_04_08 = frozenset(
    {
        "berdin",
        "bolshoye-soldatskoye",
        "cherkasskaya-konopelka",
        "cherkasskoye-porechnoye",
        "giri",
        "gornal",
        "korenevo",
        "kurilovka",
        "novoivanovka",
        "oleshnya",
        "olgovka",
        "russkaya-konopelka",
        "ulanok",
        "veseloye",
    }
)


def add_claim(
    database: Database,
    *,
    settlement: str,
    source: str,
    status: str,
    as_of: date,
    published_on: date | None = None,
    summary: str = "",
    approve: bool = True,
    submitted_by_id: int | None = None,
) -> int:
    """Store one claim through the claims service (approved unless said); its id."""
    from app.accounts.models import User
    from app.claims import service as claims_service
    from app.claims.schemas import ClaimIn
    from app.settlements import service as settlements_service
    from app.sources import service as sources_service

    with database.writing() as session:
        claim = claims_service.add(
            session,
            ClaimIn(
                settlement=settlement,
                status=status,
                as_of=as_of,
                published_on=published_on,
                source=source,
                summary=summary,
            ),
            settlement=settlements_service.get_by_slug(session, settlement),
            source=sources_service.get_by_slug(session, source),
            approve=approve,
            submitted_by=session.get(User, submitted_by_id) if submitted_by_id else None,
        )
        return claim.id


def correct_guyevo_recapture(database: Database, published_on: date) -> int:
    """Approve a correction of the Ministry's Guyevo claim of 8 April 2025 (fighting, not
    control), published on ``published_on``; the correction's id."""
    from sqlalchemy import select

    from app.claims import service as claims_service
    from app.claims.models import Claim
    from app.claims.schemas import ClaimIn
    from app.settlements.models import Settlement
    from app.sources.models import Source

    with database.writing() as session:
        guyevo = session.scalar(select(Settlement).where(Settlement.slug == "guyevo"))
        mod = session.scalar(select(Source).where(Source.slug == "russia-mod"))
        assert guyevo is not None and mod is not None
        original = session.scalar(
            select(Claim).where(
                Claim.settlement_id == guyevo.id,
                Claim.source_id == mod.id,
                Claim.as_of == date(2025, 4, 8),
            )
        )
        correction = claims_service.add(
            session,
            ClaimIn(
                settlement="guyevo",
                status="contested",
                as_of=date(2025, 4, 8),
                published_on=published_on,
                source="russia-mod",
                summary="Correction: fighting was still going on.",
            ),
            settlement=guyevo,
            source=mod,
            approve=True,
            supersedes=original,
        )
        return correction.id


PASSWORD = "correct horse battery staple"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(database: Database, username: str, role: str = "editor", password: str = PASSWORD):
    from app.accounts import service as accounts_service
    from app.accounts.models import Role

    with database.writing() as session:
        user = accounts_service.create_user(session, username, password, Role(role))
        return user.id


def csrf_from(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page hands out (as a browser would read it from a form)."""
    match = _CSRF_FIELD.search(client.get(path).text)
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    token = csrf_from(client, "/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def editor(fresh_app: FastAPI, fresh_db: Database) -> TestClient:
    make_user(fresh_db, "erin", "editor")
    return log_in(TestClient(fresh_app), "erin")


@pytest.fixture
def reviewer(fresh_app: FastAPI, fresh_db: Database) -> TestClient:
    make_user(fresh_db, "rita", "reviewer")
    return log_in(TestClient(fresh_app), "rita")


@pytest.fixture
def second_reviewer(fresh_app: FastAPI, fresh_db: Database) -> TestClient:
    make_user(fresh_db, "ravi", "reviewer")
    return log_in(TestClient(fresh_app), "ravi")


@pytest.fixture
def anonymous(fresh_app: FastAPI) -> TestClient:
    return TestClient(fresh_app)


def snapshot(database: Database, *, skip: tuple[str, ...] = ("login_failures",)) -> dict:
    """Every row of every table: compare before and after to prove nothing changed."""
    from sqlalchemy import select

    from app.models import Base

    with database.read_session() as session:
        return {
            name: sorted(map(repr, session.execute(select(table)).all()))
            for name, table in Base.metadata.tables.items()
            if name not in skip
        }


@pytest.fixture(scope="session")
def api_schema(demo_app: FastAPI):
    """The app's own OpenAPI document, for schemathesis to generate requests from."""
    import schemathesis

    return schemathesis.openapi.from_asgi("/openapi.json", demo_app)
