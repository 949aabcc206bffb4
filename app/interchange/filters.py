"""Export filters, parsed once for the web and the command line: text in, typed values out."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from app.claims.models import ControlStatus, Verification
from app.sources.models import Side
from app.validation import parse_iso_date

E = TypeVar("E", bound=StrEnum)


class FilterError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _date(field: str, value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_iso_date(value)
    except ValueError as error:
        raise FilterError(field, str(error)) from None


def _enum(field: str, value: str | None, enum_cls: type[E]) -> E | None:
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
) -> dict[str, Any]:
    """Filters for the claims export; ``as_of`` (the date a page shows) bounds ``until``."""
    until_date = _date("until", until)
    as_of_date = _date("as_of", as_of)
    if as_of_date and (until_date is None or as_of_date < until_date):
        until_date = as_of_date
    return {
        "settlement": _text(settlement),
        "source": _text(source),
        "side": _enum("side", side, Side),
        "status": _enum("status", status, ControlStatus),
        "verification": _enum("verification", verification, Verification),
        "since": _date("since", since),
        "until": until_date,
        "district": _text(district),
    }


def status_filters(
    *,
    as_of: str | None = None,
    district: str | None = None,
    status: str | None = None,
    q: str | None = None,
) -> tuple[dict[str, Any], date]:
    """Filters for the status exports, and the date they are for (default today)."""
    on = _date("as_of", as_of) or date.today()
    return {
        "district": _text(district) or "",
        "status": _enum("status", status, ControlStatus),
        "q": _text(q) or "",
    }, on
