"""Every command meets a full disk, a read-only or locked database, or none at all, with a
sentence and exit status 1, never a traceback; and the database is as it was."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from app.db import Database
from tests.helpers import MARCH_CLAIMS_CSV, snapshot
from tests.reliability.faults import (
    SAYS,
    UNREACHABLE_URL,
    dev_full,
    disk_full,
    locked,
    read_only_url,
)

FAULTS = ("disk_full", "read_only", "locked", "unreachable")


@pytest.fixture
def cli() -> Iterator[CliRunner]:
    yield CliRunner()
    get_settings.cache_clear()


def under(kind: str, url: str) -> tuple[str, AbstractContextManager[None]]:
    """The database URL the command is given, and the fault to hold while it runs."""
    if kind == "read_only":
        return read_only_url(url), nullcontext()
    if kind == "unreachable":
        return UNREACHABLE_URL, nullcontext()
    return url, (disk_full if kind == "disk_full" else locked)(url)


def run(cli: CliRunner, monkeypatch, url: str, *args: str, input: str | None = None) -> Result:
    monkeypatch.setenv("KT_DATABASE_URL", url)
    get_settings.cache_clear()
    return cli.invoke(app, list(args), input=input, catch_exceptions=False)


def assert_said(result: Result, kind: str) -> None:
    assert result.exit_code == 1, result.output
    assert SAYS[kind] in result.output
    assert "nothing was stored" in result.output
    assert "Traceback" not in result.output


def unchanged(url: str):
    database = Database(url)
    try:
        return snapshot(database)
    finally:
        database.dispose()


@pytest.mark.parametrize("kind", FAULTS)
def test_import(kind, cli, monkeypatch, fresh_url, tmp_path: Path):
    csv_file = tmp_path / "march.csv"
    csv_file.write_text(MARCH_CLAIMS_CSV, encoding="utf-8")
    before = unchanged(fresh_url)
    url, held = under(kind, fresh_url)
    with held:
        result = run(cli, monkeypatch, url, "import", str(csv_file), "--approve")
    assert_said(result, kind)
    assert unchanged(fresh_url) == before


@pytest.mark.parametrize("kind", FAULTS)
def test_seed(kind, cli, monkeypatch, databases):
    reference_url = databases.copy("reference")  # settlements and sources: the claims to add
    before = unchanged(reference_url)
    url, held = under(kind, reference_url)
    with held:
        result = run(cli, monkeypatch, url, "seed")
    assert_said(result, kind)
    assert unchanged(reference_url) == before


@pytest.mark.parametrize("kind", FAULTS)
def test_user_create(kind, cli, monkeypatch, fresh_url):
    url, held = under(kind, fresh_url)
    with held:
        # A user is a small row: under a full disk the first few may still fit.
        for number in range(60):
            before = unchanged(fresh_url)
            result = run(
                cli,
                monkeypatch,
                url,
                *("user", "create", f"erin{number}", "--role", "editor"),
                input="a long enough passphrase\n",
            )
            if result.exit_code != 0:
                break
    assert_said(result, kind)
    assert unchanged(fresh_url) == before


def test_export_to_a_full_disk_leaves_a_sentence(cli, monkeypatch, fresh_url):
    result = run(cli, monkeypatch, fresh_url, "export", "claims", "-o", str(dev_full()))
    assert result.exit_code == 1
    assert "could not be written (the disk is full)" in result.output
    assert "Traceback" not in result.output


def test_export_from_an_unreachable_database(cli, monkeypatch, tmp_path: Path):
    target = tmp_path / "claims.csv"
    result = run(cli, monkeypatch, UNREACHABLE_URL, "export", "claims", "-o", str(target))
    assert result.exit_code == 1
    assert SAYS["unreachable"] in result.output and "Traceback" not in result.output
    assert not target.exists()  # no half-written file passes for an export


def test_a_file_that_is_no_database_is_one_sentence(cli, tmp_path, monkeypatch):
    """KT_DATABASE_URL naming a text file: a fault in words, from the CLI and the server."""
    from fastapi.testclient import TestClient

    from tests.helpers import running_app

    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("hi\n")
    url = f"sqlite:///{not_a_database}"
    result = run(cli, monkeypatch, url, "user", "list")
    assert result.exit_code == 1
    assert "Check KT_DATABASE_URL" in result.output and "Traceback" not in result.output
    with running_app(url) as (fastapi_app, _client):
        reader = TestClient(fastapi_app, raise_server_exceptions=False)
        assert reader.get("/healthz").status_code == 503
        assert reader.get("/api/v1/status").status_code == 503
