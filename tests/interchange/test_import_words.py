"""A refused file: every problem of a row at once, and the good rows previewed, none stored."""

from __future__ import annotations

from typer.testing import CliRunner

from app.interchange.importer import plan_import
from tests.helpers import HEADER, csv_bytes, good_rows, settled, snapshot, upload

# One row with four problems, each in another layer of the checks: a cell's format (as_of), a
# choice (status), a reference (settlement) and another reference (source).
FOUR_PROBLEMS = "atlantis,liberated,2025-02-30,,rumours,,unverified,bad"


def test_a_row_reports_all_its_problems_at_once(fresh_db):
    with fresh_db.read_session() as session:
        plan = plan_import(session, csv_bytes([HEADER, FOUR_PROBLEMS]))
    by_column = {p.column: p.reason for p in plan.problems}
    assert [p.line for p in plan.problems] == [2, 2, 2, 2]
    assert set(by_column) == {"settlement", "status", "as_of", "source"}
    assert by_column["status"].startswith("Choose a status: under Russian control")
    assert by_column["status"].endswith(
        "; in the file write russian_control, ukrainian_control, or contested"
    )
    assert "not a real calendar date: give the date as YYYY-MM-DD" in by_column["as_of"]
    assert by_column["settlement"].startswith("No settlement of that name")
    assert by_column["source"].startswith("No source of that short name")


def test_a_bad_side_is_reported_with_the_other_problems_of_its_row(fresh_db):
    header = HEADER + ",source_side"
    with fresh_db.read_session() as session:
        plan = plan_import(
            session, csv_bytes([header, "sudzha,contested,nope,,tass,,unverified,,ukraine"])
        )
    assert {p.column for p in plan.problems} == {"as_of", "source_side"}


def test_the_good_rows_of_a_refused_file_are_previewed_not_stored(fresh_db):
    with fresh_db.read_session() as session:
        plan = plan_import(session, csv_bytes([HEADER, *good_rows(5), FOUR_PROBLEMS]))
    assert not plan.ok
    summary = plan.summary()
    assert summary["added"] == 5 and summary["refused_rows"] == 1
    assert [row["line"] for row in summary["preview"]] == [2, 3, 4, 5, 6]


def test_a_row_refused_late_is_not_among_the_good_rows(fresh_db):
    # The correction is planned, then refused for naming a row about another settlement.
    header = "claim_id,settlement,status,as_of,source,summary,supersedes"
    lines = [
        header,
        "c1,sudzha,contested,2023-03-01,tass,x,",
        "c2,gornal,contested,2023-03-02,tass,y,c1",
    ]
    with fresh_db.read_session() as session:
        plan = plan_import(session, csv_bytes(lines))
    assert [p.line for p in plan.problems] == [3]
    assert [row["line"] for row in plan.summary()["preview"]] == [2]


def test_the_web_import_previews_the_good_rows_of_a_refused_file(editor, fresh_db):
    # The upload itself is kept (its batch and audit event); nothing else changes.
    kept = ("login_failures", "import_batches", "audit_events")
    before = snapshot(fresh_db, skip=kept)
    response = upload(editor, csv_bytes([HEADER, *good_rows(3), FOUR_PROBLEMS]))
    html = settled(editor, response.headers["location"])
    assert "Nothing was stored." in html
    assert "3 claims would be added" in html
    assert "Good rows: 3 claims to be added once the refused rows are fixed" in html
    assert html.count('class="row--refused"') == 4  # one row, its four problems
    assert "Import 3 claims" not in html  # no button: nothing can be stored yet
    assert snapshot(fresh_db, skip=kept) == before


def test_the_command_line_lists_every_problem_and_the_good_rows(tmp_path, monkeypatch):
    from app.cli import app as cli_app
    from app.config import get_settings

    monkeypatch.setenv("KT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli_app, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(cli_app, ["seed", "--reference-only"]).exit_code == 0
        bad = tmp_path / "bad.csv"
        bad.write_bytes(csv_bytes([HEADER, *good_rows(12), FOUR_PROBLEMS]))
        result = runner.invoke(cli_app, ["import", str(bad)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    for column in ("settlement", "status", "as_of", "source"):
        assert f"bad.csv: line 14, column {column}: " in result.stderr
    assert "good rows: 12 claims would be added once the bad rows are fixed" in result.stderr
    assert "  line 2: sudzha, contested, 2021-01-01, tass" in result.stderr
    assert "… and 2 more" in result.stderr
