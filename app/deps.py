"""Dependencies as Annotated shortcuts: sessions, settings, the current user and roles, dates."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from app import dates
from app.accounts import service as accounts_service
from app.accounts.models import Role, User
from app.config import Settings
from app.db import Database
from app.filters import (
    ClaimFilters,
    FilterError,
    StatusFilters,
    date_param,
    district_param,
    enum_param,
)
from app.i18n import N_, gettext, place_name
from app.paging import MAX_CURSOR_LENGTH
from app.settlements import service as settlements_service
from app.settlements.models import Settlement
from app.validation import INT32_MAX, bounded_int_validator


# Dependencies that only read the request are ``async``: FastAPI runs a plain ``def`` one in
# the thread pool, a hop between threads that costs more than the work (a page has several).
async def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    # A plain generator: FastAPI closes it in a thread of its own, shielded from cancellation,
    # so a finished request never waits for a worker thread to give its connection back.
    with database.read_session() as session:
        yield session


def done_reading(session: Session) -> None:
    """End a dependency's read transaction: its connection goes back to the pool instead of
    being held while the request waits for a thread for its next step. With few threads
    (KT_THREADS) and a burst of requests, every pooled connection would otherwise be held by
    a request waiting for a thread, and every thread by a request waiting for a connection.
    (Read sessions keep their objects usable after a commit.)"""
    session.commit()


class ReleasesReadsFirst(APIRoute):
    """A route whose sync endpoint returns data that FastAPI still checks and encodes (the
    JSON API): that step waits for a request thread of its own. The request's read session
    ends in the endpoint's thread first, so the request does not wait holding a connection.
    Before, 130 API requests at once on PostgreSQL (30 pooled connections) stalled: every
    connection was held by a request waiting for a thread, and both threads by requests
    waiting for a connection. (The session's dependency ends only after that step.)"""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _releasing_reads(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _releasing_reads(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the parameters through the wrapper
    def run(*args: Any, **kwargs: Any) -> Any:
        answer = endpoint(*args, **kwargs)
        for value in kwargs.values():
            if isinstance(value, Session):
                done_reading(value)
        return answer

    return run


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]


async def get_current_user(request: Request, session: SessionDep) -> User | None:
    """The logged-in user, looked up once per request and kept on request.state for templates.
    A request without a session cookie (most readers) needs no database, and no thread."""
    if not hasattr(request.state, "user"):
        session_id = request.session.get("sid") if "session" in request.scope else None
        request.state.user = (
            await run_in_threadpool(_signed_in_user, session, session_id) if session_id else None
        )
    user: User | None = request.state.user
    return user


def _signed_in_user(session: Session, session_id: str) -> User | None:
    user = accounts_service.user_for_session(session, session_id)
    # Also before a write: 16 editors at once would otherwise hold every pooled connection
    # while each waits for a write connection.
    done_reading(session)
    return user


OptionalUserDep = Annotated[User | None, Depends(get_current_user)]


class LoginRequired(Exception):
    """Raised for a write without a session: pages redirect to /login, the API answers 401."""


# The roles as a sentence names them (docs/GLOSSARY.md).
ROLE_WORDS = {Role.editor: N_("editor"), Role.reviewer: N_("reviewer"), Role.admin: N_("admin")}


def require_role(role: Role) -> Callable[[User | None], User]:
    def dependency(user: OptionalUserDep) -> User:
        if user is None:
            raise LoginRequired
        if not user.has_role(role):
            raise HTTPException(
                status_code=403,
                detail=gettext("This needs the %(role)s role; you are logged in as %(current)s.")
                % {"role": gettext(ROLE_WORDS[role]), "current": gettext(ROLE_WORDS[user.role])},
            )
        return user

    return dependency


EditorDep = Annotated[User, Depends(require_role(Role.editor))]
ReviewerDep = Annotated[User, Depends(require_role(Role.reviewer))]
AdminDep = Annotated[User, Depends(require_role(Role.admin))]


