"""Atom feeds of approved claims: the whole region, and one settlement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.responses import AtomResponse, download, errors_by_reference
from app.claims import service as claims_service
from app.claims.models import Claim
from app.deps import SessionDep, SettlementDep
from app.i18n import current_language, gettext, place_name
from app.language import PARAMETER as LANGUAGE_PARAMETER
from app.language import with_language
from app.templating import templates
from app.text import xml_safe
from app.urls import site_base

router = APIRouter(tags=["feeds"], responses=errors_by_reference(422, 503))
FEED = download(AtomResponse.media_type, "An Atom 1.0 feed.")
TAG_PREFIX = "tag:kursk-tracker,2024:"
ATOM = "application/atom+xml; charset=utf-8"


def _feed(
    request: Request, claims: Sequence[Claim], title: str, page: str, feed_id: str
) -> Response:
    newest = max((c.reviewed_at or c.created_at for c in claims), default=datetime.now(UTC))
    # A feed speaks the ``lang`` it was asked in (English without one), and its links say so.
    language = current_language()
    asked = LANGUAGE_PARAMETER in request.query_params
    path = request.url.path + (f"?{LANGUAGE_PARAMETER}={language}" if asked else "")
    response = templates.TemplateResponse(
        request,
        "feed.atom",
        {
            "title": title,
            "claims": claims,
            "base": site_base(request),
            # Ids that never change with the host name the feed was fetched under (RFC 4151).
            "tag": TAG_PREFIX,
            "feed_id": TAG_PREFIX + feed_id,
            "path": path,
            "page": with_language(page, language) if asked else page,
            "updated": newest.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        media_type=ATOM,
    )
    # A character XML cannot hold, stored before the text policy refused it, would make the
    # whole feed unreadable: left out of the feed instead.
    body = bytes(response.body)
    safe = xml_safe(body.decode("utf-8")).encode("utf-8")
    if safe != body:
        response.body = safe
        response.headers["content-length"] = str(len(safe))
    return response


@router.get(
    "/feed.atom",
    summary="Approved claims, newest first (Atom)",
    response_class=AtomResponse,
    responses=FEED,
)
def region_feed(request: Request, session: SessionDep) -> Response:
    claims = list(claims_service.recently_approved(session))
    return _feed(request, claims, gettext("Kursk Control Tracker: approved claims"), "/", "feed")


@router.get(
    "/settlements/{slug}/feed.atom",
    summary="Approved claims about one settlement, newest first (Atom)",
    response_class=AtomResponse,
    responses={**FEED, **errors_by_reference(404)},
)
def settlement_feed(request: Request, settlement: SettlementDep, session: SessionDep) -> Response:
    claims = list(claims_service.recently_approved(session, settlement_id=settlement.id))
    return _feed(
        request,
        claims,
        gettext("Kursk Control Tracker: %(settlement)s") % {"settlement": place_name(settlement)},
        f"/settlements/{settlement.slug}",
        f"settlement/{settlement.slug}/feed",
    )
