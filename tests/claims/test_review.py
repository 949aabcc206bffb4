"""Reviewers approve or reject pending claims: once, never their own, and it counts at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import AuditEvent
from app.claims.models import Claim, ReviewState
from tests.helpers import (
    csrf_from,
    decide,
    snapshot,
    status_of,
    submitted,
    ukrainian_sudzha,
)


def test_queue_shows_the_claim_and_what_it_would_change(editor, reviewer):
    claim_id = ukrainian_sudzha(editor)
    html = reviewer.get("/review").text
    item = html[html.index(f'id="claim-{claim_id}"') :]
    assert "Now:" in item and "If approved:" in item
    assert "changes the status" in item
    assert "badge--russian_control" in item.split("If approved:")[0]
    assert "badge--ukrainian_control" in item.split("If approved:")[1]


def test_approval_changes_the_derived_status_at_once(editor, reviewer, anonymous):
    claim_id = ukrainian_sudzha(editor)
    assert status_of(anonymous, "sudzha", "2025-03-25") == "russian_control"
    response = decide(reviewer, claim_id, "approve", review_note="Matches geolocated footage.")
    assert response.status_code == 303
    assert status_of(anonymous, "sudzha", "2025-03-25") == "ukrainian_control"
    page = anonymous.get(f"/claims/{claim_id}").text
    assert "Approved by a reviewer" in page  # readers are not told who is on the team
    assert "rita" not in page
    assert "Matches geolocated footage." in page
    assert "Approved by rita" in reviewer.get(f"/claims/{claim_id}").text


def test_rejection_leaves_the_status_alone(editor, reviewer, anonymous, fresh_db):
    claim_id = ukrainian_sudzha(editor)
    assert decide(reviewer, claim_id, "reject", review_note="No evidence.").status_code == 303
    assert status_of(anonymous, "sudzha", "2025-03-25") == "russian_control"
    with fresh_db.read_session() as session:
        assert session.get(Claim, claim_id).review_state == ReviewState.rejected
    # A rejected claim is not public.
    assert anonymous.get(f"/claims/{claim_id}").status_code == 404


def test_pending_claims_are_not_public(editor, anonymous):
    claim_id = ukrainian_sudzha(editor)
    assert anonymous.get(f"/claims/{claim_id}").status_code == 404
    assert editor.get(f"/claims/{claim_id}").status_code == 200


def test_nobody_reviews_their_own_claim(reviewer, fresh_db):
    claim_id = submitted(reviewer)  # reviewers may submit too
    before = snapshot(fresh_db)
    response = decide(reviewer, claim_id, "approve", version="1")
    assert response.status_code == 403
    assert "own claim" in response.text
    assert snapshot(fresh_db) == before
    assert "another reviewer must decide it" in reviewer.get("/review").text


def test_the_second_decision_gets_409_and_changes_nothing(
    editor, reviewer, second_reviewer, fresh_db
):
    claim_id = ukrainian_sudzha(editor)
    stale_version = "1"
    assert decide(reviewer, claim_id, "approve", version=stale_version).status_code == 303
    before = snapshot(fresh_db)
    response = decide(second_reviewer, claim_id, "reject", version=stale_version)
    assert response.status_code == 409
    assert "already approved by rita" in response.text
    assert snapshot(fresh_db) == before


def test_a_stale_version_gets_409(editor, reviewer, fresh_db):
    claim_id = ukrainian_sudzha(editor)
    before = snapshot(fresh_db)
    assert decide(reviewer, claim_id, "approve", version="7").status_code == 409
    assert snapshot(fresh_db) == before


def test_editors_cannot_review(editor, fresh_db):
    claim_id = ukrainian_sudzha(editor)
    assert editor.get("/review").status_code == 403
    assert editor.get("/audit").status_code == 403
    before = snapshot(fresh_db)
    token = csrf_from(editor, "/claims/new")
    response = editor.post(
        f"/claims/{claim_id}/approve", data={"csrf_token": token, "version": "1"}
    )
    assert response.status_code == 403
    assert "reviewer role" in response.text
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/claims/new"),
        ("post", "/claims/new"),
        ("get", "/review"),
        ("get", "/audit"),
        ("post", "/claims/1/approve"),
        ("post", "/claims/1/reject"),
        ("get", "/claims/1/correct"),
    ],
)
def test_anonymous_writes_are_sent_to_login(anonymous, fresh_db, method, path):
    token = csrf_from(anonymous, "/login")  # even with a valid token, no session means no write
    before = snapshot(fresh_db)
    kwargs = {"data": {"csrf_token": token, "version": "1"}} if method == "post" else {}
    response = getattr(anonymous, method)(path, follow_redirects=False, **kwargs)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert snapshot(fresh_db) == before


def test_unknown_claim(reviewer):
    assert reviewer.get("/claims/999999").status_code == 404
    assert decide(reviewer, 999999, version="1").status_code == 404
    assert reviewer.get("/claims/not-a-number").status_code == 422


def test_every_step_is_audited(editor, reviewer, fresh_db):
    claim_id = ukrainian_sudzha(editor)
    decide(reviewer, claim_id, "approve")
    with fresh_db.read_session() as session:
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type == "claim", AuditEvent.entity_id == str(claim_id)
            )
        ).all()
        assert [e.action for e in events] == ["claim.submit", "claim.approve"]
        approve = events[1]
        assert approve.actor.username == "rita"
        assert approve.before["review_state"] == "pending"
        assert approve.after["review_state"] == "approved"
    html = reviewer.get(f"/audit?entity=claim:{claim_id}").text
    assert "claim.submit" in html and "claim.approve" in html
    assert f'rita approved <a href="/claims/{claim_id}">claim {claim_id}</a> (Sudzha' in html
    assert re.search(
        r"<dt>review state</dt><dd><span class=\"audit-before\">pending</span>.*?→.*?"
        r"<span class=\"audit-after\">approved</span></dd>",
        html,
    )


def test_the_write_reads_the_reviewers_role_again(fresh_db):
    """A role lowered after a request was let through stops the write it leads to."""
    from app.accounts import service as accounts_service
    from app.accounts.models import Role
    from tests.helpers import make_user

    user_id = make_user(fresh_db, "rita@example.org", "reviewer")
    with fresh_db.writing() as session:
        assert accounts_service.acting_user(session, user_id, Role.reviewer).id == user_id
        accounts_service.set_role(session, "rita@example.org", Role.editor)
    with fresh_db.writing() as session, pytest.raises(accounts_service.NotAllowed):
        accounts_service.acting_user(session, user_id, Role.reviewer)


@pytest.mark.parametrize(
    ("note", "reason"),
    [("x" * 2001, "at most"), ("bell\x07 in the note", "control character")],
)
def test_a_bad_review_note_is_answered_beside_the_buttons_and_decides_nothing(
    editor, reviewer, fresh_db, note, reason
):
    claim_id = ukrainian_sudzha(editor)
    before = snapshot(fresh_db)
    response = decide(reviewer, claim_id, "approve", review_note=note)
    assert response.status_code == 422
    alert = response.text[response.text.index('class="form-error" role="alert"') :][:400]
    assert "The decision was not stored." in alert and "The review note" in alert
    assert reason in alert.lower() or reason in alert
    assert snapshot(fresh_db) == before
