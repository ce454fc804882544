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


# --- the rules of /manage/users hold for scripts too (gallery.accounts.admin) -------------------


def test_set_role_keeps_the_last_active_admin(runner: FlaskCliRunner) -> None:
    make_user(Role.admin, "only-admin@example.org")
    make_user(Role.photographer, "pia@example.org")
    assert_fails(run(runner, "set-role", "only-admin@example.org", "editor"), "last active admin")
    assert_fails(run(runner, "deactivate-user", "only-admin@example.org"), "last active admin")
    result = run(runner, "set-role", "pia@example.org", "admin")
    assert_ok(result)
    assert "pia@example.org is now admin" in result.output
    assert_ok(run(runner, "set-role", "only-admin@example.org", "editor"))  # now there is another admin
    db.session.expire_all()
    roles = dict(db.session.execute(sa.select(User.email, User.role)).all())
    assert roles == {"only-admin@example.org": Role.editor, "pia@example.org": Role.admin}


def test_password_link_prints_a_one_time_link(runner: FlaskCliRunner, client: FlaskClient) -> None:
    make_user(Role.editor, "ola@example.org")
    result = run(runner, "password-link", "ola@example.org")
    assert_ok(result)
    path = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"/account/set-password/[A-Za-z0-9_-]{40,}", path), result.output
    assert client.get(path).status_code == 200
    again = run(runner, "password-link", "ola@example.org")
    assert client.get(path).status_code == 404  # the newer link replaced it
    assert client.get(again.output.strip().splitlines()[-1]).status_code == 200
    assert_fails(run(runner, "password-link", "ghost@example.org"), "no user")
