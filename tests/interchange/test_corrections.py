"""Corrections in the claims CSV: exported with ``supersedes``, imported linked to the stored
claim they correct, and the derived statuses survive the round trip."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from app.claims import service as claims_service
from app.claims.models import Claim, ReviewState
from app.claims.schemas import ClaimIn
from app.cli import app as cli_app
from app.config import get_settings
from app.db import Database
from app.interchange import exports
from app.interchange.importer import ImportRefused, commit_import, plan_import
from app.settlements import service as settlements_service
from app.sources import service as sources_service
from tests.helpers import confirm, csv_bytes, make_settings, running_app, settled, snapshot, upload

HEADER = "claim_id,settlement,status,as_of,source,summary,supersedes"


def find(session, settlement: str, as_of: date, source: str) -> Claim:
    return session.scalar(
        select(Claim)
        .join(Claim.settlement)
        .join(Claim.source)
        .where(Claim.as_of == as_of)
        .where(Claim.settlement.has(slug=settlement), Claim.source.has(slug=source))
    )


def correct(session, claim: Claim, **changes: object) -> Claim:
    """An approved correction of ``claim`` (as a reviewer's approval would leave it)."""
    data = ClaimIn(
        settlement=claim.settlement.slug,
        status=changes.get("status", claim.status),
        as_of=changes.get("as_of", claim.as_of),
        source=claim.source.slug,
        summary=str(changes.get("summary", "Correction.")),
    )
    return claims_service.add(
        session,
        data,
        settlement=claim.settlement,
        source=claim.source,
        supersedes=claim,
        approve=True,
        audit_action="claim.correct",
    )


def add_demo_corrections(database: Database) -> None:
    with database.writing() as session:
        # Dated before the claim it corrects: the export writes the correction first.
        sudzha = find(session, "sudzha", date(2024, 8, 15), "ua-president")
        correct(session, sudzha, status="contested", as_of=date(2024, 8, 12))
        # A chain: a correction corrected in its turn.
        guyevo = find(session, "guyevo", date(2025, 4, 8), "russia-mod")
        first = correct(session, guyevo, status="contested", as_of=date(2025, 4, 9))
        correct(session, first, status="russian_control", as_of=date(2025, 4, 10))


def export_bytes(database: Database) -> bytes:
    return b"".join(exports.claims_csv(database, make_settings(database.url)))


def rows_by_position(data: bytes) -> list[dict[str, str]]:
    """Rows with claim ids replaced by row positions, so that two databases compare."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    position = {r["claim_id"]: str(i) for i, r in enumerate(rows)}
    return [
        {**r, "claim_id": "", "supersedes": position.get(r["supersedes"], r["supersedes"])}
        for r in rows
    ]


def status_tables(url: str, days: list[date]) -> dict[date, list[dict[str, str]]]:
    with running_app(url) as (_app, client):
        tables = {}
        for day in days:
            response = client.get("/export/status.csv", params={"as_of": day.isoformat()})
            assert response.status_code == 200
            tables[day] = list(csv.DictReader(io.StringIO(response.text)))
        return tables


def every_claim_date_and_the_day_after(data: bytes) -> list[date]:
    days = {date.fromisoformat(r["as_of"]) for r in csv.DictReader(io.StringIO(data.decode()))}
    return sorted(days | {d + timedelta(days=1) for d in days})


def test_round_trip_keeps_corrections_and_every_derived_status(fresh_db, databases):
    add_demo_corrections(fresh_db)
    exported = export_bytes(fresh_db)
    rows = list(csv.DictReader(io.StringIO(exported.decode())))
    corrections = [r for r in rows if r["supersedes"]]
    assert len(corrections) == 3
    lines = {r["claim_id"]: i for i, r in enumerate(rows)}
    assert any(lines[r["supersedes"]] > lines[r["claim_id"]] for r in corrections)

    imported = Database(databases.copy("reference"))
    without_links = Database(databases.copy("reference"))
    try:
        with imported.writing() as session:
            plan = commit_import(session, exported, user=None, approve=True)
        assert plan.added == len(rows) and not plan.skipped
        assert rows_by_position(export_bytes(imported)) == rows_by_position(exported)

        days = every_claim_date_and_the_day_after(exported)
        before = status_tables(fresh_db.url, days)
        after = status_tables(imported.url, days)
        assert after == before

        # The links are what keeps them equal: the same claims without them derive otherwise.
        unlinked = exported.replace(b"supersedes\r\n", b"ignored\r\n", 1)
        with without_links.writing() as session:
            commit_import(session, unlinked, user=None, approve=True)
        assert status_tables(without_links.url, days) != before
    finally:
        imported.dispose()
        without_links.dispose()


def test_corrections_link_in_either_order_and_to_stored_claims(fresh_db):
    data = csv_bytes(
        [
            HEADER,
            "c2,sudzha,contested,2023-03-02,tass,corrects c1 below,c1",
            "c1,sudzha,russian_control,2023-03-01,tass,original,",
            "c3,gornal,russian_control,2025-04-09,tass,corrects a stored claim,c4",
            "c4,gornal,contested,2025-04-08,tass,already in the demo data,",
        ]
    )
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
        demo = find(session, "gornal", date(2025, 4, 8), "tass").id
    assert plan.ok, plan.problems
    assert [(s.line, s.existing_claim_id) for s in plan.skipped] == [(5, demo)]
    corrects = [p["corrects"] for p in plan.summary()["preview"]]
    assert corrects == ["line 3", "", f"claim #{demo}"]
    with fresh_db.writing() as session:
        commit_import(session, data, user=None, approve=False)
    with fresh_db.read_session() as session:
        stored = {
            c.summary: c
            for c in session.scalars(select(Claim).where(Claim.as_of >= date(2023, 3, 1)))
        }
    assert stored["corrects c1 below"].supersedes_id == stored["original"].id
    assert stored["corrects c1 below"].review_state == ReviewState.pending
    assert stored["corrects a stored claim"].supersedes_id == demo


@pytest.mark.parametrize(
    ("lines", "problems"),
    [
        pytest.param(
            ["c1,sudzha,contested,2023-03-01,tass,x,c9"],
            [(2, "supersedes", "no row of this file has claim_id c9")],
            id="names-no-row",
        ),
        pytest.param(
            ["c1,sudzha,contested,2023-03-01,tass,x,c1"],
            [(2, "supersedes", "cannot correct itself")],
            id="itself",
        ),
        pytest.param(
            [
                "c1,sudzha,contested,2023-03-01,tass,x,",
                "c1,sudzha,contested,2023-03-02,tass,y,",
                "c3,sudzha,contested,2023-03-03,tass,z,c1",
            ],
            [(4, "supersedes", "claim_id c1 is on more than one line (2, 3)")],
            id="ambiguous",
        ),
        pytest.param(
            [
                "c1,sudzha,contested,2023-03-01,tass,x,",
                "c2,gornal,contested,2023-03-02,tass,y,c1",
            ],
            [(3, "supersedes", "about another settlement")],
            id="other-settlement",
        ),
        pytest.param(
            [
                "c1,sudzha,contested,2023-03-01,tass,x,c2",
                "c2,sudzha,russian_control,2023-03-02,tass,y,c1",
            ],
            [
                (2, "supersedes", "loop (lines 2 → 3 → 2)"),
                (3, "supersedes", "loop (lines 3 → 2 → 3)"),
            ],
            id="loop",
        ),
        pytest.param(
            [
                "c1,atlantis,contested,2023-03-01,tass,x,",
                "c2,sudzha,contested,2023-03-02,tass,y,c1",
            ],
            [(2, "settlement", "No settlement of that name")],
            id="corrects-a-bad-row",
        ),
        pytest.param(
            [
                "c1,sudzha,russian_control,2023-03-01,tass,original,",
                "c2,sudzha,contested,2023-03-01,tass,one correction,c1",
                "c3,sudzha,ukrainian_control,2023-03-01,tass,another correction,c1",
            ],
            [(4, "supersedes", "already corrected by line 3: a claim is corrected once")],
            id="two-corrections-of-one-row",
        ),
        pytest.param(
            [
                "c4,gornal,contested,2025-04-08,tass,already in the demo data,",
                "c5,gornal,russian_control,2025-04-09,tass,one,c4",
                "c6,gornal,ukrainian_control,2025-04-09,tass,another,c4",
            ],
            [(4, "supersedes", "is already corrected by line 3")],
            id="two-corrections-of-a-stored-claim",
        ),
    ],
)
def test_bad_corrections_are_row_errors_and_nothing_is_stored(fresh_db, lines, problems):
    data = csv_bytes([HEADER, *lines, "c8,sudzha,contested,2023-04-01,tass,fine,"])
    before = snapshot(fresh_db)
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    found = [(p.line, p.column, p.reason) for p in plan.problems]
    assert [(line, column) for line, column, _ in found] == [(a, b) for a, b, _ in problems]
    for (_, _, reason), (_, _, expected) in zip(found, problems, strict=True):
        assert expected in reason
    with pytest.raises(ImportRefused), fresh_db.writing() as session:
        commit_import(session, data, user=None, approve=True)
    assert snapshot(fresh_db) == before


def test_a_file_without_claim_ids_cannot_name_what_it_corrects(fresh_db):
    data = csv_bytes(
        ["settlement,status,as_of,source,supersedes", "sudzha,contested,2023-03-01,tass,12"]
    )
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert [(p.line, p.column) for p in plan.problems] == [(2, "supersedes")]


# --- what the export leaves out ----------------------------------------------------------


def add_raw_claims(database: Database, rows: list[dict[str, object]]) -> list[int]:
    """Claims as older versions (or other writers) may have left them: no validation."""
    with database.writing() as session:
        settlement = settlements_service.get_by_slug(session, "sudzha")
        source = sources_service.get_by_slug(session, "tass")
        ids = []
        for row in rows:
            values = {
                "settlement_id": settlement.id,
                "source_id": source.id,
                "status": "contested",
                "review_state": "approved",
                "summary": "raw",
                **row,
            }
            values.setdefault("published_on", values["as_of"])
            ids.append(session.scalar(insert(Claim).returning(Claim.id), values))
        return ids


def test_export_leaves_out_unknown_and_out_of_calendar_claims(fresh_db, fresh_client):
    future = date.today() + timedelta(days=30)
    unknown, ancient, ahead, late_published = add_raw_claims(
        fresh_db,
        [
            {"status": "unknown", "as_of": date(2025, 1, 5)},
            {"as_of": date(1999, 12, 31)},
            {"as_of": future},
            {"as_of": date(2025, 1, 6), "published_on": future},
        ],
    )
    # A correction of a claim the export leaves out cannot name it: its supersedes is empty.
    (correction,) = add_raw_claims(
        fresh_db, [{"as_of": date(2025, 1, 7), "supersedes_id": unknown, "summary": "fix"}]
    )
    response = fresh_client.get("/export/claims.csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    ids = {int(r["claim_id"]) for r in rows}
    assert not ids & {unknown, ancient, ahead, late_published}
    assert len(rows) == 169 + 1 and correction in ids  # the demo's claims and the correction
    (fix,) = [r for r in rows if r["claim_id"] == str(correction)]
    assert fix["supersedes"] == ""
    # What the export writes imports again: nothing in it is refused.
    with fresh_db.read_session() as session:
        assert plan_import(session, response.content).ok


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("sudzha,unknown,2023-03-01,tass", "status", "Choose a status: under Russian control"),
        ("sudzha,contested,1999-12-31,tass", "as_of", "between 1 January 2000 and today"),
    ],
)
def test_import_refuses_what_the_export_would_leave_out(fresh_db, row, column, reason):
    data = csv_bytes(["settlement,status,as_of,source", row])
    before = snapshot(fresh_db)
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert [(p.line, p.column) for p in plan.problems] == [(2, column)]
    assert reason in plan.problems[0].reason
    with pytest.raises(ImportRefused), fresh_db.writing() as session:
        commit_import(session, data, user=None, approve=True)
    assert snapshot(fresh_db) == before


# --- the command line and the web -----------------------------------------------------------

GOOD_PAIR = [
    HEADER,
    "7,sudzha,russian_control,2023-03-01,tass,original,",
    "8,sudzha,contested,2023-03-02,tass,the fix,7",
]


def supersedes_of(database: Database, summary: str) -> int | None:
    with database.read_session() as session:
        claim = session.scalar(select(Claim).where(Claim.summary == summary))
        return claim.supersedes_id if claim else -1


def test_command_line_import_of_corrections(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("KT_DATABASE_URL", url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        runner.invoke(cli_app, ["db", "upgrade"], catch_exceptions=False)
        runner.invoke(cli_app, ["seed", "--reference-only"], catch_exceptions=False)
        bad = tmp_path / "bad.csv"
        bad.write_bytes(csv_bytes([*GOOD_PAIR, "9,sudzha,contested,2023-03-03,tass,x,70"]))
        for flags in ([], ["--dry-run"], ["--approve"]):
            result = runner.invoke(cli_app, ["import", str(bad), *flags])
            assert result.exit_code == 1
            assert "bad.csv: line 4, column supersedes: no row of this file" in result.output
        good = tmp_path / "good.csv"
        good.write_bytes(csv_bytes(GOOD_PAIR))
        dry = runner.invoke(cli_app, ["import", str(good), "--dry-run"])
        assert dry.exit_code == 0 and "would add 2 claims" in dry.output
        done = runner.invoke(cli_app, ["import", str(good), "--approve"])
        assert done.exit_code == 0 and "added 2 claims (approved)" in done.output
        database = Database(url)
        try:
            assert supersedes_of(database, "the fix") not in (None, -1)
            assert supersedes_of(database, "x") == -1
        finally:
            database.dispose()
        exported = runner.invoke(cli_app, ["export", "claims"]).output
        (fix,) = [r for r in csv.DictReader(io.StringIO(exported)) if r["summary"] == "the fix"]
        (original,) = [
            r for r in csv.DictReader(io.StringIO(exported)) if r["summary"] == "original"
        ]
        assert fix["supersedes"] == original["claim_id"]
    finally:
        get_settings.cache_clear()


def test_web_import_previews_then_commits_corrections(editor, fresh_db):
    location = upload(editor, csv_bytes(GOOD_PAIR)).headers["location"]
    html = settled(editor, location)
    assert "Every row is fine" in html
    assert '<td data-label="Corrects">line 2</td>' in html
    assert supersedes_of(fresh_db, "the fix") == -1  # the dry run stored nothing
    confirm(editor, location)
    assert "Imported." in settled(editor, location)
    with fresh_db.read_session() as session:
        original = session.scalar(select(Claim.id).where(Claim.summary == "original"))
    assert supersedes_of(fresh_db, "the fix") == original


def test_web_import_refuses_a_dangling_correction(editor, fresh_db):
    before = snapshot(fresh_db, skip=("login_failures", "import_batches", "audit_events"))
    data = csv_bytes([GOOD_PAIR[0], GOOD_PAIR[2]])
    location = upload(editor, data).headers["location"]
    html = settled(editor, location)
    assert "Nothing was stored." in html and "no row of this file has claim_id 7" in html
    assert "/commit" not in html
    assert snapshot(fresh_db, skip=("login_failures", "import_batches", "audit_events")) == before


def test_a_stored_claim_already_corrected_is_not_corrected_again_by_a_file(fresh_db):
    """As the form and the review refuse it: correct the correction instead."""
    with fresh_db.writing() as session:
        original = find(session, "gornal", date(2025, 4, 8), "tass")
        first = correct(session, original, status="russian_control", summary="First.")
        original_id, first_id = original.id, first.id
    data = csv_bytes(
        [
            HEADER,
            "c4,gornal,contested,2025-04-08,tass,already in the demo data,",
            "c5,gornal,ukrainian_control,2025-04-10,tass,a second correction,c4",
        ]
    )
    before = snapshot(fresh_db)
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert [(p.line, p.column) for p in plan.problems] == [(3, "supersedes")]
    reason = plan.problems[0].reason
    assert f"claim #{original_id} was already corrected by claim #{first_id}" in reason
    with pytest.raises(ImportRefused), fresh_db.writing() as session:
        commit_import(session, data, user=None, approve=True)
    assert snapshot(fresh_db) == before


def test_the_api_links_a_correction_to_the_claim_it_replaces(fresh_app, fresh_db):
    """As the CSV does: in the claims' pages and in a settlement's claims."""
    from fastapi.testclient import TestClient

    add_demo_corrections(fresh_db)
    reader = TestClient(fresh_app)
    rows = {r["claim_id"]: r for r in csv.DictReader(io.StringIO(export_bytes(fresh_db).decode()))}
    api = reader.get("/api/v1/claims", params={"settlement": "guyevo", "limit": 1000}).json()
    linked = {c["claim_id"]: c["supersedes"] for c in api["items"] if c["supersedes"]}
    assert len(linked) == 2
    for claim_id, replaced in linked.items():
        assert rows[str(claim_id)]["supersedes"] == str(replaced)
    detail = reader.get("/api/v1/settlements/guyevo").json()
    assert {c["claim_id"]: c["supersedes"] for c in detail["claims"] if c["supersedes"]} == linked
