"""One text policy for every free-text field, and claims assert a status a source can say."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select

from app.accounts import service as accounts_service
from app.accounts.models import Role
from app.claims.models import Claim
from app.interchange.importer import plan_import
from app.validation import check_text
from tests.helpers import csrf_from, decide, error_beside, snapshot, submit, submitted

HOSTILE = [
    ("\u202egnp.exe", "bidirectional"),  # right-to-left override
    ("Sudzha \u2066held\u2069", "bidirectional"),  # isolates
    ("abc\u202a", "bidirectional"),
    ("bell\x07", "control characters"),
    ("escape\x1b[31m", "control characters"),
    ("c1\x85control", "control characters"),
    ("nul\x00", "NUL"),
]


@pytest.mark.parametrize(("value", "reason"), HOSTILE)
def test_the_policy_refuses(value, reason):
    with pytest.raises(ValueError, match=reason):
        check_text(value)
    with pytest.raises(ValueError, match=reason):
        check_text(value, multiline=True)


def test_the_policy_keeps_what_people_write():
    assert check_text("Бої тривають\nу Суджі\tсьогодні", multiline=True) == (
        "Бої тривають\nу Суджі\tсьогодні"
    )
    assert check_text("line\r\nbreak", multiline=True) == "line\nbreak"
    assert check_text("\u200fשלום\u200e") == "\u200fשלום\u200e"  # marks, not overrides
    with pytest.raises(ValueError, match="control"):
        check_text("two\nlines")  # one-line fields take no line break
    decomposed = unicodedata.normalize("NFD", "Плёхово")
    assert decomposed != "Плёхово"
    assert check_text(decomposed) == "Плёхово"  # NFC


@pytest.mark.parametrize(("value", "reason"), HOSTILE[:6])
def test_the_claim_form_refuses_hostile_summaries(editor, fresh_db, value, reason):
    before = snapshot(fresh_db)
    response = submit(editor, summary=value)
    assert response.status_code == 422
    assert reason in error_beside(response.text, "summary")
    assert snapshot(fresh_db) == before


def test_the_claim_form_stores_text_in_nfc(editor, fresh_db):
    response = submit(editor, summary=unicodedata.normalize("NFD", "Плёхово: бої"))
    assert response.status_code == 303
    with fresh_db.read_session() as session:
        stored = session.scalar(select(Claim.summary).order_by(Claim.id.desc()).limit(1))
    assert stored == "Плёхово: бої"


def test_a_settlement_typed_with_an_override_is_refused(editor, fresh_db):
    before = snapshot(fresh_db)
    response = submit(editor, settlement="\u202eahzdus")
    assert response.status_code == 422
    assert "bidirectional" in error_beside(response.text, "settlement")
    assert snapshot(fresh_db) == before


def test_a_review_note_with_an_override_is_refused(editor, reviewer, fresh_db):
    claim_id = submitted(editor, as_of="2025-01-05")
    before = snapshot(fresh_db)
    response = decide(reviewer, claim_id, "approve", review_note="fine\u202e")
    assert response.status_code == 422
    assert "review_note" in response.text and "bidirectional" in response.text
    assert snapshot(fresh_db) == before
    response = decide(reviewer, claim_id, "approve", review_note="Checked.\r\nLine two.")
    assert response.status_code == 303
    with fresh_db.read_session() as session:
        assert session.get(Claim, claim_id).review_note == "Checked.\nLine two."


@pytest.mark.parametrize(
    "username", ["erin\u202e", "erin\x07", "érin@example.org", "e\u2066rin@example.org"]
)
def test_usernames_follow_the_policy(fresh_db, username):
    before = snapshot(fresh_db)
    with fresh_db.writing() as session, pytest.raises(accounts_service.AccountError):
        accounts_service.create_user(session, username, "a long passphrase here", Role.editor)
    assert snapshot(fresh_db) == before


def test_imported_text_follows_the_policy(reference_db):
    data = (
        "settlement,status,as_of,source,summary\r\n"
        "sudzha,contested,2025-03-01,tass,Fine text\r\n"
        "sudzha,contested,2025-03-02,tass,\u202eevil\r\n"
        "sudzha,contested,2025-03-03,tass\u2067,x\r\n"
    ).encode()
    with reference_db.read_session() as session:
        plan = plan_import(session, data)
    assert {(p.line, p.column) for p in plan.problems} == {(3, "summary"), (4, "source")}
    assert all("bidirectional" in p.reason for p in plan.problems)


def test_imported_settlement_names_follow_the_policy(reference_db):
    data = (
        "slug,name,name_uk,aliases\r\n"
        "newtown,Newtown\u202e,,\r\n"
        "newvillage,Newvillage,Нове\x07,\r\n"
        "newhamlet,Newhamlet,,One|Two\u2066\r\n"
    ).encode()
    with reference_db.read_session() as session:
        plan = plan_import(session, data)
    assert {(p.line, p.column) for p in plan.problems} == {
        (2, "name"),
        (3, "name_uk"),
        (4, "aliases"),
    }


# --- bytes that are not UTF-8 ---------------------------------------------------------------


def test_invalid_utf8_in_a_form_body_is_a_422_naming_the_field(editor, fresh_db):
    token = csrf_from(editor, "/claims/new")
    before = snapshot(fresh_db)
    for raw in (b"summary=caf\xff", b"summary=caf%FF", b"summary=%C3%28"):
        body = (
            b"settlement=sudzha&status=contested&as_of=2025-03-01&source=isw&csrf_token="
            + token.encode()
            + b"&"
            + raw
        )
        response = editor.post(
            "/claims/new",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )
        assert response.status_code == 422, raw
        assert "summary is not valid UTF-8 text" in response.text
    assert snapshot(fresh_db) == before


def test_invalid_utf8_in_a_query_is_a_422_naming_the_parameter(client):
    response = client.get("/api/v1/settlements?q=%FF")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "q"


def test_valid_utf8_still_arrives(editor, fresh_db):
    token = csrf_from(editor, "/claims/new")
    body = (
        "settlement=sudzha&status=contested&as_of=2025-03-01&source=isw&verification=unverified"
        "&summary=Бої"
        f"&csrf_token={token}"
    ).encode()
    response = editor.post(
        "/claims/new",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with fresh_db.read_session() as session:
        assert session.scalar(select(Claim.summary).order_by(Claim.id.desc()).limit(1)) == "Бої"


# --- a claim asserts what a source can say --------------------------------------------------


def test_the_form_offers_no_unknown_and_refuses_it(editor, fresh_db):
    form = editor.get("/claims/new").text
    assert 'value="unknown"' not in form
    assert 'value="contested"' in form
    before = snapshot(fresh_db)
    response = submit(editor, status="unknown")
    assert response.status_code == 422
    beside = error_beside(response.text, "status")
    assert "Choose a status: under Russian control, under Ukrainian control, or contested" in beside
    assert snapshot(fresh_db) == before


def test_an_import_refuses_unknown(reference_db):
    data = b"settlement,status,as_of,source\r\nsudzha,unknown,2025-03-01,tass\r\n"
    with reference_db.read_session() as session:
        plan = plan_import(session, data)
    assert [(p.line, p.column) for p in plan.problems] == [(2, "status")]
    assert "in the file write russian_control, ukrainian_control, or contested" in (
        plan.problems[0].reason
    )


def test_scripts_take_status_words_from_the_page_not_a_copy(client):
    """One list of labels (app.domain): a script that spelled them again would drift (and
    would not follow a translated page)."""
    import json
    import re
    from pathlib import Path

    from app.domain import STATUS_LABELS

    scripts = Path(__file__).resolve().parents[1] / "static" / "js"
    for script in scripts.glob("*.js"):
        text = script.read_text()
        for label in STATUS_LABELS.values():
            assert f'"{label}"' not in text, f"{script.name} spells {label!r} itself"
    html = client.get("/map").text
    words = json.loads(re.search(r"data-status-labels='([^']+)'", html).group(1))
    assert words == {status.value: label for status, label in STATUS_LABELS.items()}
