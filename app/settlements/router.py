"""Settlement pages: the searchable list and one settlement's timeline and claims."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app import charts
from app.claims import service as claims_service
from app.deps import (
    DATED_PAGE,
    SETTLEMENT_DATED_PAGE,
    AsOfDep,
    KnownOnDep,
    PageRequestDep,
    PageStatusFiltersDep,
    SessionDep,
    SettingsDep,
    SettlementDep,
)
from app.i18n import alphabetical_key, place_name
from app.paging import MAX_CURSOR_LENGTH, PAGE_SIZE, Key, page_of_rows
from app.settlements import service as settlements_service
from app.status import derive
from app.status import service as status_service
from app.status.service import SettlementStatus
from app.templating import render

# The date control: the region's steps on the list, the settlement's own on its page (never
# both: the region's would be worked out only to be replaced).
router = APIRouter()


def _directory_key(row: SettlementStatus) -> Key:
    # In the reader's alphabet, by the name the reader sees (Суджа among the С in Ukrainian).
    return (alphabetical_key(place_name(row.settlement)), row.settlement.id)


def _oldest_evidence_key(row: SettlementStatus) -> Key:
    # Where fresh claims are most needed: the oldest evidence first.
    return (
        -(row.evidence.days or 0),
        alphabetical_key(place_name(row.settlement)),
        row.settlement.id,
    )


@router.get("/settlements", include_in_schema=False, dependencies=DATED_PAGE)
def settlement_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    filters: PageStatusFiltersDep,
    paging: PageRequestDep,
) -> Response:
    rows = status_service.status_table_for(
        session, settings, filters.as_of, **filters.table_filters()
    )
    if filters.stale:
        page = page_of_rows(
            rows,
            _oldest_evidence_key,
            (int, str, int),
            after=paging.after,
            offset=paging.offset(PAGE_SIZE),
        )
    else:
        page = page_of_rows(
            rows, _directory_key, (str, int), after=paging.after, offset=paging.offset(PAGE_SIZE)
        )
    return render(
        request,
        "settlements.html",
        {
            "as_of": filters.as_of,
            "page": page,
            "q": filters.q,
            "status": filters.status,
            "district": filters.district,
            "stale": bool(filters.stale),
            "stale_days": settings.stale_days,
            "districts": settlements_service.districts(session),
        },
        fragments={"results": "results", "settlement-rows": "results"},
    )


@router.get("/settlements/{slug}", include_in_schema=False, dependencies=SETTLEMENT_DATED_PAGE)
def settlement_detail(
    request: Request,
    settlement: SettlementDep,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
    paging: PageRequestDep,
    periods: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH,
            description="From the timeline's “next” link: the periods before the last one shown.",
        ),
    ] = None,
) -> Response:
    window = settings.contest_window_days
    timeline, current = status_service.settlement_status(
        session, settings, settlement, as_of, known_on
    )
    facts = status_service.settlement_facts(session, settlement.id, known_on)
    analysis = derive.explain(facts, as_of, window, known_on)
    page, later = claims_service.listed_claim_records_of_settlement(
        session,
        settlement.id,
        as_of,
        known_on,
        after=paging.after,
        offset=paging.offset(PAGE_SIZE),
    )
    shown = page.total or 0
    claims = page.items
    latest = current.derived.latest_as_of
    window_claims = claims_service.records_by_ids(session, (c.id for c in analysis.window))
    return render(
        request,
        "settlement.html",
        {
            "as_of": as_of,
            "settlement": settlement,
            "current": current,
            "analysis": analysis,
            "window_claims": window_claims,
            "claim_roles": derive.claim_roles(current.derived, window_claims),
            "stale_days": settings.stale_days,
            "timeline": timeline,
            "periods": status_service.periods_newest_first(timeline, after=periods),
            "strip_bars": charts.strip_bars(timeline, timeline[0].start, as_of) if timeline else [],
            "claims": claims,
            "claims_total": shown,
            "page": page,
            "later_claims": later,
            # The window of the rule: claims dated in (latest - W, latest].
            "window_start_day": latest - timedelta(days=window - 1) if latest else None,
            "superseded": claims_service.superseded_ids(session, (c.id for c in claims), known_on),
            "window_days": window,
        },
        fragments={"settlement-claims": "claims_list", "settlement-periods": "periods_list"},
    )
