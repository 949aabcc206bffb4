"""Settlement pages: the searchable list and one settlement's timeline and claims."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.claims import service as claims_service
from app.claims.models import ControlStatus
from app.deps import (
    DATED_PAGE,
    SETTLEMENT_DATED_PAGE,
    AsOfDep,
    DistrictDep,
    KnownOnDep,
    PageNumber,
    SessionDep,
    SettingsDep,
    SettlementDep,
    query_enum,
)
from app.interchange import filters
from app.settlements import service as settlements_service
from app.status import derive
from app.status import service as status_service
from app.templating import render

router = APIRouter(dependencies=DATED_PAGE)
# Claims listed per page of a settlement, newest first.
CLAIMS_PAGE = 100


@router.get("/settlements", include_in_schema=False)
def settlement_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
    district: DistrictDep,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str | None, Query(description="One of the control statuses.")] = None,
    stale: Annotated[
        str, Query(description="1: only statuses resting on stale evidence, oldest first.")
    ] = "",
) -> Response:
    wanted = query_enum("status", status, ControlStatus)
    if stale not in ("", "0", "1"):
        raise filters.as_request_error(filters.FilterError("stale", "must be 1 or 0"))
    rows = status_service.status_table_for(
        session,
        settings,
        as_of,
        known_on=known_on,
        q=q,
        district=district,
        status=wanted,
    )
    if stale == "1":
        rows = status_service.oldest_evidence_first(rows)
    return render(
        request,
        "settlements.html",
        {
            "as_of": as_of,
            "rows": rows,
            "q": q,
            "status": wanted,
            "district": district,
            "stale": stale == "1",
            "stale_days": settings.stale_days,
            "districts": settlements_service.districts(session),
        },
        fragments={"results": "results"},
    )


@router.get("/settlements/{slug}", include_in_schema=False, dependencies=SETTLEMENT_DATED_PAGE)
def settlement_detail(
    request: Request,
    settlement: SettlementDep,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
    page: PageNumber = 1,
) -> Response:
    window = settings.contest_window_days
    timeline = status_service.settlement_timeline(session, settlement, as_of, window, known_on)
    current = status_service.status_from_timeline(
        settlement, timeline, as_of, window, settings.stale_days
    )
    facts = status_service.settlement_facts(session, settlement.id, known_on)
    analysis = derive.explain(facts, as_of, window, known_on)
    shown, later = claims_service.count_of_settlement(session, settlement.id, as_of, known_on)
    claims = claims_service.claims_of_settlement(
        session,
        settlement.id,
        up_to=as_of,
        known_on=known_on,
        limit=CLAIMS_PAGE,
        offset=(page - 1) * CLAIMS_PAGE,
    )
    latest = current.derived.latest_as_of
    return render(
        request,
        "settlement.html",
        {
            "as_of": as_of,
            "settlement": settlement,
            "current": current,
            "analysis": analysis,
            "window_claims": claims_service.by_ids(session, (c.id for c in analysis.window)),
            "stale_days": settings.stale_days,
            "timeline": timeline,
            "claims": claims,
            "claims_total": shown,
            "page": page,
            "pages": max(1, -(-shown // CLAIMS_PAGE)),
            "later_claims": later,
            # The window of the rule: claims dated in (latest - W, latest].
            "window_start_day": latest - timedelta(days=window - 1) if latest else None,
            "superseded": claims_service.superseded_ids(session, (c.id for c in claims), known_on),
            "window_days": window,
        },
    )
