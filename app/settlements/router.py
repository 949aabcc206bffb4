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
    AsOfDep,
    DistrictDep,
    SessionDep,
    SettingsDep,
    SettlementDep,
    query_enum,
)
from app.settlements import service as settlements_service
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
    district: DistrictDep,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str | None, Query(description="One of the control statuses.")] = None,
) -> Response:
    wanted = query_enum("status", status, ControlStatus)
    rows = status_service.status_table(
        session, as_of, settings.contest_window_days, q=q, district=district, status=wanted
    )
    return render(
        request,
        "settlements.html",
        {
            "as_of": as_of,
            "rows": rows,
            "q": q,
            "status": wanted,
            "district": district,
            "districts": settlements_service.districts(session),
        },
        fragments={"results": "results"},
    )


@router.get("/settlements/{slug}", include_in_schema=False)
def settlement_detail(
    request: Request,
    settlement: SettlementDep,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    window = settings.contest_window_days
    timeline = status_service.settlement_timeline(session, settlement, as_of, window)
    current = status_service.status_from_timeline(settlement, timeline)
    shown, later = claims_service.count_of_settlement(session, settlement.id, as_of)
    claims = claims_service.claims_of_settlement(
        session, settlement.id, up_to=as_of, limit=CLAIMS_PAGE, offset=(page - 1) * CLAIMS_PAGE
    )
    latest = current.derived.latest_as_of
    return render(
        request,
        "settlement.html",
        {
            "as_of": as_of,
            "settlement": settlement,
            "current": current,
            "timeline": timeline,
            "claims": claims,
            "claims_total": shown,
            "page": page,
            "pages": max(1, -(-shown // CLAIMS_PAGE)),
            "later_claims": later,
            # The window of the rule: claims dated in (window_start, latest] counted today.
            "window_start": latest - timedelta(days=window) if latest else None,
            "window_end": latest,
            "superseded": claims_service.superseded_ids(session, (c.id for c in claims)),
            "window_days": window,
        },
    )
