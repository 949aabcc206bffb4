"""What a proxy, a CDN or a browser may keep of a reader's page, and for how long.

A public page is the same for every reader until the data changes (app.revisions) or the
day does (pages default to today). Its ETag names exactly that: the content revision, the
day, and everything else the response depends on (see ``Variant``). A reader who sends the
ETag back is answered 304 without the page being rendered (app.page_cache).

Freshness: shared caches and browsers may reuse a page for MAX_AGE seconds, and serve it
STALE_WHILE_REVALIDATE seconds longer while they fetch a new one, so a reader's page is at
most MAX_AGE + STALE_WHILE_REVALIDATE = 60 seconds older than the data. A shared cache
sends ``Age`` with what it serves, and a browser counts that against ``max-age``, so the two
caches together never add up to more. Both are cut short at the change of day: a page for
"today" is never kept into the next day.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app import dates

MAX_AGE = 30
STALE_WHILE_REVALIDATE = 30
MAX_STALENESS = MAX_AGE + STALE_WHILE_REVALIDATE

# Request headers a page depends on besides its address. Each is part of the ETag and of
# the page cache's key, and is named in ``Vary`` so that shared caches keep the variants
# apart too. A language chosen by header is one more entry here ("Accept-Language"); a
# language chosen in the address is already part of the key through the query string.
KEY_HEADERS: tuple[str, ...] = (
    "HX-Request",
    "HX-Target",
    "HX-History-Restore-Request",
    "HX-Trigger-Name",
)
# What a public response varies on: the key headers; the encoding (gzip or not); and the
# cookie, so that a shared cache never answers a signed-in person with a reader's page.
VARY = ", ".join(("Accept-Encoding", "Cookie", *KEY_HEADERS))

NO_STORE = "no-store"
# The unhashed address of a static file (/static/css/app.css): it may change with a release.
STATIC_SHORT = "public, max-age=300"
# A content-hashed address (/static/css/app.3f2a1b9c.css) never changes what it names.
STATIC_IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class Variant:
    """Everything one public response depends on; its ETag names all of it."""

    path: str
    query: bytes
    key_headers: tuple[bytes, ...]
    origin: tuple[object, ...] | None  # scheme, host and root path, when links follow them
    revision: int
    day: date

    @property
    def etag(self) -> str:
        digest = hashlib.blake2b(repr(self).encode(), digest_size=12).hexdigest()
        # Weak: the same page gzipped and not is one representation as far as a cache goes.
        return f'W/"{self.revision}-{digest}"'


def seconds_until_tomorrow(now: datetime | None = None) -> int:
    """Seconds until "today" (app.dates, in UTC+14) becomes tomorrow."""
    now = (now or datetime.now(UTC)).astimezone(dates.LATEST_TIMEZONE)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), now.tzinfo)
    return max(0, int((midnight - now).total_seconds()))


def public_cache_control(now: datetime | None = None) -> str:
    """``Cache-Control`` of a reader's page: at most 60 s stale, and never past the day."""
    left = seconds_until_tomorrow(now)
    max_age = min(MAX_AGE, left)
    stale = min(STALE_WHILE_REVALIDATE, left - max_age)
    if max_age == 0:
        return "public, no-cache"  # the last second of the day: ask every time
    return f"public, max-age={max_age}, stale-while-revalidate={stale}"


def if_none_match_matches(header: str, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (weak comparison, as RFC 9110 says)."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def header_values(
    headers: Iterable[tuple[bytes, bytes]], names: Iterable[str]
) -> tuple[bytes, ...]:
    """The values of some request headers (empty when absent), in the order of ``names``."""
    found = dict(headers)
    return tuple(found.get(name.lower().encode("latin-1"), b"") for name in names)
