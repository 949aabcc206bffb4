"""A full disk, a read-only database, a lock held too long, a database away: every form says
so in a sentence, keeps what was typed, and stores nothing; /healthz tells the truth."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event, inspect

from app.db import Database
from tests.helpers import (
    GOOD_CLAIM,
    MARCH_CLAIMS_CSV,
    PASSWORD,
    csrf_from,
    decide,
    make_user,
    running_app,
    snapshot,
    submit,
    submitted,
    upload,
)
from tests.reliability.faults import (
    FAULTS,
    SAYS,
    UNREACHABLE_URL,
    disk_full,
    locked,
    read_only_url,
    until_refused,
)


@contextmanager
def fault(kind: str, url: str, client: TestClient) -> Iterator[TestClient]:
    """The same user's browser, talking to the tracker while the database has this fault."""
    if kind == "read_only":
        # A server started on the read-only database; the session cookie still holds.
        with running_app(read_only_url(url)) as (_app, ro_client):
            ro_client.cookies = client.cookies
            yield ro_client
    else:
        with (disk_full if kind == "disk_full" else locked)(url, client.app.state.db):
            yield client


def assert_said(response, kind: str, status: int = 503) -> None:
    assert response.status_code == status, response.text[:500]
    assert SAYS[kind] in response.text
    assert "nothing was stored" in response.text or kind == "unreachable"
    assert "Traceback" not in response.text


LONG_SUMMARY = "Geolocated footage shows fighting in central Sudzha. " * 30  # needs new pages


@pytest.mark.parametrize("kind", FAULTS)
def test_claim_form_comes_back_as_typed(kind, editor, fresh_db, fresh_url):
    with fault(kind, fresh_url, editor) as client:
        response, before = until_refused(fresh_db, lambda: submit(client, summary=LONG_SUMMARY))
    assert_said(response, kind)
    html = response.text
    assert "The claim was not stored." in html
    assert "Everything you typed is still in the form" in html
    assert LONG_SUMMARY.strip() in html.replace("&#39;", "'")
    assert f'value="{GOOD_CLAIM["source_url"]}"' in html
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize("kind", FAULTS)
def test_login_says_why_and_keeps_the_username(kind, fresh_app, fresh_db, fresh_url):
    make_user(fresh_db, "erin", "editor")

    def log_in() -> Response:
        return client.post(
            "/login",
            data={"username": "erin", "password": PASSWORD, "csrf_token": csrf_from(client)},
            follow_redirects=False,
        )

    with fault(kind, fresh_url, TestClient(fresh_app)) as client:
        response, before = until_refused(fresh_db, log_in)
    assert response.status_code == 503
    assert SAYS[kind] in response.text and "Traceback" not in response.text
    assert 'value="erin"' in response.text
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_review_decision_keeps_the_note(kind, action, editor, reviewer, fresh_db, fresh_url):
    claim_id = submitted(editor, summary="Pending for the review test.")
    note = "Checked against two videos; " * 60
    with fault(kind, fresh_url, reviewer) as client:
        # Refused at once, or the decision is taken: then the claim is no longer pending.
        before = snapshot(fresh_db)
        response = decide(client, claim_id, action, review_note=note, next="/review")
    assert_said(response, kind)
    assert "The decision was not stored." in response.text
    assert note.strip() in response.text
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize("kind", FAULTS)
def test_source_grade_says_why(kind, reviewer, fresh_db, fresh_url):
    grades = iter(
        "EDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDEDED"
    )

    def grade() -> Response:
        return client.post(
            "/sources/isw/reliability",
            data={"reliability": next(grades), "csrf_token": csrf_from(client, "/sources/isw")},
            follow_redirects=False,
        )

    with fault(kind, fresh_url, reviewer) as client:
        response, before = until_refused(fresh_db, grade)
    assert_said(response, kind)
    assert "The grade was not changed." in response.text
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize("kind", FAULTS)
def test_import_upload_says_why(kind, editor, fresh_db, fresh_url):
    with fault(kind, fresh_url, editor) as client:
        response, before = until_refused(
            fresh_db, lambda: upload(client, MARCH_CLAIMS_CSV.encode(), "march.csv")
        )
    assert_said(response, kind)
    assert "Choose the file again" in response.text
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize("kind", ["disk_full", "locked"])
def test_import_confirmation_says_why(kind, editor, fresh_db, fresh_url):
    checked = upload(editor, MARCH_CLAIMS_CSV.encode(), "march.csv")
    assert checked.status_code == 303
    batch_page = checked.headers["location"]
    assert "Every row is fine." in editor.get(batch_page).text
    before = snapshot(fresh_db)
    with fault(kind, fresh_url, editor) as client:
        token = csrf_from(client, batch_page)
        response = client.post(f"{batch_page}/commit", data={"csrf_token": token})
    assert response.status_code == 200
    assert "The import did not finish." in response.text
    assert SAYS[kind] in response.text and "nothing was stored" in response.text
    assert snapshot(fresh_db) == before
    # Once the fault is gone, the same file can be confirmed.
    response = editor.post(f"{batch_page}/commit", data={"csrf_token": token})
    assert "Imported." in response.text


def test_an_unreachable_database_is_a_sentence_on_every_form(editor):
    token = csrf_from(editor, "/claims/new")  # the editor's browser, from before it went
    with running_app(UNREACHABLE_URL) as (_app, away):
        away.cookies = editor.cookies
        for path in ("/login", "/claims/new", "/import", "/sources/isw/reliability"):
            response = away.post(
                path,
                data={"csrf_token": token},
                headers={"accept": "text/html"},
                follow_redirects=False,
            )
            assert response.status_code == 503, path
            assert SAYS["unreachable"] in response.text and "Traceback" not in response.text
        api = away.get("/api/v1/settlements")
        assert api.status_code == 503 and SAYS["unreachable"] in api.json()["detail"]


# --- /healthz ------------------------------------------------------------------------------


def test_healthz_says_ok_and_leaves_nothing_behind(fresh_client, fresh_db):
    before = snapshot(fresh_db)
    response = fresh_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "writes": "ok"}
    assert "kt_write_probe" not in inspect(fresh_db.engine).get_table_names()
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize(
    ("kind", "status", "writes"),
    [("disk_full", 503, "disk full"), ("read_only", 503, "read-only"), ("locked", 200, "busy")],
)
def test_healthz_says_whether_writes_work(kind, status, writes, fresh_app, fresh_url):
    # A server of its own: the answer is kept for two seconds, per server.
    url = read_only_url(fresh_url) if kind == "read_only" else fresh_url
    with fault(kind, fresh_url, TestClient(fresh_app)), running_app(url) as (_app, client):
        response = client.get("/healthz")
    assert response.status_code == status
    assert response.json()["writes"] == writes
    assert response.json()["database"] == "ok"


def test_healthz_when_the_database_is_away():
    with running_app(UNREACHABLE_URL) as (_app, client):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "unreachable",
        "writes": "unreachable",
    }


def test_healthz_probes_writes_at_most_every_two_seconds(fresh_app: FastAPI, fresh_db: Database):
    client = TestClient(fresh_app)
    client.get("/healthz")  # the first answer is probed and kept
    checkouts: list[int] = []
    listener = lambda *_args: checkouts.append(1)  # noqa: E731
    event.listen(fresh_db.engine, "checkout", listener)
    try:
        for _ in range(5):
            assert client.get("/healthz").status_code == 200
    finally:
        event.remove(fresh_db.engine, "checkout", listener)
    assert len(checkouts) <= 5 + 1  # one reachability check each, at most one probe
