"""The JSON API, /api/v1: the read side, over the same services as the pages and exports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from app.api.responses import errors
from app.api.schemas import (
    AreaFigureOut,
    ClaimOut,
    ClaimPage,
    SettlementDetail,
    SettlementOut,
    SourceOut,
    StatusOut,
    StatusPage,
)
from app.claims import service as claims_service
from app.claims.models import Claim
from app.deps import (
    AsOfDep,
    ClaimFiltersDep,
    DistrictDep,
    KnownOnDep,
    PageRequestDep,
    ReleasesReadsFirst,
    SessionDep,
    SettingsDep,
    SettlementDep,
    StatusFiltersDep,
)
from app.filters import StatusFilters
from app.paging import PAGE_SIZE, Order, page_of_query
from app.settlements import service as settlements_service
from app.settlements.models import Settlement
from app.settlements.service import SettlementRow
from app.sources import service as sources_service
from app.status import service as status_service
from app.status.records import status_record
from app.status.service import SettlementStatus
from app.urls import absolute_url
from app.validation import bounded_int_validator

router = APIRouter(
    route_class=ReleasesReadsFirst,
    prefix="/api/v1",
    tags=["api"],
    responses=errors(422, 503),
)
# The most claims one page may hold: larger sets are paged, or downloaded as CSV.
MAX_PAGE = 1000


def settlement_out(s: Settlement | SettlementRow) -> SettlementOut:
    return SettlementOut(
        slug=s.slug,
        name=s.name,
        name_uk=s.name_uk,
        name_ru=s.name_ru,
        aliases=s.alias_list,
        district=s.district,
        region=s.region,
        lat=s.lat,
        lon=s.lon,
        location_precision=s.location_precision,
        url=f"/settlements/{s.slug}",
    )


def status_out(row: SettlementStatus) -> StatusOut:
    return StatusOut(**status_record(row))


def claim_out(row: Any) -> ClaimOut:
    return ClaimOut.model_validate(dict(row._mapping))


@router.get("/settlements", summary="Settlements, searchable in any spelling")
def settlements(
    session: SessionDep,
    district: DistrictDep,
    q: Annotated[str, Query(max_length=200, description="Name in any spelling.")] = "",
) -> list[SettlementOut]:
    return [settlement_out(s) for s in settlements_service.search(session, q, district)]


@router.get(
    "/settlements/{slug}",
    summary="One settlement: its status on a date and its approved claims",
    responses=errors(404),
)
def settlement(
    request: Request,
    settlement: SettlementDep,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
    paging: PageRequestDep,
) -> SettlementDetail:
    _timeline, row = status_service.settlement_status(
        session, settings, settlement, as_of, known_on
    )
    # The same claims, in the same order and pages, as the settlement's page lists.
    page, _later = claims_service.listed_claims_of_settlement(
        session,
        settlement.id,
        as_of,
        known_on,
        after=paging.after,
        offset=paging.offset(PAGE_SIZE),
    )
    next_url = None
    if page.next_after is not None:
        following = request.url.remove_query_params("page").include_query_params(
            after=page.next_after
        )
        next_url = absolute_url(request, f"{following.path}?{following.query}")
    return SettlementDetail(
        settlement=settlement_out(settlement),
        status=status_out(row),
        claims=[claim_of_settlement_out(c, settlement) for c in page.items],
        claims_total=page.total or 0,
        claims_next=next_url,
    )


def claim_of_settlement_out(claim: Claim, settlement: Settlement) -> ClaimOut:
    return ClaimOut(
        claim_id=claim.id,
        settlement=settlement.slug,
        settlement_name=settlement.name,
        status=claim.status,
        as_of=claim.as_of,
        published_on=claim.published_on,
        source=claim.source.slug,
        source_side=claim.source.side,
        source_url=claim.source_url,
        verification=claim.verification,
        summary=claim.summary,
        supersedes=claim.supersedes_id,
    )


# The order of the claims' pages: the export's, oldest first.
CLAIMS_ORDER = (Order(Claim.as_of, date), Order(Claim.id, int))


@router.get("/claims", summary="Approved claims, oldest first, in pages (keyset pagination)")
def claims(
    request: Request,
    session: SessionDep,
    filters: ClaimFiltersDep,
    limit: Annotated[int, bounded_int_validator(1, MAX_PAGE), Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=200, description="From the `next` link.")
    ] = None,
) -> ClaimPage:
    # Not counted: a count of every matching claim would cost more than the page itself.
    page = page_of_query(
        session,
        claims_service.export_query(filters),
        CLAIMS_ORDER,
        lambda row: (row.as_of, row.claim_id),
        after=cursor,
        size=limit,
        scalars=False,
        field="cursor",
    )
    next_url = None
    if page.next_after is not None:
        following = request.url.include_query_params(cursor=page.next_after)
        next_url = absolute_url(request, f"{following.path}?{following.query}")
    return ClaimPage(items=[claim_out(r) for r in page.items], next=next_url)


@router.get("/status", summary="The derived status of every settlement on a date")
def status(session: SessionDep, settings: SettingsDep, filters: StatusFiltersDep) -> StatusPage:
    rows = status_service.status_table_for(
        session, settings, filters.as_of, **filters.table_filters()
    )
    return StatusPage(
        as_of=filters.as_of,
        known_on=filters.known_on,
        window_days=settings.contest_window_days,
        stale_days=settings.stale_days,
        items=[status_out(r) for r in rows],
    )


@router.get("/sources", summary="Sources of claims")
def sources(session: SessionDep) -> list[SourceOut]:
    return [
        SourceOut.model_validate(s, from_attributes=True)
        for s in sources_service.list_sources(session)
    ]


@router.get("/sources/{slug}", summary="One source", responses=errors(404))
def source(slug: str, session: SessionDep) -> SourceOut:
    found = sources_service.get_by_slug(session, slug, public_only=True)
    if found is None:
        raise HTTPException(404, f"There is no source “{slug}” here.")
    return SourceOut.model_validate(found, from_attributes=True)


@router.get("/area-figures", summary="Area held by each side, as stated by sources")
def area_figures(
    session: SessionDep,
    as_of: Annotated[
        str | None, Query(description="Figures up to this date; default today.")
    ] = None,
    known_on: Annotated[
        str | None,
        Query(
            description="As known on this date: only figures dated by then (a figure has no "
            "publication date of its own); default today."
        ),
    ] = None,
) -> list[AreaFigureOut]:
    filters = StatusFilters.parse(as_of=as_of, known_on=known_on)
    return [
        AreaFigureOut(
            as_of=f.as_of,
            holder=f.holder,
            area_km2=f.area_km2,
            source=f.source.slug,
            source_name=f.source.name,
            source_url=f.source_url,
            summary=f.summary,
        )
        for f in status_service.area_figures(session, filters.as_of, filters.known_on)
    ]
