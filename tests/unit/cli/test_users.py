"""The account commands (gallery/cli/users.py): `gallery create-user`, `create-token`, `revoke-token` print a
clear message and exit non-zero on failure, never with a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from gallery.accounts import users as accounts
from gallery.extensions import db
from gallery.models import ApiToken, AuditLog, Role, User
from tests.conftest import PASSWORD, login, make_user
from tests.unit.cli.conftest import assert_fails, assert_ok, count, run

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TOKEN_RE = re.compile(r"gal_[A-Za-z0-9_-]{40,}")


# --- create-user ------------------------------------------------------------------------------------


def test_create_user_with_password_stdin(runner: FlaskCliRunner, client: FlaskClient) -> None:
    result = run(
        runner,
        "create-user",
        "Anna@Example.ORG",
        "--role",
        "editor",
        "--name",
        "Anna",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert_ok(result)
    assert "Anna@example.org" in result.output and "editor" in result.output
    user = db.session.scalar(sa.select(User))
    assert user is not None and user.role is Role.editor and user.name == "Anna" and user.active
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.object_type == "user")) == "user.create"
    login(client, "anna@example.org")  # the account works in the real login form
    assert client.get("/manage/").status_code == 200


def test_create_user_duplicate(runner: FlaskCliRunner) -> None:
    assert_ok(run(runner, "create-user", "dup@example.org", "--role", "admin", "--password-stdin", input=PASSWORD))
    assert_fails(
        run(runner, "create-user", "dup@example.org", "--role", "editor", "--password-stdin", input=PASSWORD),
        "already exists",
    )
    assert_fails(
        run(runner, "create-user", "DUP@example.org", "--role", "editor", "--password-stdin", input=PASSWORD),
        "already exists",
    )
    assert count(User) == 1


def test_create_user_bad_role(runner: FlaskCliRunner) -> None:
    line = assert_fails(
        run(runner, "create-user", "r@example.org", "--role", "boss", "--password-stdin", input=PASSWORD), "boss"
    )
    assert "photographer" in line
    assert count(User) == 0


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two words@example.org", "@example.org"])
def test_create_user_bad_email(runner: FlaskCliRunner, email: str) -> None:
    assert_fails(
        run(runner, "create-user", email, "--role", "editor", "--password-stdin", input=PASSWORD),
        "not a valid e-mail address",
    )
    assert count(User) == 0


def test_create_user_short_password(runner: FlaskCliRunner) -> None:
    assert_fails(
        run(runner, "create-user", "s@example.org", "--role", "editor", "--password-stdin", input="short\n"),
        "at least 10 characters",
    )
    assert count(User) == 0


def test_create_user_empty_stdin(runner: FlaskCliRunner) -> None:
    assert_fails(
        run(runner, "create-user", "e@example.org", "--role", "editor", "--password-stdin", input=""), "no password"
    )
    assert count(User) == 0


# --- tokens ---------------------------------------------------------------------------------------------


def create_token(runner: FlaskCliRunner, email: str) -> str:
    result = run(runner, "create-token", email, "--name", "lightroom export")
    assert_ok(result)
    last = result.stdout.splitlines()[-1]
    assert TOKEN_RE.fullmatch(last), result.stdout  # the token, alone on its last line
    assert result.stdout.count(last) == 1
    return last


EVENT = {"title": "CLI token", "starts_on": "2024-05-07", "ends_on": "2024-05-07", "timezone": "UTC"}


def test_create_token_authenticates_and_revoke_token_stops_it(runner: FlaskCliRunner, client: FlaskClient) -> None:
    make_user(Role.editor, "tok@example.org")
    token = create_token(runner, "tok@example.org")
    assert create_token(runner, "tok@example.org") != token
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/events", json=EVENT, headers=headers).status_code == 201

    prefix = db.session.scalar(sa.select(ApiToken.prefix).where(ApiToken.token_hash == accounts._token_digest(token)))
    assert prefix and token.startswith(prefix)
    result = run(runner, "revoke-token", prefix)
    assert_ok(result)
    assert prefix in result.output
    response = client.post("/api/v1/events", json=EVENT, headers=headers)
    assert response.status_code == 401
    assert run(runner, "revoke-token", prefix).exit_code == 0  # revoking twice is harmless
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.object_type == "apitoken")).all()
    assert sorted(actions) == ["token.create", "token.create", "token.revoke"]


def test_create_token_unknown_user(runner: FlaskCliRunner) -> None:
    assert_fails(run(runner, "create-token", "ghost@example.org"), "no user")
    assert count(ApiToken) == 0


def test_create_token_for_a_deactivated_user(runner: FlaskCliRunner) -> None:
    user = make_user(Role.editor, "gone@example.org")
    user.active = False
    db.session.commit()
    assert_fails(run(runner, "create-token", "gone@example.org"), "deactivated")


def test_revoke_unknown_token(runner: FlaskCliRunner) -> None:
    assert_fails(run(runner, "revoke-token", "gal_nothing"), "no token")


def test_cli_prints_the_reason_and_fails(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["gallery", "create-user", "cli@example.org", "--role", "editor", "--password-stdin"],
        input="aaaaaaaaaa\n",
    )
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert 'Repeats like "aaa" are easy to guess.' in result.output.splitlines()[-1]
    assert count(User) == 0
