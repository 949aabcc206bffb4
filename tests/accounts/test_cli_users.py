"""`kursk-tracker user …`: accounts are made and changed by the operator, and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.accounts.models import AuditEvent, User
from app.cli import app
from app.config import get_settings
from app.db import Database


@pytest.fixture
def cli(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'users.db'}"
    monkeypatch.setenv("KT_DATABASE_URL", url)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    yield runner, Database(url)
    get_settings.cache_clear()


def test_create_with_password_from_stdin(cli):
    runner, database = cli
    result = runner.invoke(
        app, ["user", "create", "rita", "--role", "reviewer"], input="a long enough password\n"
    )
    assert result.exit_code == 0, result.output
    assert "created rita (reviewer)" in result.output
    with database.read_session() as session:
        user = session.scalar(select(User).where(User.username == "rita"))
        assert user.role.value == "reviewer"
        assert user.password_hash.startswith("$argon2id$")
        assert (
            session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()))
            == "user.create"
        )


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["user", "create", "erin"], "short\n", "at least 12 characters"),
        (["user", "create", "bad name!"], "a long enough password\n", "username"),
        (["user", "create", "erin", "--role", "god"], "a long enough password\n", "god"),
    ],
)
def test_create_refuses_bad_input(cli, args, password, message):
    runner, database = cli
    result = runner.invoke(app, args, input=password)
    assert result.exit_code != 0
    assert message in result.output
    with database.read_session() as session:
        assert session.scalars(select(User)).all() == []


@pytest.mark.parametrize("again", ["erin", "ERIN", "Erin"])
def test_duplicate_username_is_refused_in_any_case(cli, again):
    """Two accounts whose names differ only in case would read as one person in the audit."""
    runner, _ = cli
    runner.invoke(app, ["user", "create", "erin"], input="a long enough password\n")
    result = runner.invoke(app, ["user", "create", again], input="a long enough password\n")
    assert result.exit_code == 1
    assert "a user called 'erin' already exists" in result.output


def test_role_deactivate_list(cli):
    runner, database = cli
    runner.invoke(app, ["user", "create", "erin"], input="a long enough password\n")
    assert runner.invoke(app, ["user", "role", "erin", "admin"]).exit_code == 0
    assert runner.invoke(app, ["user", "deactivate", "erin"]).exit_code == 0
    listing = runner.invoke(app, ["user", "list"]).output
    assert "erin\tadmin\tdeactivated" in listing
    assert runner.invoke(app, ["user", "deactivate", "nobody"]).exit_code == 1
    with database.read_session() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.create", "user.role", "user.deactivate"]
