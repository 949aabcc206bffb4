"""The JSON API, /api/v1: the read side, over the same services as the pages and exports."""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import and_, or_

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
    ClaimFilters,
    DistrictDep,
    KnownOnDep,
    SessionDep,
    SettingsDep,
    SettlementDep,
    StatusFilters,
)
from app.interchange.filters import (
    FilterError,
    as_request_error,
    query_error,
    status_filters,
)
from app.settlements import service as settlements_service
from app.settlements.models import Settlement
from app.settlements.service import SettlementRow
from app.sources import service as sources_service
from app.status import service as status_service
from app.status.records import status_record
from app.status.service import SettlementStatus
from app.urls import absolute_url
from app.validation import INT32_MAX, bounded_int_validator, parse_bounded_int, parse_iso_date

router = APIRouter(
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
    settlement: SettlementDep,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
) -> SettlementDetail:
    window = settings.contest_window_days
    timeline = status_service.settlement_timeline(session, settlement, as_of, window, known_on)
    row = status_service.status_from_timeline(
        settlement, timeline, as_of, window, settings.stale_days
    )
    stmt = (
        claims_service.export_query(settlement=settlement.slug, until=as_of)
        .order_by(None)
        .order_by(Claim.as_of.desc(), Claim.id.desc())
    )
    if known_on is not None:
        stmt = stmt.where(Claim.published_on <= known_on)
    claims = session.execute(stmt).all()
    return SettlementDetail(
        settlement=settlement_out(settlement),
        status=status_out(row),
        claims=[claim_out(r) for r in claims],
    )


def _cursor(value: str | None) -> tuple[date, int] | None:
    if not value:
        return None
    # A cursor is ours only in form: whoever holds it can write any date and number into it,
    # so both go through the same parsers as every other date and integer a person supplies.
    try:
        day, _, claim_id = base64.urlsafe_b64decode(value.encode() + b"==").decode().partition(",")
        return parse_iso_date(day), parse_bounded_int(claim_id, maximum=INT32_MAX)
    except (ValueError, UnicodeDecodeError):
        raise query_error("cursor", "is not a cursor this API gave out") from None


def _encode_cursor(day: date, claim_id: int) -> str:
    return base64.urlsafe_b64encode(f"{day.isoformat()},{claim_id}".encode()).decode().rstrip("=")


@router.get("/claims", summary="Approved claims, oldest first, in pages (keyset pagination)")
def claims(
    request: Request,
    session: SessionDep,
    filters: ClaimFilters,
    limit: Annotated[int, bounded_int_validator(1, MAX_PAGE), Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=200, description="From the `next` link.")
    ] = None,
) -> ClaimPage:
    stmt = claims_service.export_query(**filters)
    after = _cursor(cursor)
    if after is not None:
        stmt = stmt.where(
            or_(Claim.as_of > after[0], and_(Claim.as_of == after[0], Claim.id > after[1]))
        )
    rows = session.execute(stmt.limit(limit + 1)).all()
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        following = request.url.include_query_params(
            cursor=_encode_cursor(last.as_of, last.claim_id)
        )
        next_url = absolute_url(request, f"{following.path}?{following.query}")
    return ClaimPage(items=[claim_out(r) for r in rows], next=next_url)


@router.get("/status", summary="The derived status of every settlement on a date")
def status(session: SessionDep, settings: SettingsDep, filters: StatusFilters) -> StatusPage:
    values, on = filters
    rows = status_service.status_table_for(session, settings, on, **values)
    return StatusPage(
        as_of=on,
        known_on=values["known_on"],
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
) -> list[AreaFigureOut]:
    try:
        _, on = status_filters(as_of=as_of)
    except FilterError as error:
        raise as_request_error(error) from None
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
        for f in status_service.area_figures(session, on)
    ]
