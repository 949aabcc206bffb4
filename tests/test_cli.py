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
    assert "35 claims" in result.output
    assert "not seeding" in run(cli_env, "seed", "--if-empty").output
    assert "nothing new" in run(cli_env, "seed").output

    result = run(cli_env, "export", "status", "--as-of", "2025-04-08")
    assert result.exit_code == 0
    rows = {r["settlement"]: r for r in csv.DictReader(io.StringIO(result.output))}
    assert rows["guyevo"]["status"] == "russian_control"
    assert rows["gornal"]["status"] == "contested"


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
