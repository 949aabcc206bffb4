"""CSRF protection: a per-session token, checked on every state-changing request.

A short module of our own rather than a middleware package: the token must come from the
signed session we already have, be accepted from a form field (plain HTML forms) or a header
(HTMX, via data-hx-headers on <body>), and be checked before any route code runs. It is applied
as an app-wide dependency (see main.py), so no route can forget it.
"""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request
from starlette.formparsers import MultiPartException

from app.i18n import N_

SESSION_KEY = "csrf"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
# What Starlette raises for a body it cannot parse as the form it claims to be.
UNREADABLE_FORM = (MultiPartException, ValueError, KeyError)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REFUSAL = N_(
    "This form has expired or did not come from this site (missing or wrong CSRF token). "
    "Go back, reload the page and try again."
)


def csrf_token(request: Request) -> str:
    """The session's token, created on first use (only pages with forms ask for it)."""
    # A page carrying the token is one person's: never to be kept by a shared cache.
    request.state.private_response = True
    token = request.session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def rotate(request: Request) -> None:
    """A new token, e.g. at login, so that one seen before login is worthless after it."""
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)


async def csrf_protect(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(SESSION_KEY)
    supplied: object = request.headers.get(HEADER)
    if not supplied and request.headers.get("content-type", "").startswith(FORM_TYPES):
        try:
            form = await request.form()
        except UNREADABLE_FORM:  # a malformed body: refuse it like a missing token
            raise HTTPException(
                status_code=400, detail=N_("The form data could not be read.")
            ) from None
        supplied = form.get(FORM_FIELD)
    # Bytes, not str: compare_digest refuses non-ASCII text, and a token may be anything.
    if (
        not expected
        or not isinstance(supplied, str)
        or not secrets.compare_digest(supplied.encode(), expected.encode())
    ):
        raise HTTPException(status_code=403, detail=REFUSAL)
