"""What the commands share: domain errors as one-line messages, reading a password."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import OperationalError

from gallery.cli.group import gallery_cli, handle_errors, read_password
from gallery.config import parse_database_url
from gallery.core.errors import NotFoundError
from gallery.extensions import db
from gallery.storage import StorageError
from tests.conftest import PASSWORD, PG_URL, make_app
from tests.unit.cli.conftest import EVENT_ARGS, assert_fails, run


def _failing(exc: Exception):
    @handle_errors
    def command() -> None:
        raise exc

    return command


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (NotFoundError("no album 'x'"), "no album 'x'"),
        (StorageError("endpoint down"), "storage unavailable: endpoint down"),
        (
            OperationalError("SELECT 1", {}, Exception("no such table: albums\nmore")),
            "database error: no such table: albums (did you run `flask --app wsgi db upgrade`?)",
        ),
    ],
)
def test_domain_errors_become_one_line_messages(app: Flask, exc: Exception, message: str) -> None:
    with pytest.raises(click.ClickException) as caught:
        _failing(exc)()
    assert caught.value.message == message
    assert caught.value.exit_code == 1


def test_other_errors_pass_through(app: Flask) -> None:
    with pytest.raises(KeyError):
        _failing(KeyError("bug"))()


def test_a_password_is_one_line_of_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\r\nrest\n"))
    assert read_password(True) == "correct horse"
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    with pytest.raises(click.ClickException, match="no password on standard input"):
        read_password(True)


def test_the_group_holds_every_command_of_the_contract(app: Flask) -> None:
    assert {
        "create-user",
        "create-token",
        "revoke-token",
        "set-password",
        "deactivate-user",
        "activate-user",
        "create-event",
        "create-album",
        "import",
        "demo",
        "verify",
        "gc",
        "reprocess",
        "export",
        "import-bag",
        "storage-check",
        "clock-correct",
        "config",
    } <= set(gallery_cli.commands)


def test_without_a_broker_derivatives_are_made_here_and_their_statuses_counted(app: Flask) -> None:
    from sqlalchemy import select

    from gallery.cli.group import make_derivatives
    from gallery.extensions import db
    from gallery.models import Derivative
    from tests.archive.conftest import add_photo, jpeg
    from tests.conftest import make_token, make_user

    client = app.test_client()
    token = make_token(make_user("editor"))
    event = client.post(
        "/api/v1/events",
        json={"title": "E", "starts_on": "2024-05-07", "ends_on": "2024-05-08", "timezone": "Europe/Brussels"},
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    album = client.post(
        f"/api/v1/events/{event['slug']}/albums", json={"title": "A"}, headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    photo_id = add_photo(client, token, album["slug"], jpeg(1, (640, 480)))

    assert make_derivatives([photo_id, 999_999], label="test", sizes=[200]) == {"ready": 1, "missing": 1}
    widths = set(db.session.scalars(select(Derivative.width).where(Derivative.photo_id == photo_id)))
    assert widths == {200}
    assert make_derivatives([], label="test") == {}


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
