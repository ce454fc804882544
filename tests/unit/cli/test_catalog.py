"""`gallery create-event` and `gallery create-album` (gallery/cli/catalog.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner

from gallery.extensions import db
from gallery.models import Album, AuditLog, Event, Visibility
from tests.unit.cli.conftest import EVENT_ARGS, assert_fails, assert_ok, count, run


def test_create_event_and_album(runner: FlaskCliRunner) -> None:
    result = run(runner, "create-event", "ecc-2024", *EVENT_ARGS)
    assert_ok(result)
    assert "ecc-2024" in result.output
    event = db.session.scalar(sa.select(Event).where(Event.slug == "ecc-2024"))
    assert event is not None
    assert (event.title, str(event.starts_on), str(event.ends_on), event.timezone, event.location) == (
        "European Cluster Conference 2024",
        "2024-05-07",
        "2024-05-08",
        "Europe/Brussels",
        "Brussels",
    )
    result = run(
        runner, "create-album", "ecc-day-1", "--event", "ecc-2024", "--title", "Day 1", "--visibility", "unlisted"
    )
    assert_ok(result)
    album = db.session.scalar(sa.select(Album).where(Album.slug == "ecc-day-1"))
    assert album is not None and album.event_id == event.id and album.visibility is Visibility.unlisted
    assert album.share_token
    actions = set(db.session.scalars(sa.select(AuditLog.action)).all())
    assert {"event.create", "album.create"} <= actions


@pytest.mark.parametrize(
    ("tz", "suggestion"),
    [("europe/warsaw", "Europe/Warsaw"), ("Warsaw", "Europe/Warsaw"), ("Brussels", "Europe/Brussels")],
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
