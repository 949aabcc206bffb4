"""The audit log reads as sentences, names people and things, and aligns each change."""

from __future__ import annotations

import re

from tests.helpers import (
    HEADER,
    confirm,
    csrf_from,
    csv_bytes,
    decide,
    good_rows,
    log_in,
    make_user,
    settled,
    submitted,
    upload,
)


def sentences(html: str) -> list[str]:
    cells = re.findall(
        r'<td data-label="What happened">(.*?)<span class="audit-action">', html, re.S
    )
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_claim_decisions_read_as_sentences(editor, reviewer):
    first = submitted(editor)
    second = submitted(
        editor, as_of="2025-03-02", published_on="2025-03-02", status="russian_control"
    )
    decide(reviewer, first, "approve")
    decide(reviewer, second, "reject", review_note="Same footage as claim 12")
    lines = sentences(reviewer.get("/audit").text)
    assert f"rita approved claim {first} (Sudzha, contested)." in lines
    assert f"erin submitted claim {second} (Sudzha, under Russian control)." in lines
    assert (
        f"rita rejected claim {second} (Sudzha, under Russian control): “Same footage as claim 12”."
        in lines
    )
    assert not any(re.search(r"\buser \d+\b", line) for line in lines)


def test_grade_changes_name_the_source_and_both_grades(fresh_app, fresh_db):
    from fastapi.testclient import TestClient

    make_user(fresh_db, "ada", "admin")
    admin = log_in(TestClient(fresh_app), "ada")
    token = csrf_from(admin, "/sources/deepstate")
    admin.post("/sources/deepstate/reliability", data={"csrf_token": token, "reliability": "B"})
    lines = sentences(admin.get("/audit?action=source.reliability").text)
    assert re.fullmatch(r"ada changed the grade of DeepState from [A-F] to B\.", lines[0])


def test_logins_name_the_account_not_its_number(reviewer):
    lines = sentences(reviewer.get("/audit?action=login").text)
    assert "rita logged in." in lines


def test_an_import_says_how_many_claims_from_which_file(editor, reviewer):
    response = upload(editor, csv_bytes([HEADER, *good_rows(3)]), name="kursk-week.csv")
    location = response.headers["location"]
    settled(editor, location)
    assert confirm(editor, location).status_code == 303
    lines = sentences(reviewer.get("/audit").text)
    assert "erin imported 3 claims from a file (kursk-week.csv)." in lines
    assert "erin uploaded the file kursk-week.csv to check it for import." in lines


def test_the_demo_load_is_said_in_words(client, demo_db):
    from sqlalchemy import select

    from app.accounts import audit_words
    from app.accounts.models import AuditEvent

    with demo_db.read_session() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id).limit(3)).all()
        lines = audit_words.describe(session, events)
    words = [lines[e.id].sentence for e in events]
    assert any(w.startswith("The demo dataset added claim 1 (") for w in words)
