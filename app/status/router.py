"""Region-wide pages: dashboard, contested set, the method."""

from __future__ import annotations

from itertools import islice, takewhile
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app import charts
from app.claims import service as claims_service
from app.config import PROJECT_ROOT
from app.deps import (
    DATED_PAGE,
    AsOfDep,
    DistrictDep,
    KnownOnDep,
    PageRequestDep,
    SessionDep,
    SettingsDep,
    query_enum,
)
from app.i18n import gettext
from app.paging import PAGE_SIZE, Key, page_of_ordered, page_of_rows
from app.settlements import service as settlements_service
from app.sources.models import Side
from app.status import answers as answers_service
from app.status import map_svg, worked_cases
from app.status import service as status_service
from app.status.history import ChangeEvent
from app.templating import human_date, render

router = APIRouter(dependencies=DATED_PAGE)


# The dashboard's settlement finder shows this many rows; the list page shows all.
FINDER_LIMIT = 12
# Up to this many matches, the finder answers with a card each (status, since when, on whose
# word); beyond it, with the table. Without a search, the cards are the contested settlements
# on fresh evidence: the news of the day.
ANSWER_CARDS = 3
CONTESTED_CARDS = 4
# The timeline page lists this many changes per page, newest first.
CHANGES_PAGE = PAGE_SIZE
# The dashboard lists the latest few.
LATEST_CHANGES = 8
# The country borders, built from Natural Earth by the setup step (`make vendor`).
GEOGRAPHY = PROJECT_ROOT / "static" / "vendor" / "geography" / "borders.geojson"
# Contested settlements shown on the dashboard, and per page of /contested: each is a card
# of every side's claims, so 25 already make a long page on a phone ("Next 25" adds more in
# place), and half the cards halve the page's rendering (bench/RESULTS.md).
DASHBOARD_CONTESTED = 15
CONTESTED_PAGE = 25


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
    summary = status_service.table_summary_for(session, settings, as_of, known_on=known_on)
    history = status_service.change_log(session, settings.contest_window_days, known_on)
    figures = status_service.area_figures(session, as_of, known_on)
    contested_rows = summary.contested_rows
    found = status_service.search_rows(session, rows, q) if q.strip() else []
    if q.strip():
        carded = found if len(found) <= ANSWER_CARDS else []
    else:
        # Fresh rows come first and stale ones after them: the cards stop at the first stale
        # row instead of reading all 1,800 when fewer than the cards' count are fresh.
        fresh = takewhile(lambda row: not row.stale, contested_rows)
        carded = list(islice(fresh, CONTESTED_CARDS))
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
            "counts": summary.counts,
            "stale_counts": summary.stale_counts,
            "stale_days": settings.stale_days,
            "newest_claim": claims_service.newest_claim_day(session, as_of, known_on),
            "total": len(rows),
            "contested": status_service.contested(
                session, contested_rows, limit=DASHBOARD_CONTESTED
            ),
            "contested_total": len(contested_rows),
            "latest_claims": claims_service.latest_approved_records(
                session, as_of, limit=6, known_on=known_on
            ),
            "window_days": settings.contest_window_days,
            "q": q,
            "finder_rows": found,
            "answers": answers_service.answers(session, carded),
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
    paging: PageRequestDep,
) -> Response:
    summary = status_service.table_summary_for(
        session, settings, as_of, known_on=known_on, district=district
    )
    page = page_of_ordered(
        summary.contested_rows,
        summary.contested_keys,
        (int, int, str, int),
        after=paging.after,
        offset=paging.offset(CONTESTED_PAGE),
        size=CONTESTED_PAGE,
    )
    return render(
        request,
        "contested.html",
        {
            "as_of": as_of,
            "contested": status_service.contested(session, page.items),
            "total": page.total,
            "page": page,
            "district": district,
            "districts": settlements_service.districts(session),
            "window_days": settings.contest_window_days,
        },
        fragments={"contested-list": "contested_list"},
    )


def _change_key(event: ChangeEvent) -> Key:
    """Newest first; on one day, by settlement id."""
    return (-event.day.toordinal(), event.settlement_id)


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
    paging: PageRequestDep,
    side: Annotated[str | None, Query(description="russia, ukraine or neutral")] = None,
) -> Response:
    wanted_side = query_enum("side", side, Side)
    history = status_service.region_history(session, settings.contest_window_days, known_on)
    settlement_ids = [s.id for s in settlements_service.search(session, district=district)]
    events = status_service.change_events(session, history, as_of, district, wanted_side)
    page = page_of_rows(
        events, _change_key, (int, int), after=paging.after, offset=paging.offset(CHANGES_PAGE)
    )
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
            "changes": status_service.changes_of(session, page.items),
            "page": page,
            "district": district,
            "side": wanted_side,
            "districts": settlements_service.districts(session),
        },
        fragments={"changes-list": "changes_list"},
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


@router.get("/map.svg", include_in_schema=False)
def status_map_image(
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
) -> Response:
    """The map as an image, for readers without JavaScript (shown by /map inside noscript)."""
    rows = status_service.status_table_for(session, settings, as_of, known_on=known_on)
    svg = map_svg.status_map_svg(
        map_svg.points_of(rows),
        map_svg.load_geography(GEOGRAPHY),
        title=gettext("Map of the derived status on %(date)s") % {"date": human_date(as_of)},
    )
    # A few minutes in shared caches: the page that shows it is cached no longer than that.
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=300"},
    )