async def get_form(request: Request) -> dict[str, str]:
    """A submitted form's text fields.

    A URL-encoded body is decoded here as UTF-8, strictly (bytes that are not UTF-8 were
    refused for every request by app.security): Starlette's own reading takes raw bytes as
    Latin-1, which would turn "Бої" sent unescaped into other characters.
    """
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body = (await request.body()).decode("utf-8")
        pairs = parse_qsl(body, keep_blank_values=True, encoding="utf-8", errors="strict")
        return dict(pairs)
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormDep = Annotated[dict[str, str], Depends(get_form)]


E = TypeVar("E", bound=StrEnum)

# Every integer a person puts in an address goes through app.validation.parse_bounded_int:
# ASCII digits only, and never beyond what the 32-bit id columns hold (PostgreSQL would raise).
MAX_PAGE_NUMBER = 100_000
PageNumber = Annotated[
    int,
    bounded_int_validator(1, MAX_PAGE_NUMBER),
    Query(ge=1, le=MAX_PAGE_NUMBER, description="Page number, from 1."),
]
RowId = Annotated[int, bounded_int_validator(1, INT32_MAX), Path(ge=1, le=INT32_MAX)]


def query_error(field: str, message: str) -> RequestValidationError:
    """FastAPI's 422 for one query parameter, with its name in the message."""
    text = message if message.startswith(field) else f"{field} {message}"
    return RequestValidationError([{"loc": ("query", field), "msg": text, "type": "value_error"}])


def as_request_error(error: FilterError) -> RequestValidationError:
    return query_error(error.field, error.message)


def query_date(name: str, value: str | None) -> date | None:
    """Parse a YYYY-MM-DD query parameter; a 422 naming the parameter otherwise."""
    try:
        return date_param(name, value)
    except FilterError as error:
        raise as_request_error(error) from None


def query_enum(name: str, value: str | None, enum_cls: type[E]) -> E | None:
    """Parse an enum query parameter where empty means "any" (an HTML <select>'s first option)."""
    try:
        return enum_param(name, value, enum_cls)
    except FilterError as error:
        raise as_request_error(error) from None


def get_claim_filters(
    session: SessionDep,
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
) -> ClaimFilters:
    """The claims filters of an export or the API, with what they name checked against the data."""
    try:
        filters = ClaimFilters.parse(
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
        ).checked(session)
    except FilterError as error:
        raise as_request_error(error) from None
    done_reading(session)
    return filters


def get_status_filters(
    session: SessionDep,
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
) -> StatusFilters:
    """The status filters of an export or the API, the district checked against the data."""
    return _checked_status_filters(session, as_of, known_on, district, status, q, stale)


async def get_district(
    session: SessionDep,
    district: Annotated[str, Query(max_length=200, description="One district.")] = "",
) -> str:
    """A page's district filter: matched whatever its case; an unknown one is a 422. Only a
    named district is looked up (in a thread: it reads the districts)."""
    if not district.strip():
        return ""
    try:
        return await run_in_threadpool(_district_read, session, district)
    except FilterError as error:
        raise as_request_error(error) from None


def _district_read(session: Session, district: str) -> str:
    found = district_param(session, district)
    done_reading(session)
    return found


ClaimFiltersDep = Annotated[ClaimFilters, Depends(get_claim_filters)]
StatusFiltersDep = Annotated[StatusFilters, Depends(get_status_filters)]
DistrictDep = Annotated[str, Depends(get_district)]


async def get_as_of(
    as_of: Annotated[
        str | None,
        Query(description="Show the data as it stood on this date (YYYY-MM-DD); default today."),
    ] = None,
) -> date:
    return query_date("as_of", as_of) or dates.today()


AsOfDep = Annotated[date, Depends(get_as_of)]

# The date bar's "as reported then" switch: a plain GET form cannot copy one field into
# another, so it sends view=reported and the knowledge date becomes the date shown.
REPORTED_VIEW = "reported"


