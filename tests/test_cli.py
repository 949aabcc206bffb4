"""The `kursk-tracker` command line, run as a user would (fresh SQLite file, real commands)."""

from __future__ import annotations

import csv
import io

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("KT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(runner: CliRunner, *args: str):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result


def test_upgrade_seed_export(cli_env):
    assert run(cli_env, "db", "upgrade").exit_code == 0
    result = run(cli_env, "seed")
    assert result.exit_code == 0
    assert "169 claims" in result.output
    assert "not seeding" in run(cli_env, "seed", "--if-empty").output
    assert "nothing new" in run(cli_env, "seed").output

    result = run(cli_env, "export", "status", "--as-of", "2025-04-08")
    assert result.exit_code == 0
    rows = {r["settlement"]: r for r in csv.DictReader(io.StringIO(result.output))}
    assert rows["guyevo"]["status"] == "russian_control"
    assert rows["gornal"]["status"] == "contested"


def test_rederive_restores_the_derived_tables_and_moves_the_revision(cli_env):
    """After a rolling deploy in which older servers took writes that did not keep the
    derived tables: one command derives them again from the claims."""
    from sqlalchemy import delete, select

    from app import revisions
    from app.db import Database
    from app.settlements.models import Settlement
    from app.status import marks
    from app.status.models import PublicationDay, StatusChange
    from tests.helpers import WINDOW

    run(cli_env, "db", "upgrade")
    run(cli_env, "seed")
    database = Database(get_settings().database_url)

    def derived() -> tuple[set[tuple], set[tuple]]:
        with database.read_session() as session:
            changes = {tuple(row) for row in session.execute(select(StatusChange.__table__))}
            days = {tuple(row) for row in session.execute(select(PublicationDay.__table__))}
        return changes, days

    kept = derived()
    with database.writing() as session:
        session.execute(delete(PublicationDay))
        session.execute(delete(StatusChange))
        revision = revisions.current(session)
        settlements_revision = revisions.of_settlements(session)
    assert derived() == (set(), set())
    result = run(cli_env, "db", "rederive")
    assert result.exit_code == 0, result.output
    assert "derived again" in result.output
    assert derived() == kept and all(kept)
    with database.read_session() as session:
        assert revisions.current(session) == revision + 1
        assert revisions.of_settlements(session) == settlements_revision + 1
        # A server whose history was kept at the old revision derives every settlement again.
        changed = marks.settlements_derived_since(session, revision, WINDOW)
        assert changed == set(session.scalars(select(Settlement.id)))
    database.dispose()


def test_export_refuses_bad_arguments(cli_env):
    run(cli_env, "db", "upgrade")
    result = cli_env.invoke(app, ["export", "status", "--as-of", "2025-02-30"])
    assert result.exit_code == 2
    assert "--as-of" in result.output
    result = cli_env.invoke(app, ["export", "everything"])
    assert result.exit_code == 2


def test_export_to_a_file(cli_env, tmp_path):
    run(cli_env, "db", "upgrade")
    run(cli_env, "seed")
    target = tmp_path / "claims.csv"
    assert run(cli_env, "export", "claims", "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("claim_id,settlement,")


def test_round_trip_through_the_command_line(tmp_path, monkeypatch):
    """seed --reference-only, import an export with --approve, export again: the same rows."""
    source_db = f"sqlite:///{tmp_path / 'source.db'}"
    target_db = f"sqlite:///{tmp_path / 'target.db'}"
    runner = CliRunner()

    def with_db(url: str, *args: str, input: str | None = None):
        monkeypatch.setenv("KT_DATABASE_URL", url)
        get_settings.cache_clear()
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    with_db(source_db, "db", "upgrade")
    with_db(source_db, "seed")
    first = tmp_path / "claims.csv"
    with_db(source_db, "export", "claims", "-o", str(first))

    with_db(target_db, "db", "upgrade")
    assert "30 sources" in with_db(target_db, "seed", "--reference-only").output
    dry = with_db(target_db, "import", str(first), "--dry-run")
    assert dry.exit_code == 0 and "would add 169 claims" in dry.output
    done = with_db(target_db, "import", str(first), "--approve")
    assert done.exit_code == 0 and "added 169 claims (approved)" in done.output
    again = with_db(target_db, "import", str(first), "--approve")
    assert "added 0 claims" in again.output and "skipped 169 duplicate(s)" in again.output
    second = tmp_path / "again.csv"
    with_db(target_db, "export", "claims", "-o", str(second))

    def rows(path):
        return [
            {k: v for k, v in r.items() if k != "claim_id"}
            for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
        ]

    assert rows(second) == rows(first)
    get_settings.cache_clear()


def test_import_refuses_a_file_with_a_bad_row(cli_env, tmp_path):
    run(cli_env, "db", "upgrade")
    run(cli_env, "seed", "--reference-only")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "settlement,status,as_of,source\nsudzha,contested,2025-01-01,tass\n"
        "sudzha,liberated,2025-01-02,tass\n",
        encoding="utf-8",
    )
    result = cli_env.invoke(app, ["import", str(bad)])
    assert result.exit_code == 1
    assert "bad.csv: line 3, column status: Choose a status: under Russian control" in result.output
    assert "nothing was stored" in result.output
    export = run(cli_env, "export", "claims")
    assert export.output.strip().count("\n") == 0  # header only
    assert cli_env.invoke(app, ["import", str(tmp_path / "missing.csv")]).exit_code == 2


def test_export_filters_on_the_command_line(cli_env):
    run(cli_env, "db", "upgrade")
    run(cli_env, "seed")
    result = run(cli_env, "export", "claims", "--side", "neutral")
    assert result.output.count("\n") == 32  # the header and 31 claims
    assert cli_env.invoke(app, ["export", "claims", "--side", "martians"]).exit_code == 2
    status = run(cli_env, "export", "status", "--as-of", "2025-04-08", "--status", "contested")
    assert status.output.count("\n") == 15  # the header and 14 contested settlements


def test_backup_gives_a_consistent_copy(cli_env, tmp_path):
    run(cli_env, "db", "upgrade")
    run(cli_env, "seed")
    target = tmp_path / "backup.db"
    result = run(cli_env, "backup", str(target))
    assert result.exit_code == 0 and "integrity check: ok" in result.output
    import sqlite3

    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM claims").fetchone()[0] == 169
    assert cli_env.invoke(app, ["backup", str(target)]).exit_code == 2  # never overwrites


def test_the_installed_command_runs_on_its_own(tmp_path):
    """The console script in a fresh process: nothing it needs may come from pytest's imports."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "kursk-tracker"
    env = {**os.environ, "KT_DATABASE_URL": f"sqlite:///{tmp_path / 'alone.db'}"}
    for args in (["db", "upgrade"], ["seed"], ["export", "status", "--as-of", "2025-04-08"]):
        result = subprocess.run([str(script), *args], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    assert "gornal,Gornal,Sudzhansky" in result.stdout


def run_with_database(monkeypatch, url: str, *args: str):
    """A command run with KT_DATABASE_URL set to ``url`` (the settings read afresh)."""
    monkeypatch.setenv("KT_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("url", ["not a url", "mysql://x@h/x", "sqlite:/relative.db"])
def test_a_database_address_this_tracker_cannot_use_is_said_in_one_line(url, monkeypatch):
    result = run_with_database(monkeypatch, url, "user", "list")
    assert result.exit_code == 2
    assert "KT_DATABASE_URL must be a SQLite or PostgreSQL address" in result.output
    assert "Traceback" not in result.output


def test_a_port_out_of_range_is_refused():
    result = CliRunner().invoke(app, ["serve", "--port", "70000"])
    assert result.exit_code == 2
    assert "65535" in result.output


@pytest.mark.parametrize(
    "args",
    [["backup", "copy.db"], ["export", "claims"], ["user", "list"], ["seed"], ["db", "rederive"]],
)
def test_a_mistyped_sqlite_path_is_no_new_empty_database(args, tmp_path, monkeypatch):
    """Only `db upgrade` creates the file: anything else would back up, copy or export an
    empty database it just made, and say it succeeded."""
    missing = tmp_path / "typo" / "kursk.db"
    monkeypatch.chdir(tmp_path)
    result = run_with_database(monkeypatch, f"sqlite:///{missing}", *args)
    assert result.exit_code == 1
    assert f"there is no database at {missing}" in result.output
    assert not missing.exists() and not (tmp_path / "copy.db").exists()


def test_an_export_killed_midway_leaves_the_file_that_was_there(tmp_path):
    """SIGTERM half-way: the target keeps what it held (no truncated export passes for a whole
    one); only the temporary file the kill interrupted is left beside it."""
    import signal
    import subprocess
    import sys

    target = tmp_path / "claims.csv"
    target.write_text("the previous export\n")
    # A writer that stops after its first chunk, until it is killed.
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from app.cli import _write_file\n"
        "def chunks():\n"
        "    yield b'claim_id,settlement\\n'\n"
        "    print('started', flush=True)\n"
        "    time.sleep(60)\n"
        "    yield b'1,sudzha\\n'\n"
        "_write_file(Path(sys.argv[1]), chunks())\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "started"
    writer.send_signal(signal.SIGTERM)
    writer.wait(timeout=30)
    assert target.read_text() == "the previous export\n"
