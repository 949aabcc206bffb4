"""What tests share: settings and apps, people and sessions, forms, CSV files, waits.

Fixtures live in tests/conftest.py and build on these; test modules import from here, never
from one another (a test module imported by another would be a helper module in disguise).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from app.config import Settings
from app.db import Database
from app.main import create_app

T = TypeVar("T")

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SECRET_KEY = "test-secret-key-not-for-production"


class HttpClient(Protocol):
    """What a test needs of a client: TestClient (in process) and httpx.Client (a live server)."""

    def get(self, url: str, **kwargs: Any) -> Any: ...

    def post(self, url: str, **kwargs: Any) -> Any: ...


# --- apps and settings ----------------------------------------------------------------------


def make_settings(database_url: str, **overrides: object) -> Settings:
    return Settings(database_url=database_url, secret_key=SECRET_KEY, **overrides)


@contextmanager
def running_app(database_url: str, **overrides: object) -> Iterator[tuple[FastAPI, TestClient]]:
    app = create_app(make_settings(database_url, **overrides))
    with TestClient(app) as client:
        yield app, client


# --- waiting: every wait ends, and a wait that runs out fails saying what it waited for -----


def wait_until(
    check: Callable[[], T | None], what: str, timeout: float = 30.0, every: float = 0.1
) -> T:
    """Call ``check`` until it returns something other than None or False; that value.

    Raises AssertionError naming ``what`` (and the last value seen) when ``timeout`` runs out.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


# --- days -----------------------------------------------------------------------------------

# A parametrised date that depends on the day the test runs: worked out when it runs, not when
# the module is collected (the day changes at 10:00 UTC, "today" being the date in UTC+14).
TOMORROW = "<tomorrow>"


def tomorrow() -> date:
    """The day after today (app.dates: the latest date on Earth), worked out now."""
    from app import dates

    return dates.today() + timedelta(days=1)


def day_text(value: str) -> str:
    """A parametrised date as text, TOMORROW worked out when the test runs."""
    return tomorrow().isoformat() if value == TOMORROW else value


# --- the demo data --------------------------------------------------------------------------

DEMO_COUNTS = {"settlements": 46, "sources": 30, "claims": 169, "area_figures": 12}

# The demo's contested settlements on 8 April 2025: two on claims of that day, twelve on
# claims weeks or months old (stale, and still contested: silence does not end a fight).
CONTESTED_ON_2025_04_08 = frozenset(
    {
        "berdin",
        "bolshoye-soldatskoye",
        "cherkasskaya-konopelka",
        "cherkasskoye-porechnoye",
        "giri",
        "gornal",
        "korenevo",
        "kurilovka",
        "novoivanovka",
        "oleshnya",
        "olgovka",
        "russkaya-konopelka",
        "ulanok",
        "veseloye",
    }
)


def table_counts(database: Database) -> dict[str, int]:
    """Rows of settlements, sources, claims and area figures."""
    from app.claims.models import Claim
    from app.settlements.models import Settlement
    from app.sources.models import Source
    from app.status.models import AreaFigure

    with database.read_session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Settlement, Source, Claim, AreaFigure)
        }


