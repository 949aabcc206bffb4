"""Confirmations shown once, on the next page: "Claim 41 approved."

A write answers with a redirect (post/redirect/get), so its confirmation cannot be on the
page that answers it. It is kept in the signed session cookie until the next full page is
rendered, and shown there once. No JavaScript is involved.
"""

from __future__ import annotations

from starlette.requests import Request

SESSION_KEY = "flash"
# A confirmation is one sentence; a few are kept at most (say, two writes before a page load).
MAX_MESSAGES = 3
MAX_LENGTH = 300


def flash(request: Request, message: str) -> None:
    """Keep ``message`` to be shown on the next page this browser renders."""
    pending = [str(m) for m in request.session.get(SESSION_KEY, []) if isinstance(m, str)]
    pending.append(message[:MAX_LENGTH])
    request.session[SESSION_KEY] = pending[-MAX_MESSAGES:]


def take(request: Request) -> list[str]:
    """The messages waiting for this browser, removed from the session: each is shown once."""
    if SESSION_KEY not in request.session:
        return []
    pending = request.session.pop(SESSION_KEY)
    # A page showing one person's confirmation is never kept by a shared cache.
    request.state.private_response = True
    if not isinstance(pending, list):
        return []
    return [m for m in pending if isinstance(m, str)]
