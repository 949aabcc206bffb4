"""Settlement pages: the searchable list and one settlement's timeline and claims."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.claims import service as claims_service
from app.claims.models import ControlStatus
from app.deps import DATED_PAGE, AsOfDep, SessionDep, SettingsDep, SettlementDep, query_enum
from app.settlements import service as settlements_service
from app.status import service as status_service
from app.templating import render

router = APIRouter(dependencies=DATED_PAGE)


@router.get("/settlements", include_in_schema=False)
def settlement_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str | None, Query(description="One of the control statuses.")] = None,
    district: Annotated[str, Query(max_length=200)] = "",
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
) -> Response:
    timeline = status_service.settlement_timeline(
        session, settlement, as_of, settings.contest_window_days
    )
    current = status_service.status_from_timeline(settlement, timeline)
    all_claims = claims_service.claims_of_settlement(session, settlement.id)
    shown = [c for c in all_claims if c.as_of <= as_of]
    return render(
        request,
        "settlement.html",
        {
            "as_of": as_of,
            "settlement": settlement,
            "current": current,
            "timeline": timeline,
            "claims": shown,
            "later_claims": len(all_claims) - len(shown),
            "superseded": claims_service.superseded_ids(session, (c.id for c in shown)),
            "window_days": settings.contest_window_days,
        },
    )
