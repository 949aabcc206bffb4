"""Sources and area figures as CSV: the demo data's headers out, and back in, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.config import PROJECT_ROOT, get_settings
from app.interchange import exports
from app.interchange.importer import (
    WEB_KINDS,
    FileKind,
    ImportRefused,
    commit_import,
    plan_import,
)
from tests.helpers import make_settings, snapshot

DATA = PROJECT_ROOT / "data"


def header_of(path: Path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0]


def exported(database, name: str) -> bytes:
    return b"".join(exports.EXPORTS[name](database, make_settings(database.url)))


@pytest.mark.parametrize(
    ("path", "data_file"),
    [("/export/sources.csv", "sources.csv"), ("/export/area_figures.csv", "area_figures.csv")],
)
def test_exports_have_the_demo_files_headers(client, path, data_file):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[0] == header_of(DATA / data_file)
    rows = len(response.text.splitlines()) - 1
    assert rows == len((DATA / data_file).read_text(encoding="utf-8").splitlines()) - 1
    assert client.get(path + "?format=excel").content.startswith(b"\xff\xfe")


def test_round_trip_into_an_empty_tracker(demo_db, empty_db):
    sources, figures = exported(demo_db, "sources"), exported(demo_db, "area-figures")
    with empty_db.writing() as session:
        plan = commit_import(session, sources, user=None, approve=True)
        assert (plan.kind, plan.added) == (FileKind.sources, 30)
    with empty_db.writing() as session:
        plan = commit_import(session, figures, user=None, approve=True)
        assert (plan.kind, plan.added) == (FileKind.area_figures, 12)
    assert exported(empty_db, "sources") == sources
    assert exported(empty_db, "area-figures") == figures
    # Again: everything is already there, so everything is skipped.
    with empty_db.writing() as session:
        plan = commit_import(session, figures, user=None, approve=True)
    assert (plan.added, plan.skipped_count) == (0, 12)


def test_formula_like_cells_are_escaped_and_come_back(empty_db):
    data = (
        b"slug,name,kind,side,reliability,homepage\r\n"
        b"calc,=1+2 Channel,osint,neutral,F,\r\n"
        b"quoted,''Sever' says so,other,russia,,https://example.org\r\n"
    )
    with empty_db.writing() as session:
        commit_import(session, data, user=None, approve=True)
    text = exported(empty_db, "sources").decode()
    assert "'=1+2 Channel" in text and "''Sever' says so" in text
    assert exported(empty_db, "sources") == exported(empty_db, "sources")
    with empty_db.read_session() as session:
        again = plan_import(session, text.encode())
    assert again.skipped_count == 2 and again.ok


def test_every_bad_row_is_listed_and_nothing_stored(reference_db):
    sources = (
        b"slug,name,kind,side,reliability,homepage\r\n"
        b"new-one,A new channel,osint,neutral,F,\r\n"
        b"Bad Slug!,Another,osint,neutral,F,\r\n"
        b"fine-two,Fine two,osint,martian,F,\r\n"
        b"fine-three,Fine three,osint,russia,Z,javascript:alert(1)\r\n"
        b"tass-again,TASS,state_media,russia,F,\r\n"
    )
    figures = (
        b"as_of,holder,area_km2,source,source_url,summary\r\n"
        b"2024-08-20,ukraine,1100,tass,,fine\r\n"
        b"2024-08-21,ukraine,-5,tass,,negative\r\n"
        b"2024-08-22,martians,10,tass,,no such holder\r\n"
        b"2024-08-23,ukraine,10,nobody,,no such source\r\n"
        b"2024-02-30,ukraine,10,tass,,no such day\r\n"
        b"2024-08-24,ukraine,nan,tass,,not a number\r\n"
        b"2024-08-25,ukraine,inf,tass,,not a number either\r\n"
    )
    before = snapshot(reference_db)
    for data, expected in (
        (
            sources,
            [(3, "slug"), (4, "side"), (5, "reliability"), (5, "homepage"), (6, "name")],
        ),
        (
            figures,
            [
                (3, "area_km2"),
                (4, "holder"),
                (5, "source"),
                (6, "as_of"),
                (7, "area_km2"),
                (8, "area_km2"),
            ],
        ),
    ):
        with pytest.raises(ImportRefused) as refused, reference_db.writing() as session:
            commit_import(session, data, user=None, approve=True)
        plan = refused.value.plan
        assert [(p.line, p.column) for p in plan.problems] == expected
        assert plan.refused_rows == len({line for line, _ in expected})
        reasons = {p.line: p.reason for p in plan.problems}
        if data is figures:
            assert reasons[7] == reasons[8] == "must be a number"
    assert snapshot(reference_db) == before


def test_area_figures_need_an_admin_and_sources_wait_hidden_without_one(reference_db):
    figures = b"as_of,holder,area_km2,source\r\n2024-08-20,ukraine,1100,tass\r\n"
    before = snapshot(reference_db)
    with pytest.raises(ImportRefused) as refused, reference_db.writing() as session:
        commit_import(session, figures, user=None, approve=False)
    assert "an admin imports them" in refused.value.plan.problems[0].reason
    assert snapshot(reference_db) == before
    sources = b"slug,name,side\r\nnew-one,A new channel,neutral\r\n"
    with reference_db.writing() as session:
        commit_import(session, sources, user=None, approve=False)
    assert b"new-one" not in exported(reference_db, "sources")


def test_the_web_import_sends_sources_to_the_command_line(reference_db):
    with reference_db.read_session() as session:
        plan = plan_import(session, (DATA / "sources.csv").read_bytes(), kinds=WEB_KINDS)
    assert not plan.ok
    assert "command line" in plan.problems[0].reason


def test_command_line_export_and_import(tmp_path, monkeypatch, demo_url):
    runner = CliRunner()
    monkeypatch.setenv("KT_DATABASE_URL", demo_url)
    get_settings.cache_clear()
    try:
        for what in ("sources", "area-figures"):
            result = runner.invoke(cli_app, ["export", what, "-o", str(tmp_path / f"{what}.csv")])
            assert result.exit_code == 0, result.output
        monkeypatch.setenv("KT_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
        get_settings.cache_clear()
        assert runner.invoke(cli_app, ["db", "upgrade"]).exit_code == 0
        result = runner.invoke(
            cli_app, ["import", str(tmp_path / "area-figures.csv"), "--kind", "sources"]
        )
        assert result.exit_code == 1
        assert "required column missing: slug, name, side" in result.output
        result = runner.invoke(
            cli_app, ["import", str(tmp_path / "sources.csv"), "--kind", "sources", "--approve"]
        )
        assert result.exit_code == 0, result.output
        assert "added 30 sources" in result.output
        result = runner.invoke(cli_app, ["import", str(tmp_path / "area-figures.csv")])
        assert result.exit_code == 1
        assert "an admin imports them" in result.output
        result = runner.invoke(cli_app, ["import", str(tmp_path / "area-figures.csv"), "--approve"])
        assert result.exit_code == 0, result.output
        assert "added 12 area figures" in result.output
        assert runner.invoke(cli_app, ["import", "x.csv", "--kind", "people"]).exit_code == 2
    finally:
        get_settings.cache_clear()
