"""Broken CSV files: refused with the line a person must look at, and nothing stored."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.config import get_settings
from app.interchange.importer import ImportRefused, commit_import, plan_import
from tests.helpers import HEADER, csv_bytes, good_rows, settled, snapshot, upload

GOOD = good_rows(6)
UNCLOSED = [HEADER, *GOOD[:3], 'sudzha,contested,2023-02-01,,tass,,unverified,"oops', *GOOD[3:]]
CLOSED_TOO_LATE = [
    HEADER,
    GOOD[0],
    'sudzha,contested,2023-02-01,,tass,,unverified,"oops',
    'sudzha,contested,2023-02-02,,tass,,unverified,"fine"',
    GOOD[1],
]
LONG_CELL = [HEADER, *GOOD[:4], "sudzha,contested,2023-02-01,,tass,,unverified," + "x" * 140_000]
# A legitimate multi-line cell before the broken one: lines are counted in the file, not rows.
MULTILINE_THEN_UNCLOSED = [
    HEADER,
    'sudzha,contested,2023-02-03,,tass,,unverified,"two\r\nlines"',
    GOOD[0],
    'sudzha,contested,2023-02-01,,"tass,,unverified,oops',
]
BAD_UTF8 = (
    csv_bytes([HEADER, *GOOD[:2]]) + b"sudzha,contested,2023-02-01,,tass,,unverified,caf\xe9\r\n"
)

CASES = [
    pytest.param(csv_bytes(UNCLOSED), 5, "never closed", id="unclosed-quote"),
    pytest.param(csv_bytes(CLOSED_TOO_LATE), 3, "text after its closing quote", id="late-close"),
    pytest.param(csv_bytes(LONG_CELL), 6, "longer than 131,072 characters", id="long-field"),
    pytest.param(csv_bytes(MULTILINE_THEN_UNCLOSED), 5, "never closed", id="after-multiline"),
    pytest.param(BAD_UTF8, 4, "not UTF-8", id="invalid-utf8"),
    pytest.param("\ufeffsettlement,status\r\n".encode("utf-16"), 1, "UTF-16", id="utf16-not-utf8"),
]


@pytest.mark.parametrize(("data", "line", "reason"), CASES)
def test_broken_file_refused_at_its_line_and_nothing_stored(fresh_db, data, line, reason):
    before = snapshot(fresh_db)
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert not plan.ok
    assert [(p.line, p.column) for p in plan.problems] == [(line, "")]
    assert reason in plan.problems[0].reason
    with pytest.raises(ImportRefused), fresh_db.writing() as session:
        commit_import(session, data, user=None, approve=True)
    assert snapshot(fresh_db) == before


def test_a_quote_that_swallows_a_huge_file_names_where_it_opened(fresh_db):
    rows = [HEADER, GOOD[0], 'sudzha,contested,2023-02-01,,tass,,unverified,"oops']
    data = csv_bytes(rows + good_rows(3000))
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    (problem,) = plan.problems
    assert problem.line == 3
    assert "closing quote missing" in problem.reason


def test_a_multi_line_cell_is_fine_and_later_rows_keep_their_own_line(fresh_db):
    data = csv_bytes(
        [
            HEADER,
            'sudzha,contested,2023-02-03,,tass,,unverified,"two\r\nlines"',
            "atlantis,contested,2023-02-04,,tass,,unverified,x",
        ]
    )
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert [(p.line, p.column) for p in plan.problems] == [(4, "settlement")]


def test_pandas_index_column_is_ignored_with_a_warning(fresh_db):
    data = csv_bytes(
        [
            f",{HEADER}",
            "0,sudzha,contested,2023-02-01,,tass,,unverified,first",
            "1,sudzha,contested,2023-02-02,,tass,,unverified,second",
        ]
    )
    with fresh_db.writing() as session:
        plan = commit_import(session, data, user=None, approve=True)
    assert plan.ok and plan.added == 2
    assert plan.warnings == [
        "column ignored: the unnamed first column (a row index, as pandas writes)"
    ]


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("KT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    runner = CliRunner()
    runner.invoke(cli_app, ["db", "upgrade"], catch_exceptions=False)
    runner.invoke(cli_app, ["seed", "--reference-only"], catch_exceptions=False)
    yield runner
    get_settings.cache_clear()


@pytest.mark.parametrize(("data", "line", "reason"), CASES)
def test_the_command_line_refuses_broken_files(cli, tmp_path, data, line, reason):
    path = tmp_path / "broken.csv"
    path.write_bytes(data)
    for flags in ([], ["--approve"], ["--dry-run"]):
        result = cli.invoke(cli_app, ["import", str(path), *flags])
        assert result.exit_code == 1, result.output
        assert f"broken.csv: line {line}: " in result.output and reason in result.output
    export = cli.invoke(cli_app, ["export", "claims"])
    assert export.output.count("\n") == 1  # the header alone: nothing was stored


def test_the_command_line_warns_of_a_pandas_index(cli, tmp_path):
    path = tmp_path / "from-pandas.csv"
    path.write_bytes(csv_bytes([f",{HEADER}", "0,sudzha,contested,2023-02-01,,tass,,unverified,x"]))
    result = cli.invoke(cli_app, ["import", str(path), "--approve"])
    assert result.exit_code == 0
    assert "warning: column ignored: the unnamed first column" in result.output
    assert "added 1 claims" in result.output


@pytest.mark.parametrize(("data", "line", "reason"), CASES[:3])
def test_the_web_import_shows_the_line_and_stores_nothing(editor, fresh_db, data, line, reason):
    before = snapshot(fresh_db, skip=("login_failures", "import_batches", "audit_events"))
    location = upload(editor, data).headers["location"]
    html = settled(editor, location)
    assert "Nothing was stored." in html
    assert f'<td data-label="Line">{line}</td>' in html and reason in html
    assert "/commit" not in html
    assert snapshot(fresh_db, skip=("login_failures", "import_batches", "audit_events")) == before