def snapshot(database: Database, *, skip: tuple[str, ...] = ("login_failures",)) -> dict:
    """Every row of every table: compare before and after to prove nothing changed."""
    from app.models import Base

    with database.read_session() as session:
        return {
            name: sorted(map(repr, session.execute(select(table)).all()))
            for name, table in Base.metadata.tables.items()
            if name not in skip
        }


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.checkouts = 0

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries(database: Database) -> Iterator[QueryCounter]:
    """Count the SQL statements sent through a database's engine (BEGIN/COMMIT aside), and
    the connections taken from its pool: a read straight through the driver
    (app.db.read_value, the page cache's revision) shows only as a checkout."""
    counter = QueryCounter()

    def checkout(*_args) -> None:
        counter.checkouts += 1

    def before_cursor_execute(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            counter.statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", before_cursor_execute)
    event.listen(database.engine, "checkout", checkout)
    try:
        yield counter
    finally:
        event.remove(database.engine, "before_cursor_execute", before_cursor_execute)
        event.remove(database.engine, "checkout", checkout)


# --- claims stored directly through the services --------------------------------------------


def add_claim(
    database: Database,
    *,
    settlement: str,
    source: str,
    status: str,
    as_of: date,
    published_on: date | None = None,
    summary: str = "",
    approve: bool = True,
    submitted_by_id: int | None = None,
) -> int:
    """Store one claim through the claims service (approved unless said); its id."""
    from app.accounts.models import User
    from app.claims import service as claims_service
    from app.claims.schemas import ClaimIn
    from app.settlements import service as settlements_service
    from app.sources import service as sources_service

    with database.writing() as session:
        claim = claims_service.add(
            session,
            ClaimIn(
                settlement=settlement,
                status=status,
                as_of=as_of,
                published_on=published_on,
                source=source,
                summary=summary,
            ),
            settlement=settlements_service.get_by_slug(session, settlement),
            source=sources_service.get_by_slug(session, source),
            approve=approve,
            submitted_by=session.get(User, submitted_by_id) if submitted_by_id else None,
        )
        return claim.id


def correct_guyevo_recapture(database: Database, published_on: date) -> int:
    """Approve a correction of the Ministry's Guyevo claim of 8 April 2025 (fighting, not
    control), published on ``published_on``; the correction's id."""
    from app.claims import service as claims_service
    from app.claims.models import Claim
    from app.claims.schemas import ClaimIn
    from app.settlements.models import Settlement
    from app.sources.models import Source

    with database.writing() as session:
        guyevo = session.scalar(select(Settlement).where(Settlement.slug == "guyevo"))
        mod = session.scalar(select(Source).where(Source.slug == "russia-mod"))
        assert guyevo is not None and mod is not None
        original = session.scalar(
            select(Claim).where(
                Claim.settlement_id == guyevo.id,
                Claim.source_id == mod.id,
                Claim.as_of == date(2025, 4, 8),
            )
        )
        correction = claims_service.add(
            session,
            ClaimIn(
                settlement="guyevo",
                status="contested",
                as_of=date(2025, 4, 8),
                published_on=published_on,
                source="russia-mod",
                summary="Correction: fighting was still going on.",
            ),
            settlement=guyevo,
            source=mod,
            approve=True,
            supersedes=original,
        )
        return correction.id


def add_settlements(database: Database, count: int, start: int) -> None:
    """`count` more settlements, each with two approved claims from different sides."""
    from app.claims.models import Claim, ControlStatus, ReviewState
    from app.settlements.models import Settlement
    from app.sources.models import Side, Source, SourceKind

    with database.writing() as session:
        ru = session.query(Source).filter_by(slug="ru").one_or_none()
        if ru is None:
            ru = Source(slug="ru", name="RU", kind=SourceKind.military, side=Side.russia)
            ua = Source(slug="ua", name="UA", kind=SourceKind.military, side=Side.ukraine)
            session.add_all([ru, ua])
        else:
            ua = session.query(Source).filter_by(slug="ua").one()
        for n in range(start, start + count):
            s = Settlement(slug=f"village-{n}", name=f"Village {n}", search_key=f"village {n}")
            session.add(s)
            for source, status, day in (
                (ru, ControlStatus.russian_control, 1),
                (ua, ControlStatus.ukrainian_control, 3 + n % 25),
            ):
                session.add(
                    Claim(
                        settlement=s,
                        source=source,
                        status=status,
                        as_of=date(2025, 1, day),
                        published_on=date(2025, 1, day),
                        review_state=ReviewState.approved,
                    )
                )


# --- people and their sessions --------------------------------------------------------------

PASSWORD = "correct horse battery staple"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(
    database: Database, username: str, role: str = "editor", password: str = PASSWORD
) -> int:
    from app.accounts import service as accounts_service
    from app.accounts.models import Role

    with database.writing() as session:
        user = accounts_service.create_user(session, username, password, Role(role))
        return user.id


def csrf_from(client: HttpClient, path: str = "/login") -> str:
    """The CSRF token a page hands out (as a browser would read it from a form)."""
    match = _CSRF_FIELD.search(client.get(path).text)
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def log_in(client: HttpClient, username: str, password: str = PASSWORD) -> Any:
    """Log the client in (in process or over the network); the same client."""
    token = csrf_from(client, "/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return client


def log_in_page(page: Any, base: str, username: str) -> None:
    """Log in through the login form of a real browser's page."""
    from playwright.sync_api import expect

    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    # The header shows the account once on a wide screen (phones fold it into the menu).
    expect(page.locator(".site-header__wide .account-nav__who")).to_contain_text(username)


# --- text of pages --------------------------------------------------------------------------


def text_of(html: str) -> str:
    """Visible-ish text: tags stripped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def error_beside(html: str, field: str) -> str:
    """The message a form shows beside one field."""
    match = re.search(rf'<p class="field-error" id="err-{field}"[^>]*>([^<]*)</p>', html)
    assert match, f"no error slot for {field}"
    return match.group(1)


# --- claims through the forms ---------------------------------------------------------------

GOOD_CLAIM = {
    "settlement": "sudzha",
    "status": "contested",
    "as_of": "2025-03-01",
    "published_on": "2025-03-02",
    "source": "isw",
    "source_url": "https://understandingwar.org/backgrounder/russian-offensive-campaign-assessment-march-1-2025",
    "verification": "geolocated",
    "summary": "Geolocated footage shows fighting in central Sudzha.",
}


def submit(client: HttpClient, **changes: str) -> Any:
    """Post the claim form: GOOD_CLAIM with ``changes``."""
    data = {**GOOD_CLAIM, **changes, "csrf_token": csrf_from(client, "/claims/new")}
    return client.post("/claims/new", data=data, follow_redirects=False)


def claim_id_of(response: Any) -> int:
    """The id of the claim a submit redirected to (its address may carry a query string)."""
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].split("?")[0].rsplit("/", 1)[1])


def submitted(client: HttpClient, **changes: str) -> int:
    """Submit a claim that must be accepted; its id."""
    return claim_id_of(submit(client, **changes))


def decide(client: HttpClient, claim_id: int, action: str = "approve", **data: str) -> Any:
    """A reviewer approves or rejects a claim (at the version the queue shows, unless given)."""
    token = csrf_from(client, "/review")
    version = data.pop("version", None)
    if version is None:
        match = re.search(
            rf'action="/claims/{claim_id}/approve">.*?name="version" value="(\d+)"',
            client.get("/review").text,
            re.S,
        )
        version = match.group(1) if match else "1"
    return client.post(
        f"/claims/{claim_id}/{action}",
        data={"csrf_token": token, "version": version, **data},
        follow_redirects=False,
    )


def ukrainian_sudzha(editor: HttpClient) -> int:
    """Sudzha is under Russian control since 2025-03-13; a confirmed claim says otherwise."""
    return submitted(
        editor,
        settlement="sudzha",
        status="ukrainian_control",
        as_of="2025-03-20",
        published_on="2025-03-20",
        verification="confirmed",
        source="reuters",
        summary="Reuters confirms Ukrainian troops hold Sudzha.",
    )


def status_of(client: HttpClient, slug: str, as_of: str) -> str:
    """The status a settlement's page shows on a date (its badge's modifier)."""
    html = client.get(f"/settlements/{slug}?as_of={as_of}").text
    card = html[html.index('class="status-card') :]
    match = re.search(r'class="badge badge--(\w+)', card)
    assert match, f"no status badge on /settlements/{slug}?as_of={as_of}"
    return match.group(1)


# --- CSV files and the web import -----------------------------------------------------------

HEADER = "settlement,status,as_of,published_on,source,source_url,verification,summary"

SLUGS = [
    "sudzha",
    "guyevo",
    "gornal",
    "oleshnya",
    "plekhovo",
    "korenevo",
    "martynovka",
    "makhnovka",
    "pogrebki",
    "kurilovka",
    "nikolayevo-daryino",
    "daryino",
    "lebedevka",
    "pokrovsky",
    "malaya-loknya",
    "staraya-sorochina",
    "sverdlikovo",
    "kazachya-loknya",
]  # 18 demo settlements x 1,000 days x 3 statuses = 54,000 distinct rows
STATUSES = ["contested", "russian_control", "ukrainian_control"]


# 28 claims of March 2025 about Sudzha by ISW, as a file of the import's format.
MARCH_CLAIMS_CSV = (
    HEADER
    + "\n"
    + "".join(
        f"sudzha,contested,2025-03-{day:02d},2025-03-{day:02d},isw,"
        f"https://example.org/{day},unverified,Fighting reported in Sudzha on day {day}.\n"
        for day in range(1, 29)
    )
)


def csv_bytes(lines: list[str], *, bom: bool = False, sep: str = ",") -> bytes:
    text = "\r\n".join(line.replace(",", sep) if sep != "," else line for line in lines) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def good_rows(n: int) -> list[str]:
    """n distinct valid claims by TASS: settlements, then past dates, then statuses vary."""
    start = date(2021, 1, 1)
    rows = []
    for i in range(n):
        slug = SLUGS[i % len(SLUGS)]
        day = start + timedelta(days=(i // len(SLUGS)) % 1000)
        status = STATUSES[(i // (len(SLUGS) * 1000)) % len(STATUSES)]
        rows.append(f"{slug},{status},{day.isoformat()},,tass,,unverified,Row {i}")
    return rows


def upload(client: HttpClient, data: bytes, name: str = "claims.csv", **fields: str) -> Any:
    """Upload a CSV file to /import (the dry run starts)."""
    token = csrf_from(client, "/import")
    return client.post(
        "/import",
        data={"csrf_token": token, **fields},
        files={"file": (name, data, "text/csv")},
        follow_redirects=False,
    )


def settled(client: HttpClient, location: str, timeout: float = 30.0) -> str:
    """The batch page once the worker is done (large files report progress first)."""

    def finished() -> str | None:
        html: str = client.get(location).text
        return None if 'data-hx-trigger="every 1s"' in html else html

    return wait_until(finished, f"{location} to finish its work", timeout, every=0.2)


def confirm(client: HttpClient, location: str) -> Any:
    """Confirm a checked import (the commit starts)."""
    token = csrf_from(client, location)
    return client.post(f"{location}/commit", data={"csrf_token": token}, follow_redirects=False)


def wait_for_script(page: Any, expression: str, timeout: float = 30.0) -> Any:
    """Wait until a JavaScript expression is true in a real browser's page.

    Playwright's own ``wait_for_function`` polls with code it compiles in the page, which a
    CSP without 'unsafe-eval' (ours) refuses; ``evaluate`` runs outside the page's CSP.
    """
    script = expression if expression.lstrip().startswith(("(", "function")) else None
    return wait_until(
        lambda: page.evaluate(script) if script else page.evaluate(f"() => ({expression})"),
        f"the page to make {expression!r} true",
        timeout=timeout,
    )


# --- the map in a real browser ---------------------------------------------------------------

MAP_COUNTS = """() => {
    const map = document.querySelector(".map");
    const counts = {alone: 0, grouped: 0, stale: 0, status: {}};
    map.querySelectorAll(".map-marker__inner").forEach((m) => {
        counts.alone++;
        counts.status[m.dataset.status] = (counts.status[m.dataset.status] || 0) + 1;
        if (m.parentElement.classList.contains("map-marker--stale")) counts.stale++;
    });
    map.querySelectorAll(".map-cluster__inner").forEach((c) => {
        counts.grouped += Number(c.querySelector(".map-cluster__total").textContent);
        counts.stale += Number(c.dataset.stale);
        c.querySelectorAll(".map-cluster__count").forEach((part) => {
            const prefix = "map-cluster__count--";
            const status = Array.from(part.classList).find((k) => k.startsWith(prefix))
                .slice(prefix.length);
            counts.status[status] = (counts.status[status] || 0) + Number(part.textContent);
        });
    });
    return counts;
}"""
MAP_READY = """() => {
    const map = document.querySelector(".map");
    return map && map.dataset.markers && map.dataset.hiddenLabels !== undefined;
}"""


def map_counts(page) -> dict:
    wait_for_script(page, MAP_READY)
    return page.evaluate(MAP_COUNTS)


def zoom_to(page, name: str, zoom: float) -> None:
    """Centre the map on a settlement at a zoom where it stands alone (no animation)."""
    page.evaluate(
        """async ([name, zoom]) => {
            const container = document.querySelector(".map");
            const data = await (await fetch(container.dataset.geojson)).json();
            const f = data.features.find((f) => f.properties.name === name);
            const [lon, lat] = f.geometry.coordinates;
            container.leafletMap.setView([lat, lon], zoom, {animate: false});
        }""",
        [name, zoom],
    )


# --- derived status: from windows and persisted changes against a history from scratch ------

# The window the demo's comparisons use (the default).
WINDOW = 14


def history_from_scratch(database: Database, known_on: date | None) -> Any:
    """The region's history derived from every claim, with nothing cached."""
    from app.status import service as status_service
    from app.status.history import RegionHistory

    with database.read_session() as session:
        facts = status_service.facts_by_settlement(session, known_on=known_on)
    return RegionHistory.build(facts, WINDOW, known_on)


def assert_persisted_changes_match_history(database: Database, days: list[date]) -> None:
    """As known now: since when, the changes and the date bar's steps, from the table."""
    from sqlalchemy import select  # noqa: F401

    from app.status import service as status_service
    from app.status.derive import evidence_of

    history = history_from_scratch(database, None)
    with database.read_session() as session:
        assert status_service.persisted_changes_hold(session, WINDOW)
        stored = status_service.PersistedChanges(session)
        expected_events = list(history.newest_events_until(date.max))
        got_events = list(stored.newest_events_until(date.max))
        assert [(e.day, e.settlement_id, e.before, e.after) for e in got_events] == [
            (e.day, e.settlement_id, e.before, e.after) for e in expected_events
        ]
        assert [(e.claim_ids, e.derived.reason, e.sides) for e in got_events] == [
            (e.claim_ids, e.derived.reason, e.sides) for e in expected_events
        ]
        assert stored.change_days == history.change_days
        for day in days:
            assert stored.previous_change(day) == history.previous_change(day)
            assert stored.next_change(day) == history.next_change(day)
            rows = status_service.status_table(session, day, WINDOW)
            for row in rows:
                derived, since = history.on(row.settlement.id, day)
                assert (row.derived, row.since) == (derived, since), (row.settlement.slug, day)
                assert row.evidence == evidence_of(derived, day, WINDOW)
