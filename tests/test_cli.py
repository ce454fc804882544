"""`flask --app wsgi gallery …`: set-up commands print a clear message and exit non-zero on
failure, never with a traceback."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from gallery.accounts import users as accounts
from gallery.config import parse_database_url
from gallery.extensions import db
from gallery.models import Album, ApiToken, AuditLog, Event, Role, User, Visibility
from tests.conftest import PASSWORD, PG_URL, login, make_app, make_user

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TOKEN_RE = re.compile(r"gal_[A-Za-z0-9_-]{40,}")


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def run(runner: FlaskCliRunner, *args: str, input: str | None = None) -> Result:
    return runner.invoke(args=["gallery", *args], input=input)


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, result.output
    assert result.exception is None


def assert_fails(result: Result, fragment: str) -> str:
    """Non-zero exit, one "Error:" line saying what is wrong, no traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}\n{result.output}"
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    errors = [line for line in lines if line.startswith("Error")]
    assert len(errors) == 1 and errors[0] == lines[-1], result.output  # one line, nothing after it
    assert fragment in errors[0], errors[0]
    return errors[0]


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# --- create-user ------------------------------------------------------------------------------------


def test_create_user_with_password_stdin(runner: FlaskCliRunner, client: FlaskClient) -> None:
    result = run(runner, "create-user", "Anna@Example.ORG", "--role", "editor", "--name", "Anna", "--password-stdin",
                 input=PASSWORD + "\n")
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
    assert_fails(run(runner, "create-user", "dup@example.org", "--role", "editor", "--password-stdin", input=PASSWORD),
                 "already exists")
    assert_fails(run(runner, "create-user", "DUP@example.org", "--role", "editor", "--password-stdin", input=PASSWORD),
                 "already exists")
    assert count(User) == 1


def test_create_user_bad_role(runner: FlaskCliRunner) -> None:
    line = assert_fails(run(runner, "create-user", "r@example.org", "--role", "boss", "--password-stdin",
                            input=PASSWORD), "boss")
    assert "photographer" in line
    assert count(User) == 0


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two words@example.org", "@example.org"])
def test_create_user_bad_email(runner: FlaskCliRunner, email: str) -> None:
    assert_fails(run(runner, "create-user", email, "--role", "editor", "--password-stdin", input=PASSWORD),
                 "not a valid e-mail address")
    assert count(User) == 0


def test_create_user_short_password(runner: FlaskCliRunner) -> None:
    assert_fails(run(runner, "create-user", "s@example.org", "--role", "editor", "--password-stdin", input="short\n"),
                 "at least 10 characters")
    assert count(User) == 0


def test_create_user_empty_stdin(runner: FlaskCliRunner) -> None:
    assert_fails(run(runner, "create-user", "e@example.org", "--role", "editor", "--password-stdin", input=""),
                 "no password")
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


# --- events and albums ------------------------------------------------------------------------------------

EVENT_ARGS = ["--title", "European Cluster Conference 2024", "--starts-on", "2024-05-07", "--ends-on", "2024-05-08",
              "--timezone", "Europe/Brussels", "--location", "Brussels"]


def test_create_event_and_album(runner: FlaskCliRunner) -> None:
    result = run(runner, "create-event", "ecc-2024", *EVENT_ARGS)
    assert_ok(result)
    assert "ecc-2024" in result.output
    event = db.session.scalar(sa.select(Event).where(Event.slug == "ecc-2024"))
    assert event is not None
    assert (event.title, str(event.starts_on), str(event.ends_on), event.timezone, event.location) == (
        "European Cluster Conference 2024", "2024-05-07", "2024-05-08", "Europe/Brussels", "Brussels"
    )
    result = run(runner, "create-album", "ecc-day-1", "--event", "ecc-2024", "--title", "Day 1", "--visibility", "unlisted")
    assert_ok(result)
    album = db.session.scalar(sa.select(Album).where(Album.slug == "ecc-day-1"))
    assert album is not None and album.event_id == event.id and album.visibility is Visibility.unlisted
    assert album.share_token
    actions = set(db.session.scalars(sa.select(AuditLog.action)).all())
    assert {"event.create", "album.create"} <= actions


