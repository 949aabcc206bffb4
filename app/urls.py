"""Absolute URLs: from KT_BASE_URL when it is set, never from what a client says its host is."""

from __future__ import annotations

from fastapi import Request


def site_base(request: Request) -> str:
    """The site's base URL without a trailing slash.

    With KT_BASE_URL set, that; otherwise (development) the address the request came to.
    """
    configured: str = request.app.state.settings.base_url
    return configured or str(request.base_url).rstrip("/")


def absolute_url(request: Request, path: str) -> str:
    """``path`` (which starts with /, and may carry a query) on this site."""
    return site_base(request) + path
