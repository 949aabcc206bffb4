"""Login, logout and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from app import dates
from app.accounts import audit_words, csrf
from app.accounts import service as accounts_service
from app.accounts.models import AuditEvent, User
from app.deps import (
    DatabaseDep,
    FormDep,
    OptionalUserDep,
    PageRequestDep,
    ReviewerDep,
    SessionDep,
)
from app.faults import DatabaseFault
from app.i18n import N_, gettext, ngettext
from app.paging import PAGE_SIZE, Order, count_of, encode_cursor, page_of_query
from app.templating import render
from app.validation import INT32_MAX, bounded_int_validator

router = APIRouter()
AUDIT_PAGE = PAGE_SIZE
# Newest first.
AUDIT_ORDER = (Order(AuditEvent.id, int, descending=True),)
WRONG_CREDENTIALS = N_("Wrong username or password.")


def safe_next(target: str | None) -> str:
    """Only a path on this site: no open redirect to //evil.example or https://…"""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/login", include_in_schema=False)
def login_form(
    request: Request, user: OptionalUserDep, next: Annotated[str, Query(max_length=500)] = "/"
) -> Response:
    return render(
        request, "login.html", {"as_of": dates.today(), "next": safe_next(next), "username": ""}
    )


@router.post("/login", include_in_schema=False)
def login(request: Request, database: DatabaseDep, raw: FormDep) -> Response:
    username = raw.get("username", "")[:80]
    password = raw.get("password", "")[:1024]
    target = safe_next(raw.get("next"))
    if not username.strip() or not password:
        # Not an attempt: nothing to check, so nothing counts towards the slow-down.
        if not username.strip() and not password:
            error = gettext("Give your username and password to log in.")
        elif not password:
            error = gettext("Give your password to log in.")
        else:
            error = gettext("Give your username to log in.")
        context = {"as_of": dates.today(), "next": target, "username": username, "error": error}
        return render(request, "login.html", context, status_code=422)
    try:
        with database.writing() as session:
            result = accounts_service.login(session, username, password)
    except DatabaseFault as fault:
        context = {
            "as_of": dates.today(),
            "next": target,
            "username": username,
            "error": fault.sentence(writing=False),
        }
        return render(request, "login.html", context, status_code=fault.status_code)
    if not result.ok:
        if result.retry_after is not None:
            minutes = max(1, round(result.retry_after.total_seconds() / 60))
            error, status = (
                ngettext(
                    "Too many failed attempts for this username. Try again in %(num)s minute.",
                    "Too many failed attempts for this username. Try again in %(num)s minutes.",
                    minutes,
                )
                % {"num": minutes},
                429,
            )
        else:
            error, status = gettext(WRONG_CREDENTIALS), 401
        context = {"as_of": dates.today(), "next": target, "username": username, "error": error}
        response = render(request, "login.html", context, status_code=status)
        if result.retry_after is not None:
            response.headers["Retry-After"] = str(int(result.retry_after.total_seconds()) + 1)
        return response
    # A new session at login: nothing from before (a planted cookie) carries over.
    request.session.clear()
    request.session["sid"] = result.session_id
    csrf.rotate(request)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, database: DatabaseDep) -> Response:
    session_id = request.session.get("sid")
    if session_id:
        with database.writing() as session:
            accounts_service.logout(session, session_id)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/audit", include_in_schema=False)
def audit_log(
    request: Request,
    session: SessionDep,
    user: ReviewerDep,
    paging: PageRequestDep,
    action: Annotated[str, Query(max_length=60)] = "",
    actor: Annotated[str, Query(max_length=80)] = "",
    entity: Annotated[str, Query(max_length=80, description="claim:12, user:3, …")] = "",
    before: Annotated[
        int | None,
        bounded_int_validator(1, INT32_MAX),
        Query(ge=1, le=INT32_MAX, description="Show events older than this id (older links)"),
    ] = None,
) -> Response:
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if actor:
        stmt = stmt.join(User, AuditEvent.actor_id == User.id).where(User.username == actor)
    if entity:
        entity_type, _, entity_id = entity.partition(":")
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
        if entity_id:
            stmt = stmt.where(AuditEvent.entity_id == entity_id)
    total = count_of(session, stmt)
    after = paging.after
    if before and not after:
        # An older "Older events" link: the events after (older than) that id, as before.
        after = encode_cursor((before,))
    page = page_of_query(
        session,
        stmt,
        AUDIT_ORDER,
        lambda event: (event.id,),
        after=after,
        offset=paging.offset(AUDIT_PAGE),
        size=AUDIT_PAGE,
        total=total,
    )
    actions = session.scalars(
        select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    ).all()
    return render(
        request,
        "audit.html",
        {
            "as_of": dates.today(),
            "events": page.items,
            "page": page,
            "lines": audit_words.describe(session, page.items),
            "actions": actions,
            "action": action,
            "actor": actor,
            "entity": entity,
        },
    )
