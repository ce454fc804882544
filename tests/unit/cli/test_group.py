"""What the commands share: domain errors as one-line messages, reading a password."""

from __future__ import annotations

import io

import click
import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from gallery.cli.group import gallery_cli, handle_errors, read_password
from gallery.core.errors import NotFoundError
from gallery.storage import StorageError


def _failing(exc: Exception):  # type: ignore[no-untyped-def]
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
