"""Source pages: who said what, and how their claims fared."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app import dates
from app.accounts.models import Role
from app.accounts.service import acting_user
from app.claims import service as claims_service
from app.deps import (
    DATED_PAGE,
    AsOfDep,
    DatabaseDep,
    FormDep,
    KnownOnDep,
    OptionalUserDep,
    PageRequest,
    PageRequestDep,
    ReviewerDep,
    SessionDep,
    SettingsDep,
)
from app.faults import DatabaseFault
from app.flash import flash
from app.i18n import gettext
from app.paging import PAGE_SIZE
from app.sources import service as sources_service
from app.sources.models import Reliability, Source
from app.sources.track_record import HORIZON_DAYS, Outcome
from app.status import service as status_service
from app.templating import render
from app.validation import choice_message

router = APIRouter()
FIRST_PAGE = PageRequest(None, 1)


@router.get("/sources", include_in_schema=False, dependencies=DATED_PAGE)
def source_list(
    request: Request, session: SessionDep, settings: SettingsDep, as_of: AsOfDep
) -> Response:
    history = status_service.region_history(session, settings.contest_window_days)
    return render(
        request,
        "sources.html",
        {
            "as_of": as_of,
            "sources": sources_service.list_sources(session),
            "records": sources_service.track_records(
                session, history, dates.today(), settings.contest_window_days
            ),
            "Outcome": Outcome,
            "horizon": HORIZON_DAYS,
        },
    )


def _source_or_404(session: SessionDep, slug: str, *, public_only: bool = True) -> Source:
    """A source by slug; one proposed but not yet approved only for the team."""
    source = sources_service.get_by_slug(session, slug, public_only=public_only)
    if source is None:
        raise HTTPException(404, gettext("There is no source “%(slug)s” here.") % {"slug": slug})
    return source


@router.get("/sources/{slug}", include_in_schema=False, dependencies=DATED_PAGE)
def source_detail(
    request: Request,
    slug: str,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
    user: OptionalUserDep,
    paging: PageRequestDep,
) -> Response:
    source = _source_or_404(session, slug, public_only=user is None)
    return _source_page(request, session, settings, source, as_of, paging, known_on=known_on)


def _source_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    source: Source,
    as_of: date,
    paging: PageRequest = FIRST_PAGE,
    *,
    known_on: date | None = None,
    status_code: int = 200,
    grade_error: str | None = None,
) -> Response:
    history = status_service.region_history(session, settings.contest_window_days)
    records = sources_service.track_records(
        session, history, dates.today(), settings.contest_window_days
    )
    record = records.get(source.id)
    page = claims_service.claims_of_source(
        session,
        source.id,
        as_of=as_of,
        known_on=known_on,
        after=paging.after,
        offset=paging.offset(PAGE_SIZE),
    )
    return render(
        request,
        "source.html",
        {
            "as_of": as_of,
            "known_on": known_on,
            "source": source,
            "record": record,
            "claims": page.items,
            "page": page,
            "Outcome": Outcome,
            "horizon": HORIZON_DAYS,
            "reliabilities": list(Reliability),
            "grade_error": grade_error,
        },
        status_code=status_code,
        fragments={"source-claims": "claims_list"},
    )


@router.post("/sources/{slug}/reliability", include_in_schema=False)
def set_reliability(
    request: Request,
    slug: str,
    session: SessionDep,
    settings: SettingsDep,
    database: DatabaseDep,
    user: ReviewerDep,
    raw: FormDep,
) -> Response:
    def refused(status_code: int, message: str) -> Response:
        # The source's page again, the reason beside the grade; nothing changed.
        source = _source_or_404(session, slug, public_only=False)
        return _source_page(
            request,
            session,
            settings,
            source,
            dates.today(),
            status_code=status_code,
            grade_error=message,
        )

    try:
        grade = Reliability(raw.get("reliability", "").strip().upper())
    except ValueError:
        return refused(422, choice_message("reliability") + ".")
    try:
        with database.writing() as write:
            source = _source_or_404(write, slug, public_only=False)
            before = source.reliability
            sources_service.set_reliability(
                write, source, grade, actor=acting_user(write, user.id, Role.reviewer)
            )
            slug = source.slug
            confirmation = (
                gettext("The grade of %(source)s is now %(grade)s (it was %(before)s).")
                % {"source": source.name, "grade": grade.value, "before": before.value}
                if before != grade
                else gettext("The grade of %(source)s stays %(grade)s.")
                % {"source": source.name, "grade": grade.value}
            )
    except DatabaseFault as fault:
        return refused(fault.status_code, fault.sentence())
    flash(request, confirmation)
    return RedirectResponse(f"/sources/{slug}", status_code=303)
