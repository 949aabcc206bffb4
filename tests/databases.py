"""Real test databases: a migrated template built once per session, copied per test that writes.

SQLite by default; PostgreSQL when KT_TEST_DATABASE_URL names a server database (CI sets it).
Copies are cheap on both: SQLite's online backup, PostgreSQL's CREATE DATABASE ... TEMPLATE.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.cli import upgrade_database
from app.config import PROJECT_ROOT
from app.db import Database
from app.interchange.seed import seed

DEMO_DATA = PROJECT_ROOT / "data"


def postgres_url() -> str | None:
    url = os.environ.get("KT_TEST_DATABASE_URL", "").strip()
    if not url:
        return None
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class TestDatabases:
    """Hands out database URLs: templates (migrated, optionally seeded) and their copies."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, tmp_dir: Path, server_url: str | None = None) -> None:
        self.tmp_dir = tmp_dir
        self.server_url = server_url
        self.prefix = f"kt_{uuid.uuid4().hex[:8]}"
        self._counter = itertools.count()
        self._templates: dict[str, str] = {}
        self._created: list[str] = []

    @property
    def backend(self) -> str:
        return "postgresql" if self.server_url else "sqlite"

    def _new_url(self, name: str) -> str:
        if self.server_url is None:
            return f"sqlite:///{self.tmp_dir / (name + '.db')}"
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def _admin(self) -> object:
        assert self.server_url is not None
        return create_engine(self.server_url, isolation_level="AUTOCOMMIT")

    def _create_empty(self, name: str, template: str | None = None) -> str:
        url = self._new_url(name)
        if self.server_url is not None:
            engine = self._admin()
            with engine.connect() as conn:  # type: ignore[attr-defined]
                suffix = f" TEMPLATE {template}" if template else ""
                conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
            engine.dispose()  # type: ignore[attr-defined]
            self._created.append(name)
        return url

    def template(self, kind: str) -> str:
        """A migrated database of a kind (see KINDS), built once and never written to again."""
        build = KINDS[kind]
        if kind not in self._templates:
            name = f"{self.prefix}_tpl_{kind}"
            url = self._create_empty(name)
            upgrade_database(url)
            if build is not None:
                database = Database(url)
                try:
                    build(database)
                finally:
                    database.dispose()
            self._templates[kind] = name
        return self._new_url(self._templates[kind])

    def copy(self, kind: str) -> str:
        """A fresh database with the template's content, for one test to change as it likes."""
        self.template(kind)
        template_name = self._templates[kind]
        name = f"{self.prefix}_{next(self._counter)}"
        if self.server_url is not None:
            return self._create_empty(name, template=template_name)
        source = sqlite3.connect(self.tmp_dir / (template_name + ".db"))
        target = sqlite3.connect(self.tmp_dir / (name + ".db"))
        with target:
            source.backup(target)
        source.close()
        target.close()
        return self._new_url(name)

    def drop_all(self) -> None:
        if self.server_url is None:
            return
        engine = self._admin()
        with engine.connect() as conn:  # type: ignore[attr-defined]
            for name in reversed(self._created):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()  # type: ignore[attr-defined]


def load_demo(database: Database) -> None:
    with database.writing() as session:
        seed(session, DEMO_DATA)


def load_reference(database: Database) -> None:
    with database.writing() as session:
        seed(session, DEMO_DATA, reference_only=True)


# What each kind of template database holds.
KINDS: dict[str, Callable[[Database], None] | None] = {
    "empty": None,  # migrated, no rows
    "demo": load_demo,  # the demo dataset of data/
    "reference": load_reference,  # its settlements and sources, no claims
}
