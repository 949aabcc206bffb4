"""Every state-changing request needs the session's CSRF token; without it, 403 and no change."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from tests.helpers import csrf_from, snapshot

FORM = {
    "settlement": "sudzha",
    "status": "contested",
    "as_of": "2025-03-01",
    "source": "tass",
    "verification": "unverified",
}


def all_routes(routes) -> list[APIRoute]:
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # FastAPI's included routers
            found.extend(all_routes(route.original_router.routes))
    return found


def state_changing_routes(app) -> list[str]:
    return sorted(
        route.path
        for route in all_routes(app.routes)
        if route.methods & {"POST", "PUT", "PATCH", "DELETE"}
    )


def test_every_state_changing_route_refuses_a_request_without_token(fresh_app, editor, fresh_db):
    before = snapshot(fresh_db)
    paths = state_changing_routes(fresh_app)
    assert "/claims/new" in paths and "/login" in paths and "/logout" in paths
    for path in paths:
        concrete = path.replace("{claim_id}", "1")
        response = editor.post(concrete, data=FORM, follow_redirects=False)
        assert response.status_code == 403, concrete
        assert "CSRF" in response.text
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize("token", ["", "wrong", "x" * 43, "' OR 1=1 --", "Гуево", "\u202etoken"])
def test_wrong_tokens_are_refused(editor, fresh_db, token):
    before = snapshot(fresh_db)
    response = editor.post("/claims/new", data={**FORM, "csrf_token": token})
    assert response.status_code == 403
    assert snapshot(fresh_db) == before


def test_token_of_another_session_is_refused(editor, anonymous, fresh_db):
    foreign = csrf_from(anonymous, "/login")
    before = snapshot(fresh_db)
    assert editor.post("/claims/new", data={**FORM, "csrf_token": foreign}).status_code == 403
    assert snapshot(fresh_db) == before


def test_header_token_works_for_htmx(editor):
    token = csrf_from(editor, "/claims/new")
    response = editor.post(
        "/claims/check",
        data=FORM,
        headers={"X-CSRF-Token": token, "HX-Request": "true", "HX-Target": "claim-form"},
    )
    assert response.status_code == 200


def test_login_form_needs_the_token_too(anonymous, fresh_db):
    before = snapshot(fresh_db)
    response = anonymous.post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 403
    assert snapshot(fresh_db) == before


def test_body_carries_the_token_for_htmx_when_logged_in(editor):
    html = editor.get("/").text
    assert 'data-hx-headers=\'{"X-CSRF-Token": "' in html


def test_anonymous_pages_set_no_cookie(anonymous):
    # Reading needs no session: no cookie for visitors who never see a form.
    response = anonymous.get("/settlements/guyevo")
    assert "set-cookie" not in response.headers
