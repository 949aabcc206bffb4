"""Users, login sessions and the login throttle. Plain functions; the caller commits."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.accounts import audit
from app.accounts.models import LoginFailure, Role, User, UserSession
from app.accounts.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from app.db import utcnow
from app.validation import check_text

SESSION_LIFETIME = timedelta(days=14)
# The throttle: this many failed logins for one username within the window lock it until
# the oldest of them leaves the window. Known and unknown usernames are treated alike.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
USERNAME_PATTERN = r"[A-Za-z0-9_.@-]{2,80}"


class AccountError(ValueError):
    """A user command that cannot be done (and why)."""


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: User | None = None
    session_id: str | None = None
    retry_after: timedelta | None = None  # set when the username is throttled

    @property
    def ok(self) -> bool:
        return self.user is not None


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


def create_user(
    session: Session, username: str, password: str, role: Role, *, actor: User | None = None
) -> User:
    try:
        username = check_text(username)
    except ValueError as error:
        raise AccountError(f"username {error}") from None
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise AccountError("username: 2-80 letters, digits, or . _ @ -")
    try:
        check_password_rules(password)
    except ValueError as error:
        raise AccountError(f"password {error}") from None
    # Two accounts whose names differ only in case would read as one person in the audit.
    same = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if same is not None:
        raise AccountError(f"a user called {same.username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.create",
        "user",
        user.id,
        actor=actor,
        after={"username": username, "role": role},
    )
    return user


class NotAllowed(PermissionError):
    """The user may not do this now (deactivated, or a role too low): HTTP 403."""


def acting_user(session: Session, user_id: int, role: Role) -> User:
    """The user as the database has them now, in the caller's write transaction.

    A role is checked when a request arrives; a write done later (an import committed after
    its dry run, a decision queued behind a lock) checks it again here, so that a role lowered
    or an account deactivated in between stops the write. Read fresh, never merged from the
    request's copy: a merge would write the stale role back.
    """
    user = session.get(User, user_id, populate_existing=True)
    if user is None or not user.active:
        raise NotAllowed("This account is no longer active; nothing was stored.")
    if not user.has_role(role):
        raise NotAllowed(
            f"This needs the {role.value} role, and you now have the {user.role.value} role; "
            "nothing was stored."
        )
    return user


def _require_user(session: Session, username: str) -> User:
    user = get_by_username(session, username)
    if user is None:
        raise AccountError(f"no user called {username!r}")
    return user


def revoke_sessions(session: Session, user: User) -> int:
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)  # an UPDATE's result is a CursorResult


def deactivate_user(session: Session, username: str, *, actor: User | None = None) -> User:
    """Deactivate an account and end every session it has."""
    user = _require_user(session, username)
    before = {"active": user.active}
    user.active = False
    ended = revoke_sessions(session, user)
    audit.record(
        session,
        "user.deactivate",
        "user",
        user.id,
        actor=actor,
        before=before,
        after={"active": False, "sessions_ended": ended},
    )
    return user


def set_role(session: Session, username: str, role: Role, *, actor: User | None = None) -> User:
    user = _require_user(session, username)
    before = {"role": user.role}
    user.role = role
    # A changed role takes effect at once: sessions carry no role, the user row does.
    audit.record(
        session, "user.role", "user", user.id, actor=actor, before=before, after={"role": role}
    )
    return user


def set_password(
    session: Session, username: str, password: str, *, actor: User | None = None
) -> User:
    user = _require_user(session, username)
    try:
        check_password_rules(password)
    except ValueError as error:
        raise AccountError(f"password {error}") from None
    user.password_hash = hash_password(password)
    revoke_sessions(session, user)
    audit.record(session, "user.password", "user", user.id, actor=actor)
    return user


def throttled_for(session: Session, username: str, now: datetime | None = None) -> timedelta | None:
    """How long this username must wait before trying again, or None."""
    now = now or utcnow()
    recent = session.scalars(
        select(LoginFailure.at)
        .where(LoginFailure.username == username, LoginFailure.at > now - FAILURE_WINDOW)
        .order_by(LoginFailure.at.desc())
        .limit(MAX_FAILURES)
    ).all()
    if len(recent) < MAX_FAILURES:
        return None
    return recent[-1] + FAILURE_WINDOW - now


def login(session: Session, username: str, password: str) -> LoginResult:
    """Check a password; on success open a new session (a fresh id: rotation at login)."""
    username = username.strip()[:80]
    wait = throttled_for(session, username)
    if wait is not None:
        audit.record(session, "login.throttled", "user", "", after={"username": username})
        return LoginResult(retry_after=wait)
    user = get_by_username(session, username)
    valid = verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.active:
        session.add(LoginFailure(username=username))
        audit.record(
            session, "login.failed", "user", user.id if user else "", after={"username": username}
        )
        return LoginResult()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    session_id = secrets.token_urlsafe(32)
    session.add(UserSession(id=session_id, user=user, expires_at=utcnow() + SESSION_LIFETIME))
    audit.record(session, "login", "user", user.id, actor=user)
    return LoginResult(user=user, session_id=session_id)


def logout(session: Session, session_id: str) -> None:
    row = session.get(UserSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, "logout", "user", row.user_id, actor=row.user)


def user_for_session(session: Session, session_id: str | None) -> User | None:
    """The active user behind a live session id, or None (expired, revoked, deactivated)."""
    if not session_id:
        return None
    row = session.scalar(
        select(UserSession).where(
            UserSession.id == session_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
    )
    if row is None or not row.user.active:
        return None
    return row.user
