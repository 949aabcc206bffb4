"""Logging in and out: argon2id, rotated and revocable sessions, one answer for bad credentials."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.accounts import service as accounts_service
from app.accounts.models import User, UserSession
from app.accounts.passwords import hash_password, needs_rehash
from tests.helpers import PASSWORD, csrf_from, log_in, make_user


def post_login(client: TestClient, username: str, password: str):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(client)},
        follow_redirects=False,
    )


def test_passwords_are_stored_as_argon2id(fresh_db):
    make_user(fresh_db, "erin")
    with fresh_db.read_session() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "erin"))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_login_sets_a_hardened_session_cookie_and_shows_the_user(fresh_app, fresh_db):
    make_user(fresh_db, "erin")
    client = TestClient(fresh_app)
    response = post_login(client, "erin", PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "kt_session=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "erin" in client.get("/").text


def test_cookie_is_secure_when_served_over_https(databases):
    from tests.helpers import running_app

    url = databases.copy("demo")
    with running_app(url, https=True) as (app, client):
        make_user(app.state.db, "erin")
        client.base_url = "https://testserver"
        response = post_login(client, "erin", PASSWORD)
        assert "secure" in response.headers["set-cookie"].lower()
        assert "strict-transport-security" in response.headers


def test_wrong_password_and_unknown_user_get_the_same_answer(fresh_app, fresh_db):
    make_user(fresh_db, "erin")
    wrong = post_login(TestClient(fresh_app), "erin", "not the password at all")
    unknown = post_login(TestClient(fresh_app), "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong username or password." in wrong.text
    assert "Wrong username or password." in unknown.text
    assert "set-cookie" not in wrong.headers or "sid" not in wrong.headers.get("set-cookie", "")


@pytest.mark.parametrize("username", ["erin", "nobody-here"])
def test_repeated_failures_are_throttled_for_known_and_unknown_names(fresh_app, fresh_db, username):
    make_user(fresh_db, "erin")
    client = TestClient(fresh_app)
    for _ in range(accounts_service.MAX_FAILURES):
        assert post_login(client, username, "wrong password here").status_code == 401
    throttled = post_login(client, username, PASSWORD)
    assert throttled.status_code == 429
    assert "Too many failed attempts" in throttled.text
    assert int(throttled.headers["retry-after"]) > 0
    if username == "erin":
        # even the right password waits until the window has passed
        with fresh_db.read_session() as session:
            assert accounts_service.throttled_for(session, "erin") is not None


def test_throttle_lifts_after_the_window(fresh_db):
    make_user(fresh_db, "erin")
    with fresh_db.writing() as session:
        for _ in range(accounts_service.MAX_FAILURES):
            accounts_service.login(session, "erin", "wrong password here")
    with fresh_db.read_session() as session:
        later = accounts_service.utcnow() + accounts_service.FAILURE_WINDOW + timedelta(seconds=1)
        assert accounts_service.throttled_for(session, "erin") is not None
        assert accounts_service.throttled_for(session, "erin", now=later) is None


def test_session_id_is_rotated_at_login(fresh_app, fresh_db):
    make_user(fresh_db, "erin")
    client = TestClient(fresh_app)
    before = client.get("/login").cookies.get("kt_session") or client.cookies.get("kt_session")
    log_in(client, "erin")
    after = client.cookies.get("kt_session")
    assert after and after != before
    log_in(client, "erin")
    with fresh_db.read_session() as session:
        assert len(session.scalars(select(UserSession)).all()) == 2


def test_logout_ends_the_session_on_the_server(fresh_app, fresh_db):
    make_user(fresh_db, "erin")
    client = log_in(TestClient(fresh_app), "erin")
    stolen_cookie = client.cookies.get("kt_session")
    token = csrf_from(client, "/claims/new")
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    # The old cookie, replayed, no longer opens anything.
    replay = TestClient(fresh_app, cookies={"kt_session": stolen_cookie})
    response = replay.get("/claims/new", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_deactivating_a_user_ends_their_sessions(fresh_app, fresh_db):
    make_user(fresh_db, "erin")
    client = log_in(TestClient(fresh_app), "erin")
    assert client.get("/claims/new").status_code == 200
    with fresh_db.writing() as session:
        accounts_service.deactivate_user(session, "erin")
    assert client.get("/claims/new", follow_redirects=False).status_code == 303
    assert post_login(TestClient(fresh_app), "erin", PASSWORD).status_code == 401


def test_role_change_takes_effect_at_once(fresh_app, fresh_db):
    make_user(fresh_db, "erin", "reviewer")
    client = log_in(TestClient(fresh_app), "erin")
    assert client.get("/review").status_code == 200
    with fresh_db.writing() as session:
        accounts_service.set_role(session, "erin", accounts_service.Role.editor)
    assert client.get("/review").status_code == 403


def test_hash_is_upgraded_when_parameters_change(fresh_db):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    assert needs_rehash(weak)
    make_user(fresh_db, "erin")
    with fresh_db.writing() as session:
        session.scalar(select(User).where(User.username == "erin")).password_hash = weak
    with fresh_db.writing() as session:
        assert accounts_service.login(session, "erin", PASSWORD).ok
    with fresh_db.read_session() as session:
        upgraded = session.scalar(select(User.password_hash).where(User.username == "erin"))
    assert upgraded != weak and not needs_rehash(upgraded)
    assert not needs_rehash(hash_password("another password!!"))


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example"])
def test_login_never_redirects_off_site(fresh_app, fresh_db, target):
    make_user(fresh_db, "erin")
    client = TestClient(fresh_app)
    response = client.post(
        "/login",
        data={
            "username": "erin",
            "password": PASSWORD,
            "next": target,
            "csrf_token": csrf_from(client),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_login_and_failures_are_audited(fresh_app, fresh_db):
    from app.accounts.models import AuditEvent

    make_user(fresh_db, "erin")
    post_login(TestClient(fresh_app), "erin", "wrong password here")
    log_in(TestClient(fresh_app), "erin")
    with fresh_db.read_session() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["user.create", "login.failed", "login"]


@pytest.mark.parametrize(
    ("username", "password", "missing"),
    [("", "", "username and password"), ("rita", "", "password"), ("   ", PASSWORD, "username")],
)
def test_an_empty_login_form_asks_for_what_is_missing_and_is_not_a_failed_attempt(
    fresh_app, fresh_db, username, password, missing
):
    from app.accounts.models import LoginFailure

    make_user(fresh_db, "rita", "reviewer")
    client = TestClient(fresh_app)
    token = csrf_from(client, "/login")
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 422
    assert f"Give your {missing} to log in." in response.text
    with fresh_db.read_session() as session:
        assert session.scalars(select(LoginFailure)).all() == []
