"""`gallery clock-correct` (gallery/cli/clock.py): model alone as the README shows it, several makes refused,
--dry-run on the event's clock."""

from __future__ import annotations

from gallery.extensions import db
from gallery.models import ClockCorrection, Photo
from tests.ingest.conftest import camera_jpeg, upload


def test_cli(app, client, tokens, album):
    upload(client, tokens["editor"], album.slug, camera_jpeg("2024:05:07 09:00:00", "NIKON Z 6_2"), "n.jpg")
    runner = app.test_cli_runner()
    dry = runner.invoke(
        args=[
            "gallery",
            "clock-correct",
            album.event.slug,
            "--model",
            "NIKON Z 6_2",
            "--make",
            "NIKON CORPORATION",
            "--offset",
            "+1h03m",
            "--dry-run",
        ]
    )
    assert dry.exit_code == 0, dry.output
    assert "2024-05-07T09:00:00+02:00 -> 2024-05-07T10:03:00+02:00" in dry.output  # the event's zone (Brussels)
    done = runner.invoke(
        args=[
            "gallery",
            "clock-correct",
            album.event.slug,
            "--model",
            "NIKON Z 6_2",
            "--make",
            "NIKON CORPORATION",
            "--offset",
            "1:03",
        ]
    )
    assert done.exit_code == 0 and "corrected 1 photo" in done.output
    none = runner.invoke(args=["gallery", "clock-correct", album.event.slug, "--model", "Leica M11", "--offset", "5m"])
    assert none.exit_code != 0 and "no photos" in none.output
    bad = runner.invoke(args=["gallery", "clock-correct", album.event.slug, "--model", "X", "--offset", "soon"])
    assert bad.exit_code != 0 and "not a time offset" in bad.output


def test_cli_model_alone_matches_the_model_whatever_its_make(app, client, tokens, album):
    # As the README shows it: `gallery clock-correct EVENT --model 'NIKON Z 6_2' --offset +1h03m`.
    editor = tokens["editor"]
    upload(client, editor, album.slug, camera_jpeg("2024:05:07 09:00:00", "NIKON Z 6_2", colour=(1, 0, 0)), "n.jpg")
    upload(client, editor, album.slug, camera_jpeg("2024:05:07 09:00:00", "Canon EOS R6", colour=(2, 0, 0)), "c.jpg")
    runner = app.test_cli_runner()
    args = ["gallery", "clock-correct", album.event.slug, "--model", "NIKON Z 6_2", "--offset", "+1h03m"]
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    assert "corrected 1 photo" in done.output
    db.session.rollback()
    nikon = db.session.query(Photo).filter_by(original_filename="n.jpg").one()
    canon = db.session.query(Photo).filter_by(original_filename="c.jpg").one()
    assert nikon.taken_at.isoformat() == "2024-05-07T08:03:00+00:00" and nikon.clock_offset_seconds == 3780
    assert canon.taken_at.isoformat() == "2024-05-07T07:00:00+00:00"
    # the correction is stored for the camera's real make, so later uploads from it are corrected too
    correction = db.session.query(ClockCorrection).one()
    assert (correction.camera_make, correction.camera_model) == ("NIKON CORPORATION", "NIKON Z 6_2")
    later = camera_jpeg("2024:05:07 11:00:00", "NIKON Z 6_2", colour=(3, 0, 0))
    late = upload(client, editor, album.slug, later, "l.jpg")
    assert late.get_json()["taken_at"] == "2024-05-07T10:03:00Z"


def test_cli_model_alone_under_several_makes_is_refused_and_names_them(app, client, tokens, album):
    editor = tokens["editor"]
    for n, make in enumerate(("NIKON CORPORATION", "Nikon")):
        jpeg = camera_jpeg("2024:05:07 09:00:00", "NIKON Z 6_2", make=make, colour=(n, 9, 0))
        upload(client, editor, album.slug, jpeg, f"{n}.jpg")
    runner = app.test_cli_runner()
    args = ["gallery", "clock-correct", album.event.slug, "--model", "NIKON Z 6_2", "--offset", "+1h03m"]
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0
    assert "several makes" in refused.output
    assert "'NIKON CORPORATION'" in refused.output and "'Nikon'" in refused.output
    db.session.rollback()
    assert db.session.query(ClockCorrection).count() == 0
    assert {p.clock_offset_seconds for p in db.session.query(Photo)} == {0}
    chosen = runner.invoke(args=[*args, "--make", "Nikon"])
    assert chosen.exit_code == 0 and "corrected 1 photo" in chosen.output


def test_cli_dry_run_prints_times_in_the_events_zone(app, client, tokens, album):
    # a camera that wrote its offset (+05:45) still shows on the event's clock (Brussels, +02:00)
    jpeg = camera_jpeg("2024:05:07 12:45:00", "NIKON Z 6_2", offset="+05:45")
    upload(client, tokens["editor"], album.slug, jpeg, "n.jpg")
    runner = app.test_cli_runner()
    dry = runner.invoke(
        args=["gallery", "clock-correct", album.event.slug, "--model", "NIKON Z 6_2", "--offset", "-30m", "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "2024-05-07T09:00:00+02:00 -> 2024-05-07T08:30:00+02:00" in dry.output
    assert "+00:00" not in dry.output and "dry run: 1 photo(s)" in dry.output
