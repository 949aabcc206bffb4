"""Claim pages: submit, inline checks, one claim, corrections, the review queue and decisions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app import dates
from app.accounts.models import Role
from app.accounts.service import acting_user
from app.claims import service as claims_service
from app.claims.forms import CLAIM_FIELDS, NEW_SOURCE, parse_claim_form
from app.claims.models import ASSERTABLE_STATUSES, Claim, ReviewState, Verification
from app.deps import (
    CHECKED_DATES,
    DatabaseDep,
    EditorDep,
    FormDep,
    OptionalUserDep,
    PageRequestDep,
    ReviewerDep,
    RowId,
    SessionDep,
    SettingsDep,
)
from app.faults import DatabaseFault
from app.flash import flash
from app.i18n import gettext
from app.paging import PAGE_SIZE
from app.settlements import service as settlements_service
from app.sources import service as sources_service
from app.sources.models import Side, SourceKind
from app.status import service as status_service
from app.templating import is_htmx, render
from app.validation import INT32_MAX, check_plain_text, parse_bounded_int

router = APIRouter()
ClaimId = RowId
SUGGESTIONS = 20
REVIEW_NOTE_MAX_LENGTH = 2000


def form_context(session: Any, **extra: Any) -> dict[str, Any]:
    return {
        "as_of": dates.today(),
        # The team's form lists hidden (proposed, not yet approved) sources too.
        "sources": sources_service.list_sources(session, include_hidden=True),
        "settlement_options": settlements_service.search(session)[:200],
        "statuses": list(ASSERTABLE_STATUSES),
        "verifications": [v for v in Verification],
        "kinds": list(SourceKind),
        "sides": list(Side),
        "NEW_SOURCE": NEW_SOURCE,
        "errors": {},
        **extra,
    }


@router.get("/claims/new", include_in_schema=False)
def new_claim_form(
    request: Request, session: SessionDep, user: EditorDep, settlement: str = ""
) -> Response:
    if is_htmx(request) and request.headers.get("HX-Target") == "settlement-options":
        # Type-ahead: the <datalist> block of this page, with the settlements that match.
        options = settlements_service.search(session, settlement)[:SUGGESTIONS]
        return render(
            request,
            "claim_form.html",
            form_context(session, settlement_options=options),
            fragments={"settlement-options": "settlement_options"},
        )
    values = {name: "" for name in CLAIM_FIELDS}
    values.update(settlement=settlement, verification="unverified")
    return render(request, "claim_form.html", form_context(session, values=values))


@router.get("/claims/{claim_id}/correct", include_in_schema=False)
def correct_claim_form(
    request: Request, claim_id: ClaimId, session: SessionDep, user: EditorDep
) -> Response:
    claim = _visible_claim(session, claim_id, user)
    refusal = claims_service.correctable(session, claim)
    if refusal is not None:
        raise HTTPException(409, refusal[0].upper() + refusal[1:] + ".")
    values = {
        "settlement": claim.settlement.slug,
        "status": claim.status.value,
        "as_of": claim.as_of.isoformat(),
        "published_on": claim.published_on.isoformat(),
        "source": claim.source.slug,
        "source_url": claim.source_url,
        "verification": claim.verification.value,
        "summary": claim.summary,
    }
    return render(
        request, "claim_form.html", form_context(session, values=values, supersedes=claim)
    )


@router.post("/claims/new", include_in_schema=False)
def submit_claim(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    user: EditorDep,
    raw: FormDep,
) -> Response:
    form = parse_claim_form(raw)
    supersedes = _supersedes(session, raw.get("supersedes", ""), form.errors)
    duplicate = None
    fault = None
    if form.ok and form.claim is not None and "supersedes" not in form.errors:
        try:
            with database.writing() as write:
                submitted = claims_service.submit(
                    write,
                    form.claim,
                    user=acting_user(write, user.id, Role.editor),
                    supersedes_id=supersedes.id if supersedes else None,
                    new_source=form.new_source,
                )
                claim_id = submitted.claim.id
                what = claims_service.describe(submitted.claim)
            flash(
                request,
                gettext("Submitted %(claim)s for review.") % {"claim": what}
                if supersedes is None
                else gettext("Submitted %(claim)s, correcting claim %(corrected)s, for review.")
                % {"claim": what, "corrected": supersedes.id},
            )
            # Said on the claim's page: the "new" source was one already recorded.
            filed = "?filed_under_existing_source=1" if submitted.existing_source else ""
            return RedirectResponse(f"/claims/{claim_id}{filed}", status_code=303)
        except claims_service.ClaimRefused as refused:
            form.errors.update(refused.errors)
            # The write session is gone (rolled back): look the duplicate up again to show it.
            duplicate = (
                claims_service.get(session, refused.duplicate_id) if refused.duplicate_id else None
            )
        except DatabaseFault as error:
            fault = error  # the form comes back as typed, with the reason above it
    context = form_context(
        session,
        values=form.values,
        errors=form.errors,
        supersedes=supersedes,
        duplicate=duplicate,
        fault=fault.sentence() if fault else None,
    )
    status_code = fault.status_code if fault else 409 if duplicate else 422
    return render(request, "claim_form.html", context, status_code=status_code)


@router.post("/claims/check", include_in_schema=False)
def check_claim(request: Request, session: SessionDep, user: EditorDep, raw: FormDep) -> Response:
    """Inline validation while the form is filled in: its error slots, swapped out of band.

    Only fields that hold something (or the one just left) are judged, so that an untouched
    field is not scolded.
    """
    form = parse_claim_form(raw)
    if (
        form.claim is not None
        and claims_service.resolve_settlement(session, form.claim.settlement) is None
    ):
        form.errors["settlement"] = gettext("no settlement called “%(name)s”") % {
            "name": raw.get("settlement", "")
        }
    touched = {name for name, value in raw.items() if value.strip()}
    touched.add(request.headers.get("HX-Trigger-Name", ""))
    errors = {k: v for k, v in form.errors.items() if k in touched}
    return render(
        request,
        "claim_form.html",
        form_context(session, values=form.values, errors=errors),
        fragments={"claim-form": "field_errors"},
    )


def _supersedes(session: Any, raw_id: str, errors: dict[str, str]) -> Claim | None:
    if not raw_id.strip():
        return None
    try:
        claim_id = parse_bounded_int(raw_id.strip(), maximum=INT32_MAX)
    except ValueError:
        errors["supersedes"] = gettext("must be a claim number")
        return None
    claim = claims_service.get(session, claim_id)
    refusal = (
        claims_service.correctable(session, claim) if claim else gettext("there is no such claim")
    )
    if refusal is not None:
        errors["supersedes"] = refusal
        return None
    return claim


def _visible_claim(session: Any, claim_id: int, user: Any) -> Claim:
    """Approved claims are public; pending and rejected ones only for the team."""
    claim = claims_service.get(session, claim_id)
    if claim is None or (claim.review_state != ReviewState.approved and user is None):
        raise HTTPException(
            404, gettext("There is no claim #%(claim)s here.") % {"claim": claim_id}
        )
    return claim


@router.get("/claims/{claim_id}", include_in_schema=False, dependencies=CHECKED_DATES)
def claim_detail(
    request: Request, claim_id: ClaimId, session: SessionDep, user: OptionalUserDep
) -> Response:
    return _claim_page(request, session, _visible_claim(session, claim_id, user))


def _claim_page(
    request: Request, session: Any, claim: Claim, *, status_code: int = 200, **extra: Any
) -> Response:
    context = {
        "as_of": dates.today(),
        "claim": claim,
        "corrections": claims_service.corrections_of(session, claim.id),
        "correctable": claims_service.correctable(session, claim) is None,
        "filed_under_existing_source": getattr(request.state, "user", None) is not None
        and request.query_params.get("filed_under_existing_source") == "1",
        "trail": claims_service.audit_trail(session, claim.id),
        **extra,
    }
    return render(request, "claim.html", context, status_code=status_code)


@router.get("/review", include_in_schema=False)
def review_queue(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: ReviewerDep,
    paging: PageRequestDep,
) -> Response:
    today = dates.today()
    page = claims_service.pending_queue(
        session, after=paging.after, offset=paging.offset(PAGE_SIZE)
    )
    queue = page.items
    previews = status_service.review_previews(session, queue, today, settings.contest_window_days)
    return render(
        request,
        "review.html",
        {"as_of": today, "queue": queue, "page": page, "previews": previews},
    )


def _decide(
    request: Request,
    claim_id: int,
    session: Any,
    database: Any,
    user: Any,
    raw: dict[str, str],
    approve: bool,
) -> Response:
    version_text = raw.get("version", "")
    try:
        # The version is compared, never stored: any number in range is fine (a stale one
        # is refused by the service with 409), anything else is a malformed form.
        version = parse_bounded_int(version_text, maximum=INT32_MAX) if version_text else None
    except ValueError as error:
        raise HTTPException(422, f"version: {error}") from None
    try:
        note = check_plain_text(raw.get("review_note", "").strip(), REVIEW_NOTE_MAX_LENGTH)
    except ValueError as error:
        # The claim's page again, the note as typed (cut to a readable length) and the
        # reason beside the buttons: nothing was decided.
        return _claim_page(
            request,
            session,
            _visible_claim(session, claim_id, user),
            status_code=422,
            review_error=gettext("The review note %(problem)s.") % {"problem": error},
            review_note=raw.get("review_note", "")[: REVIEW_NOTE_MAX_LENGTH + 100],
            next=raw.get("next") if raw.get("next") == "/review" else None,
        )
    try:
        with database.writing() as write:
            decided = claims_service.decide(
                write,
                claim_id,
                reviewer=acting_user(write, user.id, Role.reviewer),
                approve=approve,
                version=version,
                note=note,
            )
            what = claims_service.describe(decided)
    except claims_service.ReviewRefused as refused:
        raise HTTPException(refused.status_code, refused.message) from None
    except DatabaseFault as fault:
        # The claim's page again, the note as typed and the reason beside the buttons.
        claim = _visible_claim(session, claim_id, user)
        return _claim_page(
            request,
            session,
            claim,
            status_code=fault.status_code,
            review_error=fault.sentence(),
            review_note=note,
            next=raw.get("next") if raw.get("next") == "/review" else None,
        )
    flash(
        request,
        (gettext("Approved %(claim)s.") if approve else gettext("Rejected %(claim)s."))
        % {"claim": what},
    )
    return RedirectResponse(
        "/review" if raw.get("next") == "/review" else f"/claims/{claim_id}", 303
    )


@router.post("/claims/{claim_id}/approve", include_in_schema=False)
def approve_claim(
    request: Request,
    claim_id: ClaimId,
    session: SessionDep,
    database: DatabaseDep,
    user: ReviewerDep,
    raw: FormDep,
) -> Response:
    return _decide(request, claim_id, session, database, user, raw, approve=True)


@router.post("/claims/{claim_id}/reject", include_in_schema=False)
def reject_claim(
    request: Request,
    claim_id: ClaimId,
    session: SessionDep,
    database: DatabaseDep,
    user: ReviewerDep,
    raw: FormDep,
) -> Response:
    return _decide(request, claim_id, session, database, user, raw, approve=False)
