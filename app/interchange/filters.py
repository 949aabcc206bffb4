"""Export and API filters, parsed once for the web and the command line: text in, typed out."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from app import dates
from app.claims.models import ControlStatus, Verification
from app.settlements import service as settlements_service
from app.sources import service as sources_service
from app.sources.models import Side
from app.validation import parse_iso_date

E = TypeVar("E", bound=StrEnum)


class FilterError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def date_param(field: str, value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_iso_date(value)
    except ValueError as error:
        raise FilterError(field, str(error)) from None


def enum_param(field: str, value: str | None, enum_cls: type[E]) -> E | None:
    if value is None or not value.strip():
        return None
    try:
        return enum_cls(value.strip())
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise FilterError(field, f"must be one of: {allowed}") from None


def _text(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def claim_filters(
    *,
    settlement: str | None = None,
    source: str | None = None,
    side: str | None = None,
    status: str | None = None,
    verification: str | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    district: str | None = None,
    known_on: str | None = None,
) -> dict[str, Any]:
    """Filters for the claims export; ``as_of`` (the date a page shows) bounds ``until``;
    ``known_on`` keeps the claims published by then."""
    until_date = date_param("until", until)
    as_of_date = date_param("as_of", as_of)
    if as_of_date and (until_date is None or as_of_date < until_date):
        until_date = as_of_date
    knowledge = date_param("known_on", known_on)
    return {
        "known_on": None if knowledge is None or knowledge >= dates.today() else knowledge,
        "settlement": _text(settlement),
        "source": _text(source),
        "side": enum_param("side", side, Side),
        "status": enum_param("status", status, ControlStatus),
        "verification": enum_param("verification", verification, Verification),
        "since": date_param("since", since),
        "until": until_date,
        "district": _text(district),
    }


def status_filters(
    *,
    as_of: str | None = None,
    known_on: str | None = None,
    district: str | None = None,
    status: str | None = None,
    q: str | None = None,
    stale: str | None = None,
) -> tuple[dict[str, Any], date]:
    """Filters for the status exports, and the date they are for (default today).

    ``known_on``: count only the claims published by then (default: everything known now).
    """
    on = date_param("as_of", as_of) or dates.today()
    knowledge = date_param("known_on", known_on)
    if stale not in (None, "", "0", "1"):
        raise FilterError("stale", "must be 1 (only stale statuses) or 0 (only fresh ones)")
    return {
        "known_on": None if knowledge is None or knowledge >= dates.today() else knowledge,
        "district": _text(district) or "",
        "status": enum_param("status", status, ControlStatus),
        "q": _text(q) or "",
        "stale": None if not stale else stale == "1",
    }, on


def known_filters(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """The same filters with their references checked against the data, in canonical form.

    One rule for every filter that names something: slugs and districts match whatever their
    case ("Guyevo" is guyevo), and a settlement, source or district that does not exist is a
    FilterError naming the parameter (a typo must not look like "no rows").
    """
    checked = dict(values)
    if values.get("settlement"):
        directory = settlements_service.directory(session)
        row = directory.by_slug.get(values["settlement"].lower())
        if row is None:
            raise FilterError(
                "settlement", f"there is no settlement with the slug “{values['settlement']}”"
            )
        checked["settlement"] = row.slug
    if values.get("source"):
        source = sources_service.get_by_slug(session, values["source"], public_only=True)
        if source is None:
            raise FilterError("source", f"there is no source with the slug “{values['source']}”")
        checked["source"] = source.slug
    if values.get("district"):
        checked["district"] = district_param(session, values["district"])
    return checked


def district_param(session: Session, value: str | None) -> str:
    """A district as stored, matched whatever its case; empty means any; unknown is refused."""
    wanted = (value or "").strip()
    if not wanted:
        return ""
    for district in settlements_service.districts(session):
        if district.casefold() == wanted.casefold():
            return district
    raise FilterError("district", f"there is no district called “{wanted}”")


def query_error(field: str, message: str) -> RequestValidationError:
    """FastAPI's 422 for one query parameter, with its name in the message."""
    text = message if message.startswith(field) else f"{field} {message}"
    return RequestValidationError([{"loc": ("query", field), "msg": text, "type": "value_error"}])


def as_request_error(error: FilterError) -> RequestValidationError:
    return query_error(error.field, error.message)


def claim_filter_params(
    settlement: Annotated[str | None, Query(max_length=80, description="Settlement slug.")] = None,
    source: Annotated[str | None, Query(max_length=80, description="Source slug.")] = None,
    side: Annotated[str | None, Query(description="russia, ukraine or neutral.")] = None,
    status: Annotated[str | None, Query(description="A control status.")] = None,
    verification: Annotated[str | None, Query(description="A verification level.")] = None,
    since: Annotated[str | None, Query(description="Earliest as_of (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, Query(description="Latest as_of (YYYY-MM-DD).")] = None,
    as_of: Annotated[
        str | None, Query(description="The date a page shows: claims dated up to it (as until).")
    ] = None,
    district: Annotated[str | None, Query(max_length=200)] = None,
    known_on: Annotated[
        str | None,
        Query(description="Only claims published by this date (YYYY-MM-DD); default: all."),
    ] = None,
) -> dict[str, Any]:
    try:
        return claim_filters(
            known_on=known_on,
            settlement=settlement,
            source=source,
            side=side,
            status=status,
            verification=verification,
            since=since,
            until=until,
            as_of=as_of,
            district=district,
        )
    except FilterError as error:
        raise as_request_error(error) from None


def status_filter_params(
    as_of: Annotated[str | None, Query(description="The date (YYYY-MM-DD); default today.")] = None,
    known_on: Annotated[
        str | None,
        Query(
            description="Count only claims published by this date (YYYY-MM-DD); "
            "default today, i.e. everything known now."
        ),
    ] = None,
    district: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(description="Only settlements with this status.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Name in any spelling.")] = None,
    stale: Annotated[
        str | None, Query(description="1: only statuses on stale evidence; 0: only fresh ones.")
    ] = None,
) -> tuple[dict[str, Any], date]:
    try:
        return status_filters(
            as_of=as_of, known_on=known_on, district=district, status=status, q=q, stale=stale
        )
    except FilterError as error:
        raise as_request_error(error) from None


# The claims filters (settlement, source, side, status, verification, since, until, as_of,
# district) and the status filters (as_of, district, status, q), as query parameters, parsed
# but not yet checked against the data: routes use app.deps.ClaimFilters / StatusFilters.
RawClaimFilters = Annotated[dict[str, Any], Depends(claim_filter_params)]
RawStatusFilters = Annotated[tuple[dict[str, Any], date], Depends(status_filter_params)]
