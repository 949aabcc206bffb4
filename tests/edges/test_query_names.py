"""Query parameter names are data, never Python names: unknown ones are ignored on every page,
and none of them travels on into the page's links."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.helpers import log_in, make_user

# Names of Python parameters and variables along the way from a request to a link (the URL
# helper's own, Jinja's, FastAPI's), and a few ordinary unknown ones.
HOSTILE_NAMES = [
    "path",
    "context",
    "request",
    "self",
    "params",
    "kept",
    "caller",
    "cls",
    "kwargs",
    "args",
    "__class__",
    "__obj",
    "_Context__self",
    "loop",
    "varargs",
    "super",
    "here",
    "today",
    "utm_source",
    "x",
]
# Values for path parameters, by name, so that every GET route can be called.
PATH_VALUES = {"slug": "sudzha", "claim_id": "1", "batch_id": "no-such-batch"}
SOURCE_ROUTES = {"/sources/{slug}", "/api/v1/sources/{slug}"}


def get_routes(app: FastAPI) -> list[str]:
    """Every GET path of the app, its path parameters filled in."""
    paths: set[str] = set()

    def visit(route: Any) -> None:
        is_route = isinstance(route, APIRoute) or hasattr(route, "path")
        if is_route and "GET" in (getattr(route, "methods", None) or ()):
            paths.add(route.path)
        if hasattr(route, "effective_route_contexts"):  # an included router
            for context in route.effective_route_contexts():
                visit(context)
        for child in getattr(route, "routes", None) or []:
            visit(child)

    for route in app.routes:
        visit(route)
    filled = []
    for path in sorted(paths):
        if path in SOURCE_ROUTES:
            filled.append(path.replace("{slug}", "isw"))
            continue
        for name, value in PATH_VALUES.items():
            path = path.replace("{" + name + "}", value)
        assert "{" not in path, f"no value for a path parameter in {path}"
        filled.append(path)
    return filled


@pytest.fixture(scope="module")
def team_member(databases):
    """A reviewer, who may see every page, the team's included."""
    from tests.helpers import running_app

    with running_app(databases.copy("demo")) as (app, _):
        make_user(app.state.db, "rita", "reviewer")
        yield app, log_in(TestClient(app), "rita")


def test_every_get_route_is_covered(team_member):
    app, _ = team_member
    routes = get_routes(app)
    for expected in ("/", "/timeline", "/settlements/sudzha", "/review", "/audit", "/feed.atom"):
        assert expected in routes
    assert len(routes) >= 25


@pytest.mark.parametrize("as_of", [None, "2025-04-08"])
def test_unknown_parameters_are_ignored_on_every_get_route(team_member, as_of):
    app, client = team_member
    failures = []
    for path in get_routes(app):
        base: dict[str, str] = {"as_of": as_of} if as_of else {}
        plain = client.get(path, params=base, follow_redirects=False)
        for name in HOSTILE_NAMES:
            response = client.get(path, params={**base, name: "x"}, follow_redirects=False)
            if response.status_code != plain.status_code:
                failures.append(f"{path}?{name}=x: {response.status_code}, not {plain.status_code}")
                continue
            # The page's links carry only its own parameters: an unknown one stops here.
            carried = re.search(rf"[?&;]{re.escape(name)}=x\b", response.text) or (
                f'name="{name}" value="x"' in response.text
            )
            if "html" in response.headers.get("content-type", "") and carried:
                failures.append(f"{path}?{name}=x: carried into the page's links")
    assert failures == []


def test_the_date_bar_keeps_the_page_filters(client):
    response = client.get(
        "/timeline", params={"as_of": "2025-04-08", "district": "Sudzhansky", "path": "x"}
    )
    assert response.status_code == 200
    assert "district=Sudzhansky" in response.text
    assert "path=x" not in response.text
    assert 'name="district" value="Sudzhansky"' in response.text
