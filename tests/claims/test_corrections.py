"""Corrections: a new claim replaces an approved one; the old one stays visible, not counting."""

from __future__ import annotations

from sqlalchemy import select

from app.claims.models import Claim
from tests.helpers import csrf_from, decide, snapshot, status_of


def sudzha_recapture_id(fresh_db) -> int:
    with fresh_db.read_session() as session:
        return session.scalar(
            select(Claim.id).where(
                Claim.summary
                == "The ministry announces that the Sever group has taken Sudzha together with"
                " Melovoy and Podol."
            )
        )


def test_correction_replaces_the_old_claim_once_approved(editor, reviewer, anonymous, fresh_db):
    old_id = sudzha_recapture_id(fresh_db)
    form = editor.get(f"/claims/{old_id}/correct").text
    assert f'name="supersedes" value="{old_id}"' in form
    assert 'value="2025-03-13"' in form  # prefilled from the claim
    response = editor.post(
        "/claims/new",
        data={
            "csrf_token": csrf_from(editor, "/claims/new"),
            "supersedes": str(old_id),
            "settlement": "sudzha",
            "status": "contested",
            "as_of": "2025-03-13",
            "published_on": "2025-03-13",
            "source": "russia-mod",
            "verification": "unverified",
            "summary": "Corrected: the Ministry said fighting was still going on in Sudzha.",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    new_id = int(response.headers["location"].rsplit("/", 1)[1])
    # 16 March: every side says Russian control. Pending, the correction changes nothing.
    assert status_of(anonymous, "sudzha", "2025-03-16") == "russian_control"

    # Approved, the Ministry's word of the 13th is "fighting", after a neutral report of
    # Russian control on the 12th: the sides disagree.
    assert decide(reviewer, new_id, "approve").status_code == 303
    assert status_of(anonymous, "sudzha", "2025-03-16") == "contested"
    old_page = anonymous.get(f"/claims/{old_id}").text
    assert "Corrected" in old_page and f'href="/claims/{new_id}"' in old_page
    settlement_page = anonymous.get("/settlements/sudzha?as_of=2025-03-16").text
    assert f"corrected by claim #{new_id}" in settlement_page
    with fresh_db.read_session() as session:
        assert session.get(Claim, old_id).review_state.value == "approved"  # kept as it was


def test_only_approved_claims_can_be_corrected(editor, fresh_db):
    from tests.helpers import ukrainian_sudzha

    pending_id = ukrainian_sudzha(editor)
    assert editor.get(f"/claims/{pending_id}/correct").status_code == 409
    before = snapshot(fresh_db)
    response = editor.post(
        "/claims/new",
        data={
            "csrf_token": csrf_from(editor, "/claims/new"),
            "supersedes": str(pending_id),
            "settlement": "sudzha",
            "status": "contested",
            "as_of": "2025-03-13",
            "source": "tass",
            "verification": "unverified",
        },
    )
    assert response.status_code == 422
    assert "only an approved claim can be corrected" in response.text
    assert snapshot(fresh_db) == before


def correct(editor, old_id: int, summary: str, **changes):
    data = {
        "csrf_token": csrf_from(editor, "/claims/new"),
        "supersedes": str(old_id),
        "settlement": "sudzha",
        "status": "contested",
        "as_of": "2025-03-13",
        "published_on": "2025-03-13",
        "source": "russia-mod",
        "verification": "unverified",
        "summary": summary,
        **changes,
    }
    return editor.post("/claims/new", data=data, follow_redirects=False)


def new_id(response) -> int:
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_two_corrections_of_one_claim_cannot_both_be_approved(
    editor, reviewer, anonymous, fresh_db
):
    old_id = sudzha_recapture_id(fresh_db)
    first = new_id(correct(editor, old_id, "First correction."))
    second = new_id(correct(editor, old_id, "Second correction.", status="ukrainian_control"))
    assert decide(reviewer, first, "approve").status_code == 303
    before = snapshot(fresh_db)
    response = decide(reviewer, second, "approve")
    assert response.status_code == 409
    assert f"already corrected by claim #{first}" in response.text
    assert snapshot(fresh_db) == before
    # Rejecting it is still possible.
    assert decide(reviewer, second, "reject").status_code == 303


def test_a_corrected_claim_offers_no_correction_and_the_form_refuses_one(
    editor, reviewer, fresh_db
):
    old_id = sudzha_recapture_id(fresh_db)
    assert "Correct this claim" in editor.get(f"/claims/{old_id}").text
    first = new_id(correct(editor, old_id, "First correction."))
    assert decide(reviewer, first, "approve").status_code == 303

    assert "Correct this claim" not in editor.get(f"/claims/{old_id}").text
    assert "Correct this claim" in editor.get(f"/claims/{first}").text  # correct the correction
    response = editor.get(f"/claims/{old_id}/correct")
    assert response.status_code == 409
    assert f"already corrected by claim #{first}" in response.text
    before = snapshot(fresh_db)
    response = correct(editor, old_id, "Another try.", status="ukrainian_control")
    assert response.status_code == 422
    assert f"already corrected by claim #{first}" in response.text
    assert snapshot(fresh_db) == before
