"""Every date a person supplies is checked against 2000-01-01..today (UTC+14) before any
arithmetic: outside, a 422 naming the parameter and the range, never a 500."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import text
from typer.testing import CliRunner

from app import dates
from app.cli import alembic_config
from app.cli import app as cli_app
from app.config import get_settings
from app.interchange.seed import seed
from app.validation import parse_iso_date
from tests.helpers import TOMORROW, csrf_from, day_text, snapshot

# Each would have reached date arithmetic (OverflowError) or a query on the old code.
OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "1999-12-31", TOMORROW]

DATED_PAGES = [
    "/",
    "/map",
    "/timeline",
    "/contested",
    "/settlements",
    "/settlements/sudzha",
    "/sources",
    "/sources/isw",
    "/about/method",
]
DATE_PARAMETERS = [
    ("/export/claims.csv", "since"),
    ("/export/claims.csv", "until"),
    ("/export/claims.csv", "as_of"),
    ("/export/status.csv", "as_of"),
    ("/export/status.geojson", "as_of"),
    ("/api/v1/claims", "since"),
    ("/api/v1/claims", "until"),
    ("/api/v1/claims", "as_of"),
    ("/api/v1/status", "as_of"),
    ("/api/v1/settlements/sudzha", "as_of"),
    ("/api/v1/area-figures", "as_of"),
]


def test_the_shared_parser_checks_the_range():
    assert parse_iso_date("2000-01-01") == date(2000, 1, 1)
    assert parse_iso_date(dates.today().isoformat()) == dates.today()
    for value in OUT_OF_RANGE:
        with pytest.raises(ValueError, match="between 1 January 2000 and today"):
            parse_iso_date(day_text(value))
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_iso_date("٢٠٢٤-٠١-٠١")  # digits of another script are not a date here


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("path", DATED_PAGES)
def test_pages_refuse_as_of_out_of_range(client, path, value):
    response = client.get(path, params={"as_of": day_text(value)})
    assert response.status_code == 422, response.text[:300]
    assert "as_of" in response.text
    assert "between 1 January 2000 and today" in response.text


@pytest.mark.parametrize("value", ["9999-12-31", "1999-12-31"])
@pytest.mark.parametrize(("path", "name"), DATE_PARAMETERS)
def test_downloads_and_api_refuse_dates_out_of_range(client, path, name, value):
    response = client.get(path, params={name: value})
    assert response.status_code == 422, response.text[:300]
    [problem] = response.json()["detail"]
    assert problem["field"] == name
    assert "between 1 January 2000 and today" in problem["message"]


def test_the_earliest_and_latest_dates_are_accepted(client):
    for value in ("2000-01-01", dates.today().isoformat()):
        assert client.get("/", params={"as_of": value}).status_code == 200
        assert client.get("/export/claims.csv", params={"since": value}).status_code == 200


def test_an_api_cursor_carrying_a_date_out_of_range_is_refused(client):
    import base64

    for day in ("9999-12-31", "0001-01-01"):
        cursor = base64.urlsafe_b64encode(f"{day},1".encode()).decode().rstrip("=")
        response = client.get("/api/v1/claims", params={"cursor": cursor})
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    ("field", "value"),
    [("as_of", "9999-12-31"), ("as_of", "1999-12-31"), ("published_on", "9999-12-31")],
)
def test_the_claim_form_says_so_beside_the_field_and_stores_nothing(editor, fresh_db, field, value):
    before = snapshot(fresh_db)
    data = {
        "settlement": "sudzha",
        "status": "contested",
        "as_of": "2025-03-01",
        "source": "isw",
        "verification": "unverified",
        field: value,
        "csrf_token": csrf_from(editor, "/claims/new"),
    }
    response = editor.post("/claims/new", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text or field in response.text
    assert "between 1 January 2000 and today" in response.text
    assert snapshot(fresh_db) == before


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("KT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli_app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(cli_app, ["seed"]).exit_code == 0
    yield runner
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "args",
    [
        ["export", "status", "--as-of", "9999-12-31"],
        ["export", "claims", "--as-of", "1999-12-31"],
        ["export", "claims", "--since", "0001-01-01"],
        ["export", "claims", "--until", "9999-12-31"],
    ],
)
def test_the_command_line_refuses_dates_out_of_range(cli_env, args):
    result = cli_env.invoke(cli_app, args)
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("--") and "between 1 January 2000 and today" in line


def test_an_import_row_out_of_range_is_refused_and_nothing_stored(cli_env, tmp_path):
    from app.db import Database

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "settlement,status,as_of,published_on,source\n"
        "sudzha,contested,2025-03-01,,isw\n"
        "sudzha,contested,9999-12-31,,tass\n"
    )
    database = Database(get_settings().database_url)
    before = snapshot(database)
    result = cli_env.invoke(cli_app, ["import", str(bad), "--approve"])
    assert result.exit_code == 1
    assert "line 3" in result.stderr and "between 1 January 2000 and today" in result.stderr
    assert snapshot(database) == before
    database.dispose()


def test_the_migration_reports_approved_claims_out_of_range(tmp_path, capsys):
    """It lists them and changes nothing: no constraint, no row touched."""
    from app.db import Database

    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    database = Database(url)
    with database.writing() as session:
        seed(session, get_settings().data_dir)  # the demo data: every date in range
        # Two claims stored the way an unchecked path once could: bypassing every check.
        session.execute(
            text("UPDATE claims SET as_of = :early, published_on = :early WHERE id = :id"),
            {"early": date(1990, 5, 1), "id": 7},
        )
        session.execute(
            text("UPDATE claims SET published_on = :late WHERE id = :id"),
            {"late": date(9999, 12, 31), "id": 8},
        )
    before = snapshot(database)
    command.downgrade(config, "0004")  # a database from before the report existed
    capsys.readouterr()
    command.upgrade(config, "head")
    output = capsys.readouterr().out
    assert "2 approved claim(s)" in output
    assert "claim #7: as_of 1990-05-01" in output
    assert "claim #8:" in output and "published_on 9999-12-31" in output
    assert "#9:" not in output
    assert snapshot(database) == before  # reported, not changed
    database.dispose()