@pytest.mark.parametrize(
    ("tz", "suggestion"), [("europe/warsaw", "Europe/Warsaw"), ("Warsaw", "Europe/Warsaw"), ("Brussels", "Europe/Brussels")]
)
def test_create_event_bad_timezone_suggests_one(runner: FlaskCliRunner, tz: str, suggestion: str) -> None:
    args = [a if a != "Europe/Brussels" else tz for a in EVENT_ARGS]
    line = assert_fails(run(runner, "create-event", "tz-test", *args), "is not an IANA time zone")
    assert f"did you mean {suggestion}" in line or suggestion in line.split("did you mean", 1)[-1]
    assert count(Event) == 0


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"--ends-on": "2024-05-06"}, "ends_on is before starts_on"),
        ({"--starts-on": "2024-02-30"}, "not a date"),
        ({"--starts-on": "07.05.2024"}, "YYYY-MM-DD"),
        ({"--timezone": "Mars/Olympus"}, "not an IANA time zone"),
        ({"--title": "   "}, "title is required"),
    ],
)
def test_create_event_rejects_bad_input(runner: FlaskCliRunner, change: dict[str, str], fragment: str) -> None:
    args = list(EVENT_ARGS)
    for option, value in change.items():
        args[args.index(option) + 1] = value
    assert_fails(run(runner, "create-event", "bad-input", *args), fragment)
    assert count(Event) == 0


def test_create_event_bad_slug(runner: FlaskCliRunner) -> None:
    assert_fails(run(runner, "create-event", "Bad Slug!", *EVENT_ARGS), "not a valid slug")
    assert count(Event) == 0


def test_create_event_duplicate_slug(runner: FlaskCliRunner) -> None:
    assert_ok(run(runner, "create-event", "twice", *EVENT_ARGS))
    assert_fails(run(runner, "create-event", "twice", *EVENT_ARGS), "taken")
    assert count(Event) == 1


def test_create_album_unknown_event(runner: FlaskCliRunner) -> None:
    assert_fails(run(runner, "create-album", "orphan", "--event", "nope", "--title", "Orphan"), "no event")
    assert count(Album) == 0


def test_create_album_bad_visibility_and_duplicate(runner: FlaskCliRunner) -> None:
    assert_ok(run(runner, "create-event", "ev", *EVENT_ARGS))
    assert_fails(run(runner, "create-album", "al", "--event", "ev", "--title", "A", "--visibility", "secret"), "secret")
    assert_ok(run(runner, "create-album", "al", "--event", "ev", "--title", "A"))
    assert_fails(run(runner, "create-album", "al", "--event", "ev", "--title", "A"), "taken")
    assert count(Album) == 1


# --- an unmigrated database ---------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        if not PG_URL:
            pytest.skip("GALLERY_TEST_DATABASE_URL is not set")
        schema = "gallery_cli_empty_" + re.sub(r"\W", "_", os.environ.get("PYTEST_XDIST_WORKER", "main"))
        engine = sa.create_engine(parse_database_url(PG_URL))
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        sep = "&" if "?" in PG_URL else "?"
        url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    app = make_app(tmp_path, url)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema:
            engine = sa.create_engine(parse_database_url(PG_URL or ""))
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()


@pytest.mark.parametrize(
    "args",
    [
        ["create-user", "u@example.org", "--role", "editor", "--password-stdin"],
        ["create-token", "u@example.org"],
        ["create-event", "ev", *EVENT_ARGS],
        ["create-album", "al", "--event", "ev", "--title", "A"],
    ],
    ids=lambda a: a[0],
)
def test_commands_on_an_unmigrated_database_say_so(unmigrated_app: Flask, args: list[str]) -> None:
    result = run(unmigrated_app.test_cli_runner(), *args, input=PASSWORD + "\n")
    assert_fails(result, "db upgrade")


# --- the real entry point ------------------------------------------------------------------------------------


def test_flask_entry_point_migrates_and_creates_an_event(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    env.update({"GALLERY_INSTANCE_PATH": str(tmp_path / "instance"), "GALLERY_LOG_LEVEL": "WARNING"})

    def flask(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180,
        )

    upgrade = flask("db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    created = flask("gallery", "create-event", "ecc-2024", *EVENT_ARGS)
    assert created.returncode == 0, created.stderr
    assert "created event ecc-2024" in created.stdout

    with sqlite3.connect(tmp_path / "instance" / "gallery.db") as conn:
        rows = conn.execute("SELECT slug, timezone FROM events").fetchall()
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert rows == [("ecc-2024", "Europe/Brussels")]
    assert len(version) == 1
