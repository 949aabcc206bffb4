"""Fixtures: one demo database per session for reading; a fresh copy for every test that writes.

The helpers these fixtures and the tests use are in tests/helpers.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import models as _all_models  # noqa: F401  (every mapped class, the freshness events)
from app.db import Database
from tests.databases import TestDatabases, postgres_url
from tests.helpers import IN_CI, log_in, make_user, running_app
from tests.live_server import LiveServer


def pytest_report_header() -> str:
    return f"database backend: {'postgresql' if postgres_url() else 'sqlite'}; CI={IN_CI}"


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    dbs = TestDatabases(tmp_path_factory.mktemp("databases"), postgres_url())
    yield dbs
    dbs.drop_all()


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


# --- real servers: `kursk-tracker serve` in a process of its own (tests/live_server.py) --------


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start servers on a database URL (more KT_ settings as keywords); all stopped after the
    test. Each logs to a file of its own in the test's folder, named in failures."""
    started: list[LiveServer] = []
    numbers = itertools.count(1)

    def start(database_url: str, **settings: str) -> LiveServer:
        log = tmp_path / f"server-{next(numbers)}.log"
        started.append(LiveServer(database_url, log, **settings))
        return started[-1].start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def demo_server(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server on the shared demo database, for tests that only read."""
    server = LiveServer(demo_url, tmp_path_factory.mktemp("demo-server") / "server.log").start()
    yield server
    server.stop()


@pytest.fixture
def fresh_server(fresh_url: str, serve: Callable[..., LiveServer]) -> LiveServer:
    """A server on this test's own copy of the demo database (the one fresh_db writes to)."""
    return serve(fresh_url)


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


# --- people and their sessions --------------------------------------------------------------


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


@pytest.fixture(scope="session")
def api_schema(demo_app: FastAPI):
    """The app's own OpenAPI document, for schemathesis to generate requests from."""
    import schemathesis

    return schemathesis.openapi.from_asgi("/openapi.json", demo_app)
