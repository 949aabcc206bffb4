"""Region-wide pages: dashboard, contested set, the method."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app import charts
from app.claims import service as claims_service
from app.deps import (
    DATED_PAGE,
    AsOfDep,
    DistrictDep,
    KnownOnDep,
    PageNumber,
    SessionDep,
    SettingsDep,
    query_enum,
)
from app.settlements import service as settlements_service
from app.sources.models import Side
from app.status import service as status_service
from app.status import worked_cases
from app.templating import render

router = APIRouter(dependencies=DATED_PAGE)


# The dashboard's settlement finder shows this many rows; the list page shows all.
FINDER_LIMIT = 12
# The timeline page lists this many changes, newest first.
CHANGES_LIMIT = 300
# The dashboard lists the latest few.
LATEST_CHANGES = 8
# Contested settlements shown on the dashboard, and per page of /contested.
DASHBOARD_CONTESTED = 15
CONTESTED_PAGE = 50


@router.get("/", include_in_schema=False)
def dashboard(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    rows = status_service.status_table_for(session, settings, as_of, known_on=known_on)
    history = status_service.change_log(session, settings.contest_window_days, known_on)
    figures = status_service.area_figures(session, as_of)
    contested_rows = status_service.contested_rows_of(rows)
    return render(
        request,
        "dashboard.html",
        {
            "as_of": as_of,
            "area_figures": figures,
            "latest_area": status_service.latest_area(figures),
            "area_chart": charts.area_chart(figures, as_of),
            "latest_changes": status_service.changes(session, history, as_of, limit=LATEST_CHANGES),
            "tile_url": settings.tile_url,
            "tile_attribution": settings.tile_attribution,
            "counts": status_service.count_by_status(rows),
            "stale_counts": status_service.count_stale(rows),
            "stale_days": settings.stale_days,
            "newest_claim": claims_service.newest_claim_day(session, as_of, known_on),
            "total": len(rows),
            "contested": status_service.contested(
                session, contested_rows, limit=DASHBOARD_CONTESTED
            ),
            "contested_total": len(contested_rows),
            "latest_claims": claims_service.latest_approved(
                session, as_of, limit=6, known_on=known_on
            ),
            "window_days": settings.contest_window_days,
            "q": q,
            "finder_rows": status_service.search_rows(session, rows, q),
            "finder_limit": FINDER_LIMIT,
        },
        fragments={"finder-results": "finder_results"},
    )


@router.get("/contested", include_in_schema=False)
def contested(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
    district: DistrictDep,
    page: PageNumber = 1,
) -> Response:
    rows = status_service.status_table_for(
        session, settings, as_of, known_on=known_on, district=district
    )
    contested_rows = status_service.contested_rows_of(rows)
    return render(
        request,
        "contested.html",
        {
            "as_of": as_of,
            "contested": status_service.contested(
                session, contested_rows, limit=CONTESTED_PAGE, offset=(page - 1) * CONTESTED_PAGE
            ),
            "total": len(contested_rows),
            "page": page,
            "pages": max(1, -(-len(contested_rows) // CONTESTED_PAGE)),
            "district": district,
            "districts": settlements_service.districts(session),
            "window_days": settings.contest_window_days,
        },
    )


@router.get("/about/method", include_in_schema=False)
def method(request: Request, settings: SettingsDep, as_of: AsOfDep) -> Response:
    return render(
        request,
        "method.html",
        {
            "as_of": as_of,
            "window_days": settings.contest_window_days,
            "stale_days": settings.stale_days,
            "worked_cases": worked_cases.CASES,
        },
    )


@router.get("/timeline", include_in_schema=False)
def region_timeline(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
    district: DistrictDep,
    side: Annotated[str | None, Query(description="russia, ukraine or neutral")] = None,
) -> Response:
    wanted_side = query_enum("side", side, Side)
    history = status_service.region_history(session, settings.contest_window_days, known_on)
    settlement_ids = [s.id for s in settlements_service.search(session, district=district)]
    return render(
        request,
        "timeline.html",
        {
            "as_of": as_of,
            "chart": charts.stacked_status_chart(
                history.counts_series(
                    settlement_ids, as_of, settings.contest_window_days, settings.stale_days
                ),
                len(settlement_ids),
                as_of,
            ),
            "total": len(settlement_ids),
            "changes": status_service.changes(
                session, history, as_of, district=district, side=wanted_side, limit=CHANGES_LIMIT
            ),
            "changes_limit": CHANGES_LIMIT,
            "district": district,
            "side": wanted_side,
            "districts": settlements_service.districts(session),
        },
    )


@router.get("/map", include_in_schema=False)
def status_map(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
) -> Response:
    rows = status_service.status_table_for(session, settings, as_of, known_on=known_on)
    history = status_service.change_log(session, settings.contest_window_days, known_on)
    slider_days = history.change_days
    if request.state.reported_then:
        # The knowledge date moves with the slider: it stops where a status changed (as
        # known now) and where claims were published.
        now = status_service.change_log(session, settings.contest_window_days)
        slider_days = sorted(set(now.change_days) | set(status_service.publication_days(session)))
    return render(
        request,
        "map.html",
        {
            "as_of": as_of,
            "unplaced": [r for r in rows if not r.settlement.has_coordinates],
            "placed": sum(1 for r in rows if r.settlement.has_coordinates),
            "slider_days": slider_days,
            "tile_url": settings.tile_url,
            "tile_attribution": settings.tile_attribution,
        },
    )
