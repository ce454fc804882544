"""What the command tests share: a CLI runner on the test app, and checks that a command succeeded or
failed with one clear line; the ingest suite's album."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner

from gallery.extensions import db
from tests.ingest.conftest import album

__all__ = ["EVENT_ARGS", "album", "assert_fails", "assert_ok", "count", "run", "runner"]

EVENT_ARGS = [
    "--title",
    "European Cluster Conference 2024",
    "--starts-on",
    "2024-05-07",
    "--ends-on",
    "2024-05-08",
    "--timezone",
    "Europe/Brussels",
    "--location",
    "Brussels",
]


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
