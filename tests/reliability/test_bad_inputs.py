"""A catalogue of bad inputs, every form and endpoint: each gets its answer and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import csrf_from, log_in, make_user, snapshot

GOOD_CLAIM = {
    "settlement": "sudzha",
    "status": "contested",
    "as_of": "2024-09-01",
    "source": "tass",
    "verification": "unverified",
    "summary": "ok",
}


@dataclass
class Case:
    name: str
    method: str
    path: str
    expected: int
    actor: str = "anonymous"  # anonymous, editor or reviewer
    params: dict[str, str] | None = None
    data: dict[str, str] | None = None  # a form; the CSRF token is added unless csrf=False
    files: dict[str, Any] | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    csrf: bool = True
    writes_audit: bool = False  # failed logins are recorded (that is the point)


def claim(**changes: str) -> dict[str, str]:
    return {**GOOD_CLAIM, **changes}


CASES = [
    # Dates and filters in the address
    Case("as_of month 13", "GET", "/", 422, params={"as_of": "2025-13-01"}),
    Case("as_of five-digit year", "GET", "/", 422, params={"as_of": "99999-01-01"}),
    Case("as_of with slashes", "GET", "/contested", 422, params={"as_of": "2025/04/08"}),
    Case("as_of NUL", "GET", "/", 422, params={"as_of": "\x00"}),
    Case("as_of emoji", "GET", "/map", 422, params={"as_of": "🙂"}),
    Case("query too long", "GET", "/settlements", 422, params={"q": "x" * 201}),
    Case("status filter script", "GET", "/settlements", 422, params={"status": "<script>"}),
    Case("SQL in search", "GET", "/settlements", 200, params={"q": "' OR 1=1 --"}),
    Case("emoji search", "GET", "/settlements", 200, params={"q": "🙂🔥"}),
    Case("RTL search", "GET", "/settlements", 200, params={"q": "مرحبا"}),
    Case("RTL override search", "GET", "/", 200, params={"q": "\u202egnp.exe"}),
    Case("path traversal slug", "GET", "/settlements/..%2F..%2Fetc%2Fpasswd", 404),
    Case("HTML slug", "GET", "/settlements/%3Cscript%3E", 404),
    Case("NUL in the path", "GET", "/settlements/a%00b", 422),
    Case("page zero", "GET", "/contested", 422, params={"page": "0"}),
    Case("page not a number", "GET", "/settlements/sudzha", 422, params={"page": "two"}),
    Case("side unknown", "GET", "/timeline", 422, params={"side": "both"}),
    Case("claim id zero", "GET", "/claims/0", 422),
    Case("claim id huge", "GET", "/claims/99999999999", 422),
    Case("claim id text", "GET", "/claims/abc", 422),
    Case("unknown source", "GET", "/sources/%27", 404),
    Case("unknown claim", "GET", "/claims/424242", 404),
    # Downloads
    Case("export since Feb 30", "GET", "/export/claims.csv", 422, params={"since": "2025-02-30"}),
    Case("export until word", "GET", "/export/claims.csv", 422, params={"until": "tomorrow"}),
    Case("export side", "GET", "/export/claims.csv", 422, params={"side": "martians"}),
    Case("export overlong slug", "GET", "/export/claims.csv", 422, params={"settlement": "s" * 81}),
    Case("status export status", "GET", "/export/status.csv", 422, params={"status": "liberated"}),
    Case("geojson bad date", "GET", "/export/status.geojson", 422, params={"as_of": "2025-04-31"}),
    Case("feed with NUL", "GET", "/feed.atom", 422, params={"x": "\x00"}),
    # The API
    Case("API limit zero", "GET", "/api/v1/claims", 422, params={"limit": "0"}),
    Case("API limit huge", "GET", "/api/v1/claims", 422, params={"limit": "100000"}),
    Case("API forged cursor", "GET", "/api/v1/claims", 422, params={"cursor": "!!!"}),
    Case("API status date", "GET", "/api/v1/status", 422, params={"as_of": "0"}),
    Case("API unknown settlement", "GET", "/api/v1/settlements/nope", 404),
    Case("API area date", "GET", "/api/v1/area-figures", 422, params={"as_of": "x"}),
    Case("API unknown source", "GET", "/api/v1/sources/nope", 404),
    # Wrong methods
    Case("DELETE a claim", "DELETE", "/claims/1", 405, csrf=False),
    Case("PUT a settlement", "PUT", "/settlements/sudzha", 405, csrf=False),
    Case("POST the dashboard", "POST", "/", 405, csrf=False),
    Case("PATCH the API", "PATCH", "/api/v1/claims", 405, csrf=False),
    # The claim form: CSRF and content types
    Case("no CSRF token", "POST", "/claims/new", 403, "editor", data=claim(), csrf=False),
    Case(
        "JSON body",
        "POST",
        "/claims/new",
        403,
        "editor",
        content=b'{"settlement":"sudzha"}',
        headers={"content-type": "application/json"},
        csrf=False,
    ),
    Case(
        "text body",
        "POST",
        "/claims/new",
        403,
        "editor",
        content=b"settlement=sudzha",
        headers={"content-type": "text/plain"},
        csrf=False,
    ),
    Case(
        "broken multipart",
        "POST",
        "/claims/new",
        403,  # unreadable as a form: no token found in it
        "editor",
        content=b"--x\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=x"},
        csrf=False,
    ),
    # The claim form: fields
    Case("empty settlement", "POST", "/claims/new", 422, "editor", data=claim(settlement="")),
    Case(
        "huge settlement", "POST", "/claims/new", 422, "editor", data=claim(settlement="s" * 10_000)
    ),
    Case(
        "SQL settlement",
        "POST",
        "/claims/new",
        422,
        "editor",
        data=claim(settlement="sudzha'; DROP TABLE claims;--"),
    ),
    Case(
        "HTML settlement",
        "POST",
        "/claims/new",
        422,
        "editor",
        data=claim(settlement="<img src=x onerror=alert(1)>"),
    ),
    Case(
        "RTL settlement",
        "POST",
        "/claims/new",
        422,
        "editor",
        data=claim(settlement="\u202esudzha"),
    ),
    Case("Feb 29 of 2025", "POST", "/claims/new", 422, "editor", data=claim(as_of="2025-02-29")),
    Case("as_of far future", "POST", "/claims/new", 422, "editor", data=claim(as_of="2999-01-01")),
    Case(
        "published before as_of",
        "POST",
        "/claims/new",
        422,
        "editor",
        data=claim(published_on="2024-08-01"),
    ),
    Case("empty status", "POST", "/claims/new", 422, "editor", data=claim(status="")),
    Case(
        "javascript URL",
        "POST",
        "/claims/new",
        422,
        "editor",
        data=claim(source_url="javascript:alert(1)"),
    ),
    Case(
        "data URL",
        "POST",
        "/claims/new",
        422,
        "editor",
        data=claim(source_url="data:text/html,<script>"),
    ),
    Case(
        "URL without host", "POST", "/claims/new", 422, "editor", data=claim(source_url="http://")
    ),
    Case(
        "overlong URL",
        "POST",
        "/claims/new",
        422,
        "editor",
        data=claim(source_url="https://e.org/" + "a" * 3000),
    ),
    Case("summary 2001", "POST", "/claims/new", 422, "editor", data=claim(summary="x" * 2001)),
    Case("summary bell", "POST", "/claims/new", 422, "editor", data=claim(summary="ding \x07")),
    Case("summary NUL", "POST", "/claims/new", 422, "editor", data=claim(summary="a\x00b")),
    Case(
        "verification true", "POST", "/claims/new", 422, "editor", data=claim(verification="true")
    ),
    Case(
        "new source no name",
        "POST",
        "/claims/new",
        422,
        "editor",
        data=claim(source="__new__", new_source_side="russia"),
    ),
    Case(
        "duplicate claim",
        "POST",
        "/claims/new",
        409,
        "editor",
        data=claim(settlement="gornal", source="tass", as_of="2025-04-08", published_on=""),
    ),
    Case(
        "supersedes not a number", "POST", "/claims/new", 422, "editor", data=claim(supersedes="x")
    ),
    # Reviews and grades
    Case("approve as editor", "POST", "/claims/1/approve", 403, "editor", data={"version": "1"}),
    Case(
        "approve unknown claim",
        "POST",
        "/claims/424242/approve",
        404,
        "reviewer",
        data={"version": "1"},
    ),
    Case(
        "reject decided claim", "POST", "/claims/1/reject", 409, "reviewer", data={"version": "1"}
    ),
    Case(
        "review note 3000",
        "POST",
        "/claims/1/approve",
        422,
        "reviewer",
        data={"version": "1", "review_note": "n" * 3000},
    ),
    Case("grade Z", "POST", "/sources/isw/reliability", 422, "reviewer", data={"reliability": "Z"}),
    Case(
        "grade for unknown source",
        "POST",
        "/sources/nope/reliability",
        404,
        "reviewer",
        data={"reliability": "B"},
    ),
    # Imports
    Case("import without file", "POST", "/import", 422, "editor", data={}),
    Case(
        "import empty file",
        "POST",
        "/import",
        422,
        "editor",
        data={},
        files={"file": ("e.csv", b"", "text/csv")},
    ),
    Case(
        "import JSON body",
        "POST",
        "/import",
        403,
        "editor",
        content=b"{}",
        headers={"content-type": "application/json"},
        csrf=False,
    ),
    Case("commit unknown import", "POST", "/import/nope/commit", 404, "editor", data={}),
    Case(
        "body over the limit",
        "POST",
        "/claims/new",
        413,
        "editor",
        content=b"",
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "content-length": str(50 * 1024 * 1024),
        },
        csrf=False,
    ),
    # Login
    Case(
        "login wrong password",
        "POST",
        "/login",
        401,
        data={"username": "erin", "password": "not it at all"},
        writes_audit=True,
    ),
    Case(
        "login huge username",
        "POST",
        "/login",
        401,
        data={"username": "u" * 5000, "password": "x"},
        writes_audit=True,
    ),
    Case("login NUL", "POST", "/login", 422, data={"username": "erin\x00", "password": "x"}),
    Case(
        "login without token",
        "POST",
        "/login",
        403,
        data={"username": "erin", "password": "x"},
        csrf=False,
    ),
]


@pytest.fixture(scope="module")
def shared(databases):
    """One demo database for the whole catalogue: no case may change it."""
    from tests.helpers import running_app

    url = databases.copy("demo")
    with running_app(url) as (app, _):
        make_user(app.state.db, "erin", "editor")
        make_user(app.state.db, "rita", "reviewer")
        clients = {
            "anonymous": TestClient(app),
            "editor": log_in(TestClient(app), "erin"),
            "reviewer": log_in(TestClient(app), "rita"),
        }
        yield app, clients


def test_the_catalogue_is_large_enough():
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input(shared, case):
    app, clients = shared
    client = clients[case.actor]
    skip = ("login_failures", "audit_events") if case.writes_audit else ("login_failures",)
    before = snapshot(app.state.db, skip=skip)
    kwargs: dict[str, Any] = {
        "params": case.params,
        "headers": dict(case.headers),
        "follow_redirects": False,
    }
    if case.data is not None:
        data = dict(case.data)
        if case.csrf:
            data["csrf_token"] = csrf_from(
                client, "/login" if case.actor == "anonymous" else "/claims/new"
            )
        kwargs["data"] = data
    if case.files is not None:
        kwargs["files"] = case.files
    if case.content is not None:
        kwargs["content"] = case.content
    response = client.request(case.method, case.path, **kwargs)
    assert response.status_code == case.expected, response.text[:400]
    assert response.status_code < 500
    assert snapshot(app.state.db, skip=skip) == before
