"""`gallery import-schedule EVENT FILE.ics` (gallery/cli/schedule.py)."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner

from gallery.schedule.models import EventSession
from tests.unit.cli.conftest import EVENT_ARGS, assert_fails, assert_ok, count, run

FILES = Path(__file__).resolve().parents[2] / "schedule"


def test_import_schedule(runner: FlaskCliRunner, tmp_path: Path) -> None:
    assert_ok(run(runner, "create-event", "ecc-2024", *EVENT_ARGS))
    result = run(runner, "import-schedule", "ecc-2024", str(FILES / "programme.ics"))
    assert_ok(result)
    assert "6 sessions added, 0 updated, 0 unchanged, 2 entries skipped" in result.output
    assert "skipped Cancelled side event: cancelled" in result.output
    again = run(runner, "import-schedule", "ecc-2024", str(FILES / "programme.ics"))
    assert_ok(again)
    assert "0 sessions added, 0 updated, 6 unchanged" in again.output
    assert count(EventSession) == 6


def test_import_schedule_failures(runner: FlaskCliRunner, tmp_path: Path) -> None:
    assert_fails(run(runner, "import-schedule", "nope", str(FILES / "programme.ics")), "no event 'nope'")
    assert_ok(run(runner, "create-event", "ecc-2024", *EVENT_ARGS))
    assert_fails(run(runner, "import-schedule", "ecc-2024", str(tmp_path / "missing.ics")), "No such file")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    assert_fails(run(runner, "import-schedule", "ecc-2024", str(photo)), "not an iCalendar file")
    assert count(EventSession) == 0
