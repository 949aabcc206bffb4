"""The JSON API, /api/v1: the read side, over the same services as the pages and exports."""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import and_, or_

from app.api.schemas import (
    AreaFigureOut,
    ClaimOut,
    ClaimPage,
    ErrorOut,
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
from app.sources import service as sources_service
from app.status import service as status_service
from app.status.service import SettlementStatus

router = APIRouter(
    prefix="/api/v1",
    tags=["api"],
    responses={422: {"model": ErrorOut, "description": "A parameter is not valid."}},
)
# The most claims one page may hold: larger sets are paged, or downloaded as CSV.
MAX_PAGE = 1000


def settlement_out(s: Settlement) -> SettlementOut:
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
    s, d = row.settlement, row.derived
    return StatusOut(
        settlement=s.slug,
        name=s.name,
        district=s.district,
        lat=s.lat,
        lon=s.lon,
        status=d.status,
        since=row.since,
        confidence=d.confidence,
        reason=d.reason,
        latest_claim_as_of=d.latest_as_of,
        deciding_claim_id=d.deciding_claim_id,
        conflicting_claim_ids=list(d.conflicting_claim_ids),
    )


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
    responses={404: {"model": ErrorOut}},
)
def settlement(
    settlement: SettlementDep, session: SessionDep, settings: SettingsDep, as_of: AsOfDep
) -> SettlementDetail:
    history = status_service.region_history(session, settings.contest_window_days)
    row = SettlementStatus(settlement, *history.on(settlement.id, as_of))
    claims = session.execute(
        claims_service.export_query(settlement=settlement.slug, until=as_of)
        .order_by(None)
        .order_by(Claim.as_of.desc(), Claim.id.desc())
    ).all()
    return SettlementDetail(
        settlement=settlement_out(settlement),
        status=status_out(row),
        claims=[claim_out(r) for r in claims],
    )


def _cursor(value: str | None) -> tuple[date, int] | None:
    if not value:
        return None
    try:
        day, _, claim_id = base64.urlsafe_b64decode(value.encode() + b"==").decode().partition(",")
        return date.fromisoformat(day), int(claim_id)
    except (ValueError, UnicodeDecodeError):
        raise query_error("cursor", "is not a cursor this API gave out") from None


def _encode_cursor(day: date, claim_id: int) -> str:
    return base64.urlsafe_b64encode(f"{day.isoformat()},{claim_id}".encode()).decode().rstrip("=")


@router.get("/claims", summary="Approved claims, oldest first, in pages (keyset pagination)")
def claims(
    request: Request,
    session: SessionDep,
    filters: ClaimFilters,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
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
        next_url = str(
            request.url.include_query_params(cursor=_encode_cursor(last.as_of, last.claim_id))
        )
    return ClaimPage(items=[claim_out(r) for r in rows], next=next_url)


@router.get("/status", summary="The derived status of every settlement on a date")
def status(session: SessionDep, settings: SettingsDep, filters: StatusFilters) -> StatusPage:
    values, on = filters
    rows = status_service.status_table(session, on, settings.contest_window_days, **values)
    return StatusPage(
        as_of=on, window_days=settings.contest_window_days, items=[status_out(r) for r in rows]
    )


@router.get("/sources", summary="Sources of claims")
def sources(session: SessionDep) -> list[SourceOut]:
    return [
        SourceOut.model_validate(s, from_attributes=True)
        for s in sources_service.list_sources(session)
    ]


@router.get("/sources/{slug}", summary="One source", responses={404: {"model": ErrorOut}})
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
