"""The form and the importer build claims with one function and find repeats with one rule."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.claims import service as claims_service
from app.claims.models import Claim, ReviewState
from app.claims.schemas import ClaimIn
from app.interchange.importer import commit_import, plan_import
from tests.helpers import make_user

# Columns that differ by who stored the claim, when, and through what; every other column
# comes from claims_service.claim_values for both.
CIRCUMSTANCES = {"id", "created_at", "submitted_by_id", "import_id"}
ROW = "sudzha,contested,2023-03-01,2023-03-02,tass,https://example.org/a,geolocated,Seen there"
HEADER = "settlement,status,as_of,published_on,source,source_url,verification,summary"


def columns(claim: Claim) -> dict[str, object]:
    return {
        c.key: getattr(claim, c.key) for c in Claim.__table__.columns if c.key not in CIRCUMSTANCES
    }


def form_claim(database, user_id: int, **overrides: object) -> int:
    values = {
        "settlement": "sudzha",
        "status": "contested",
        "as_of": date(2023, 3, 1),
        "published_on": date(2023, 3, 2),
        "source": "tass",
        "source_url": "https://example.org/a",
        "verification": "geolocated",
        "summary": "Seen there",
    } | overrides
    with database.writing() as session:
        user = session.get(User, user_id)
        return claims_service.submit(session, ClaimIn(**values), user=user).claim.id


def test_the_form_and_the_import_store_the_same_claim(reference_db):
    editor = make_user(reference_db, "erin")
    form_id = form_claim(reference_db, editor)
    with reference_db.writing() as session:
        by_form = columns(session.get(Claim, form_id))
        session.execute(Claim.__table__.delete().where(Claim.id == form_id))
    with reference_db.writing() as session:
        user = session.get(User, editor)
        commit_import(session, f"{HEADER}\r\n{ROW}\r\n".encode(), user=user, approve=False)
    with reference_db.read_session() as session:
        (imported,) = session.scalars(select(Claim)).all()
        built = claims_service.claim_values(
            ClaimIn.model_validate(dict(zip(HEADER.split(","), ROW.split(","), strict=True))),
            settlement_id=imported.settlement_id,
            source_id=imported.source_id,
        )
        assert columns(imported) == by_form
        assert columns(imported) == {k: v for k, v in built.items() if k not in CIRCUMSTANCES}
        assert imported.review_state == ReviewState.pending


@pytest.mark.parametrize("rejected", [False, True])
def test_one_duplicate_rule_for_the_form_and_the_import(reference_db, rejected):
    editor = make_user(reference_db, "erin")
    reviewer = make_user(reference_db, "rita", "reviewer")
    first = form_claim(reference_db, editor)
    if rejected:
        with reference_db.writing() as session:
            claims_service.decide(
                session,
                first,
                reviewer=session.get(User, reviewer),
                approve=False,
                version=None,
            )
    # Another summary, URL and verification: still the same settlement, source, date, status.
    repeat = "sudzha,contested,2023-03-01,,tass,,unverified,Said again"
    with reference_db.read_session() as session:
        plan = plan_import(session, f"{HEADER}\r\n{repeat}\r\n{repeat}\r\n".encode())
    if rejected:
        # A rejected claim is no duplicate, for either; the file's second row repeats its first.
        assert (plan.added, [s.line for s in plan.skipped]) == (1, [3])
        assert form_claim(reference_db, editor, summary="Said again") > first
    else:
        assert plan.added == 0
        assert [(s.line, s.existing_claim_id) for s in plan.skipped] == [(2, first), (3, first)]
        with pytest.raises(claims_service.ClaimRefused) as refused:
            form_claim(reference_db, editor, summary="Said again")
        assert refused.value.duplicate_id == first
