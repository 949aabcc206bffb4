"""Region-wide pages: dashboard, contested set, the method."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.claims import service as claims_service
from app.deps import AsOfDep, SessionDep, SettingsDep
from app.status import service as status_service
from app.templating import render

router = APIRouter()


# The dashboard's settlement finder shows this many rows; the list page shows all.
FINDER_LIMIT = 12


@router.get("/", include_in_schema=False)
def dashboard(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    rows = status_service.status_table(session, as_of, settings.contest_window_days)
    return render(
        request,
        "dashboard.html",
        {
            "as_of": as_of,
            "counts": status_service.count_by_status(rows),
            "total": len(rows),
            "contested": status_service.contested(session, rows),
            "latest_claims": claims_service.latest_approved(session, as_of, limit=10),
            "window_days": settings.contest_window_days,
            "q": q,
            "finder_rows": status_service.search_rows(session, rows, q),
            "finder_limit": FINDER_LIMIT,
        },
        block="finder_results",
    )


@router.get("/contested", include_in_schema=False)
def contested(
    request: Request, session: SessionDep, settings: SettingsDep, as_of: AsOfDep
) -> Response:
    rows = status_service.status_table(session, as_of, settings.contest_window_days)
    return render(
        request,
        "contested.html",
        {
            "as_of": as_of,
            "contested": status_service.contested(session, rows),
            "window_days": settings.contest_window_days,
        },
    )


@router.get("/about/method", include_in_schema=False)
def method(request: Request, settings: SettingsDep, as_of: AsOfDep) -> Response:
    return render(
        request,
        "method.html",
        {"as_of": as_of, "window_days": settings.contest_window_days},
    )