async def get_known_on(
    request: Request,
    as_of: AsOfDep,
    known_on: Annotated[
        str | None,
        Query(
            description="Count only the claims published by this date (YYYY-MM-DD); "
            "default today, i.e. everything known now."
        ),
    ] = None,
    view: Annotated[
        str | None,
        Query(description="`reported`: as reported then (known_on = as_of).", max_length=20),
    ] = None,
) -> date | None:
    """The knowledge date: None means everything known now. Kept on request.state for links."""
    value = as_of if view == REPORTED_VIEW else query_date("known_on", known_on)
    if value is not None and value >= dates.today():
        value = None
    request.state.known_on = value
    request.state.reported_then = value is not None and value == as_of
    return value


KnownOnDep = Annotated[date | None, Depends(get_known_on)]
# A page that shows no date but is linked from dated pages (a claim): its links keep the
# dates, so the dates are checked like anywhere else (422 naming the parameter).
CHECKED_DATES = [Depends(get_known_on)]


def get_page_status_filters(
    session: SessionDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
    district: Annotated[str, Query(max_length=200, description="One district.")] = "",
    status: Annotated[str | None, Query(description="One of the control statuses.")] = None,
    q: Annotated[str, Query(max_length=200, description="Name in any spelling.")] = "",
    stale: Annotated[
        str, Query(description="1: only statuses resting on stale evidence, oldest first.")
    ] = "",
) -> StatusFilters:
    """A page's status filters: its dates as the date bar set them (``view=reported`` too)."""
    return _checked_status_filters(session, as_of, known_on, district, status, q, stale)


def _checked_status_filters(
    session: Session,
    as_of: date | str | None,
    known_on: date | str | None,
    district: str | None,
    status: str | None,
    q: str | None,
    stale: str | None,
) -> StatusFilters:
    try:
        filters = StatusFilters.parse(
            as_of=as_of, known_on=known_on, district=district, status=status, q=q, stale=stale
        ).checked(session)
    except FilterError as error:
        raise as_request_error(error) from None
    done_reading(session)
    return filters


PageStatusFiltersDep = Annotated[StatusFilters, Depends(get_page_status_filters)]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page of a list an address asks for: after a cursor, or an old page number."""

    after: str | None
    page: int

    def offset(self, size: int) -> int:
        """Where an old ``page=N`` link starts: it answers the rows it always answered."""
        return (self.page - 1) * size


async def get_page_request(
    after: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH,
            description="From a page's “next” link: the rows after the last one it showed.",
        ),
    ] = None,
    page: PageNumber = 1,
) -> PageRequest:
    return PageRequest(after or None, page)


PageRequestDep = Annotated[PageRequest, Depends(get_page_request)]


def get_settlement(slug: str, session: SessionDep) -> Settlement:
    settlement = settlements_service.get_by_slug(session, slug.strip().lower())
    if settlement is None:
        raise HTTPException(
            status_code=404,
            detail=gettext("There is no settlement “%(slug)s” here.") % {"slug": slug},
        )
    done_reading(session)
    return settlement


SettlementDep = Annotated[Settlement, Depends(get_settlement)]


def load_date_nav(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
) -> None:
    """For the date control: the previous and next dates on which some status changed.

    As reported then, the knowledge date moves with the date shown, so the status also
    changes on the days claims were published: the steps include those days.
    """
    from app.status import service as status_service

    history = status_service.change_log(session, settings.contest_window_days, known_on)
    if request.state.reported_then:
        request.state.date_nav = status_service.reported_date_nav(session, history, as_of)
    else:
        request.state.date_nav = status_service.date_nav(history, as_of)
    done_reading(session)


DATED_PAGE = [Depends(load_date_nav)]


def load_settlement_date_nav(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    settlement: SettlementDep,
    as_of: AsOfDep,
    known_on: KnownOnDep,
) -> None:
    """On a settlement's page the date control steps through that settlement's own changes
    (instead of ``load_date_nav``'s steps through the region's)."""
    from app.status import service as status_service

    request.state.date_nav = status_service.settlement_date_nav(
        session,
        settlement.id,
        as_of,
        settings.contest_window_days,
        known_on,
        reported_then=request.state.reported_then,
    )
    request.state.date_nav_of = place_name(settlement)
    done_reading(session)


SETTLEMENT_DATED_PAGE = [Depends(load_settlement_date_nav)]
