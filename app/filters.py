"""The filters of claims and of statuses, as typed values, parsed in one place.

Pages, exports, the API and the command line all take their filters as text (query parameters,
command-line options) and turn it into a ``ClaimFilters`` or a ``StatusFilters`` here; the
services take those objects. A bad value is a FilterError naming the parameter: the web answers
it with a 422, the command line with a message and a non-zero exit.

Two dates, named alike everywhere: ``as_of`` is the day looked at, ``known_on`` the knowledge
date (count only the claims published by then; None: everything known now).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from app import dates
from app.claims.models import ControlStatus, Verification
from app.i18n import gettext
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


def date_param(field: str, value: str | date | None) -> date | None:
    """A YYYY-MM-DD date in the tracker's calendar; empty means none."""
    if isinstance(value, date):
        return value
    if value is None or not value.strip():
        return None
    try:
        return parse_iso_date(value)
    except ValueError as error:
        raise FilterError(field, str(error)) from None


def enum_param(field: str, value: str | None, enum_cls: type[E]) -> E | None:
    """One of an enum's values; empty means any (an HTML <select>'s first option)."""
    if value is None or not value.strip():
        return None
    try:
        return enum_cls(value.strip())
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise FilterError(
            field, gettext("must be one of: %(choices)s") % {"choices": allowed}
        ) from None


def knowledge_param(value: str | date | None) -> date | None:
    """``known_on``: a date before today, or None for everything known now."""
    known_on = date_param("known_on", value)
    return None if known_on is None or known_on >= dates.today() else known_on


def stale_param(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value not in ("0", "1"):
        raise FilterError(
            "stale", gettext("must be 1 (only stale statuses) or 0 (only fresh ones)")
        )
    return value == "1"


def _text(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def district_param(session: Session, value: str | None) -> str:
    """A district as stored, matched whatever its case; empty means any; unknown is refused."""
    wanted = (value or "").strip()
    if not wanted:
        return ""
    for district in settlements_service.districts(session):
        if district.casefold() == wanted.casefold():
            return district
    raise FilterError(
        "district", gettext("there is no district called “%(name)s”") % {"name": wanted}
    )


@dataclass(frozen=True, slots=True)
class ClaimFilters:
    """Which approved claims an export, the API or a list wants; None means any.

    The field order is that of an export's file name (see exports.download_name).
    """

    known_on: date | None = None
    settlement: str | None = None
    source: str | None = None
    side: Side | None = None
    status: ControlStatus | None = None
    verification: Verification | None = None
    since: date | None = None
    until: date | None = None
    district: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        settlement: str | None = None,
        source: str | None = None,
        side: str | None = None,
        status: str | None = None,
        verification: str | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        as_of: str | date | None = None,
        district: str | None = None,
        known_on: str | date | None = None,
    ) -> ClaimFilters:
        """From text. ``as_of`` (the day a page shows) bounds ``until``."""
        until_day = date_param("until", until)
        as_of_day = date_param("as_of", as_of)
        if as_of_day and (until_day is None or as_of_day < until_day):
            until_day = as_of_day
        return cls(
            known_on=knowledge_param(known_on),
            settlement=_text(settlement),
            source=_text(source),
            side=enum_param("side", side, Side),
            status=enum_param("status", status, ControlStatus),
            verification=enum_param("verification", verification, Verification),
            since=date_param("since", since),
            until=until_day,
            district=_text(district),
        )

    def checked(self, session: Session) -> ClaimFilters:
        """The same filters with what they name checked against the data, in canonical form.

        Slugs and districts match whatever their case ("Guyevo" is guyevo); a settlement,
        source or district that does not exist is a FilterError naming the parameter (a typo
        must not look like "no rows").
        """
        settlement, source, district = self.settlement, self.source, self.district
        if settlement:
            row = settlements_service.directory(session).by_slug.get(settlement.lower())
            if row is None:
                raise FilterError(
                    "settlement",
                    gettext("there is no settlement with the slug “%(slug)s”")
                    % {"slug": settlement},
                )
            settlement = row.slug
        if source:
            found = sources_service.get_by_slug(session, source, public_only=True)
            if found is None:
                raise FilterError(
                    "source",
                    gettext("there is no source with the slug “%(slug)s”") % {"slug": source},
                )
            source = found.slug
        if district:
            district = district_param(session, district)
        return replace(self, settlement=settlement, source=source, district=district)

    def items(self) -> list[tuple[str, Any]]:
        """(name, value) of every filter, set or not, in field order."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


@dataclass(frozen=True, slots=True)
class StatusFilters:
    """Which settlements' statuses a list, an export or the API wants, and on which day."""

    as_of: date
    known_on: date | None = None
    district: str = ""
    status: ControlStatus | None = None
    q: str = ""
    # True: only statuses resting on stale evidence; False: only fresh ones; None: both.
    stale: bool | None = None

    @classmethod
    def parse(
        cls,
        *,
        as_of: str | date | None = None,
        known_on: str | date | None = None,
        district: str | None = None,
        status: str | None = None,
        q: str | None = None,
        stale: str | None = None,
    ) -> StatusFilters:
        """From text; ``as_of`` defaults to today."""
        return cls(
            as_of=date_param("as_of", as_of) or dates.today(),
            known_on=knowledge_param(known_on),
            district=_text(district) or "",
            status=enum_param("status", status, ControlStatus),
            q=_text(q) or "",
            stale=stale_param(stale),
        )

    def checked(self, session: Session) -> StatusFilters:
        """The district matched against the data (whatever its case); unknown is refused."""
        return replace(self, district=district_param(session, self.district))

    def table_filters(self) -> dict[str, Any]:
        """The keyword arguments of status_service.status_table for these filters."""
        return {
            "known_on": self.known_on,
            "district": self.district,
            "status": self.status,
            "q": self.q,
            "stale": self.stale,
        }

    def items(self) -> list[tuple[str, Any]]:
        """(name, value) of every filter but the date, in field order."""
        return [(f.name, getattr(self, f.name)) for f in fields(self) if f.name != "as_of"]
