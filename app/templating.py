"""Templates: one per page; an HTMX request gets the named block of that same page."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from jinja2_fragments.fastapi import Jinja2Blocks

from app.accounts.csrf import csrf_token
from app.claims.models import STATUS_LABELS, ControlStatus, Verification
from app.config import PROJECT_ROOT
from app.sources.models import Side
from app.validation import is_safe_url

env = Environment(
    loader=FileSystemLoader(PROJECT_ROOT / "templates"),
    autoescape=True,  # every template, whatever its extension: nothing a user typed goes out raw
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.do"],
)


def _request_context(request: Request) -> dict[str, Any]:
    """What every page may use: the logged-in user, and a CSRF token made only when asked for."""
    return {
        "current_user": getattr(request.state, "user", None),
        "date_nav": getattr(request.state, "date_nav", (None, None)),
        "csrf_token": lambda: csrf_token(request),
    }


templates = Jinja2Blocks(env=env, context_processors=[_request_context])

SIDE_LABELS = {Side.russia: "Russian", Side.ukraine: "Ukrainian", Side.neutral: "Neutral"}
VERIFICATION_LABELS = {
    Verification.unverified: "Unverified",
    Verification.geolocated: "Geolocated (place verified, not time)",
    Verification.confirmed: "Independently confirmed",
    Verification.refuted: "Refuted",
}


def human_date(value: date | None) -> str:
    """8 Apr 2025: unambiguous for readers on both sides of the Atlantic."""
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


def status_label(value: ControlStatus | str) -> str:
    return STATUS_LABELS[ControlStatus(value)]


@pass_context
def url_for_page(context: Context, path: str, **params: Any) -> str:
    """A link that keeps the page's date: every view is a URL one can share."""
    as_of = context.get("as_of")
    today = context.get("today")
    query = {k: v for k, v in params.items() if v not in (None, "")}
    if "as_of" not in params and as_of and as_of != today:
        query = {"as_of": as_of.isoformat(), **query}
    return path + ("?" + urlencode(query) if query else "")


def without(params: Any, *names: str) -> dict[str, str]:
    """Query parameters minus some: for links that replace one parameter and keep the rest."""
    return {k: v for k, v in params.items() if k not in names}


env.filters["human_date"] = human_date
env.filters["without"] = without
env.filters["status_label"] = status_label
env.filters["side_label"] = lambda side: SIDE_LABELS[Side(side)]
env.filters["verification_label"] = lambda v: VERIFICATION_LABELS[Verification(v)]
env.tests["safe_url"] = is_safe_url
env.globals["url_for_page"] = url_for_page
env.globals["ControlStatus"] = ControlStatus
env.globals["Side"] = Side
env.globals["STATUS_ORDER"] = [
    ControlStatus.russian_control,
    ControlStatus.ukrainian_control,
    ControlStatus.contested,
    ControlStatus.unknown,
]


@pass_context
def team_member(context: Context, user: Any, role_words: str) -> str:
    """A team member as the page names them: by username to the team, by role to readers.

    Readers never see who is on the team (a username may be an e-mail address).
    """
    if context.get("current_user") is not None and user is not None:
        return str(user.username)
    return role_words


env.globals["team_member"] = team_member


def is_htmx(request: Request) -> bool:
    # A history restore (back button after a cache miss) needs the whole page.
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    fragments: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The full page, or one block of it when HTMX targets that block's element.

    ``fragments`` maps the id of an element HTMX may target to the block that renders it.
    Any other HTMX request (the date control swaps the whole #page) gets the full page.
    """
    context.setdefault("today", date.today())
    extra: dict[str, Any] = {}
    if is_htmx(request) and fragments:
        block = fragments.get(request.headers.get("HX-Target", ""))
        if block:
            extra["block_name"] = block
    response = templates.TemplateResponse(request, name, context, status_code=status_code, **extra)
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response
