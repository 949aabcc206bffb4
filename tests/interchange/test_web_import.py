"""The web import: upload, see the dry run, confirm; the rules of the CLI, in a browser's hands."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.claims.models import Claim, ReviewState
from tests.helpers import (
    HEADER,
    confirm,
    csrf_from,
    csv_bytes,
    good_rows,
    log_in,
    make_user,
    settled,
    snapshot,
    upload,
)


def pending_count(database) -> int:
    with database.read_session() as session:
        return session.scalar(
            select(func.count()).select_from(Claim).where(Claim.review_state == ReviewState.pending)
        )


def test_preview_then_commit_to_the_review_queue(editor, fresh_db):
    data = csv_bytes([HEADER, *good_rows(3), "gornal,contested,2025-04-08,,tass,,unverified,dup"])
    response = upload(editor, data)
    assert response.status_code == 303
    location = response.headers["location"]
    html = settled(editor, location)
    assert "Every row is fine" in html
    assert "add 3 claims (waiting for review)" in html
    assert "skip 1 duplicate" in html
    assert pending_count(fresh_db) == 0  # the dry run stored nothing

    assert confirm(editor, location).status_code == 303
    html = settled(editor, location)
    assert "Imported." in html and "3 claims added, waiting for review" in html
    assert pending_count(fresh_db) == 3
    with fresh_db.read_session() as session:
        claim = session.scalar(select(Claim).where(Claim.summary == "Row 0"))
        assert claim.submitted_by.username == "erin"
        assert claim.import_batch.filename == "claims.csv"
    assert confirm(editor, location).status_code == 409  # not twice


def test_bad_rows_are_shown_and_nothing_can_be_committed(editor, fresh_db):
    before_claims = pending_count(fresh_db)
    data = csv_bytes([HEADER, *good_rows(2), "sudzha,contested,2025-02-30,,tass,,unverified,x"])
    location = upload(editor, data).headers["location"]
    html = settled(editor, location)
    assert "Nothing was stored." in html
    row = re.search(r'<tr class="row--refused">(.*?)</tr>', html, re.S).group(1)
    assert ">4<" in row and "as_of" in row and "not a real calendar date" in row
    assert "/commit" not in html
    assert confirm(editor, location).status_code == 409
    assert pending_count(fresh_db) == before_claims


def test_admins_may_approve_on_import_editors_may_not(fresh_app, fresh_db, editor):
    from fastapi.testclient import TestClient

    make_user(fresh_db, "ada", "admin")
    admin = log_in(TestClient(fresh_app), "ada")
    location = upload(admin, csv_bytes([HEADER, *good_rows(1)]), approve="yes").headers["location"]
    settled(admin, location)
    confirm(admin, location)
    assert "approved" in settled(admin, location)
    # An editor's "approve" is ignored: their claims wait for review.
    location = upload(
        editor,
        csv_bytes([HEADER, "sudzha,contested,2022-01-01,,tass,,unverified,x"]),
        approve="yes",
    ).headers["location"]
    settled(editor, location)
    confirm(editor, location)
    with fresh_db.read_session() as session:
        states = dict(
            session.execute(
                select(Claim.summary, Claim.review_state).where(Claim.summary.in_(["Row 0", "x"]))
            ).all()
        )
    assert states == {"Row 0": ReviewState.approved, "x": ReviewState.pending}


def test_large_file_reports_progress_and_finishes(editor, fresh_db):
    data = csv_bytes([HEADER, *good_rows(6000)])
    location = upload(editor, data).headers["location"]
    html = settled(editor, location, timeout=60)
    assert "add 6000 claims" in html
    confirm(editor, location)
    assert "6000 claims added" in settled(editor, location, timeout=60)


def test_refusals_change_nothing(editor, anonymous, fresh_db, fresh_app):
    before = snapshot(fresh_db)
    # no file
    token = csrf_from(editor, "/import")
    assert editor.post("/import", data={"csrf_token": token}).status_code == 422
    # no CSRF token
    response = editor.post("/import", files={"file": ("a.csv", b"x", "text/csv")})
    assert response.status_code == 403
    # not logged in
    token = csrf_from(anonymous, "/login")
    response = anonymous.post(
        "/import",
        data={"csrf_token": token},
        files={"file": ("a.csv", b"x", "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert snapshot(fresh_db) == before


def test_upload_size_limit(fresh_app, fresh_db, databases):
    from fastapi.testclient import TestClient

    from tests.helpers import running_app

    url = databases.copy("demo")
    with running_app(url, max_upload_mb=1) as (app, _):
        make_user(app.state.db, "erin")
        client = log_in(TestClient(app), "erin")
        big = csv_bytes([HEADER, *(row + " " + "x" * 100 for row in good_rows(12000))])
        assert len(big) > 1024 * 1024
        response = upload(client, big)
        assert response.status_code == 413
        assert "larger than 1 MB" in response.text


def test_other_peoples_imports_are_private(editor, fresh_app, fresh_db):
    from fastapi.testclient import TestClient

    location = upload(editor, csv_bytes([HEADER, *good_rows(1)])).headers["location"]
    make_user(fresh_db, "eve", "editor")
    eve = log_in(TestClient(fresh_app), "eve")
    assert eve.get(location).status_code == 404
    token = csrf_from(eve, "/import")
    assert eve.post(f"{location}/commit", data={"csrf_token": token}).status_code == 404


# --- rights are those of the moment the rows are stored ----------------------------------


def demote(database, username: str, role: str) -> None:
    from app.accounts import service as accounts_service
    from app.accounts.models import Role

    with database.writing() as session:
        accounts_service.set_role(session, username, Role(role))


def test_an_admin_demoted_after_the_dry_run_cannot_commit_an_approved_import(fresh_app, fresh_db):
    from fastapi.testclient import TestClient

    make_user(fresh_db, "ada@example.org", "admin")
    admin = log_in(TestClient(fresh_app), "ada@example.org")
    location = upload(admin, csv_bytes([HEADER, *good_rows(2)]), approve="yes").headers["location"]
    assert "Every row is fine" in settled(admin, location)
    demote(fresh_db, "ada@example.org", "editor")
    before = snapshot(fresh_db)
    response = confirm(admin, location)
    assert response.status_code == 403
    assert "needs the admin role" in response.text
    assert snapshot(fresh_db) == before


def test_the_commit_itself_checks_the_role_again(fresh_app, fresh_db):
    """Lowered between the request's check and the write: the worker refuses, nothing stored."""
    from fastapi.testclient import TestClient

    from app.interchange import batches
    from app.interchange.models import ImportBatch, ImportState

    user_id = make_user(fresh_db, "ada", "admin")
    admin = log_in(TestClient(fresh_app), "ada")
    location = upload(admin, csv_bytes([HEADER, *good_rows(2)]), approve="yes").headers["location"]
    settled(admin, location)
    batch_id = location.rsplit("/", 1)[1]
    demote(fresh_db, "ada", "reviewer")
    claims_before = snapshot(fresh_db)["claims"]
    batches.commit(fresh_db, batch_id, user_id)
    assert snapshot(fresh_db)["claims"] == claims_before
    with fresh_db.read_session() as session:
        batch = session.get(ImportBatch, batch_id)
        assert batch.state == ImportState.checked
        assert "needs the admin role" in batch.summary["refusal"]
    assert "needs the admin role" in settled(admin, location)


def test_a_deactivated_editor_cannot_commit(fresh_app, fresh_db, editor):
    from app.accounts import service as accounts_service
    from app.interchange import batches

    location = upload(editor, csv_bytes([HEADER, *good_rows(1)])).headers["location"]
    settled(editor, location)
    with fresh_db.writing() as session:
        user_id = accounts_service.get_by_username(session, "erin").id
        accounts_service.deactivate_user(session, "erin")
    before = snapshot(fresh_db)["claims"]
    batches.commit(fresh_db, location.rsplit("/", 1)[1], user_id)
    assert snapshot(fresh_db)["claims"] == before


def test_a_file_name_with_a_bidi_override_is_refused(editor, fresh_db):
    before = snapshot(fresh_db)
    response = upload(editor, csv_bytes([HEADER, *good_rows(1)]), name="claims\u202ecsv.exe")
    assert response.status_code == 422
    assert "file:" in response.text and "bidirectional" in response.text
    assert snapshot(fresh_db) == before
