"""gallery.photos.clock: offsets, which camera a correction names, shifting a stored capture
time, and re-reading naive times in a new time zone."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from gallery.core.errors import ValidationError
from gallery.extensions import db
from gallery.models import Album, Event, Photo, TakenAtSource
from gallery.photos.clock import (
    Camera,
    correction_for,
    parse_offset,
    preview,
    reread_naive_times,
    resolve_camera,
    shifted,
)
from tests.web.helpers import make_album, make_event

T0 = datetime(2024, 5, 7, 7, 0, tzinfo=UTC)  # 09:00 in Brussels


def _photo(
    album: Album,
    make: str | None,
    model: str | None,
    *,
    taken: datetime | None = T0,
    flags: str = "offset_from_exif",
    offset: int | None = 120,
    clock: int = 0,
    deleted: bool = False,
) -> Photo:
    n = db.session.query(Photo).count() + 1
    sha = hashlib.sha256(f"clock-{n}".encode()).hexdigest()
    photo = Photo(
        album_id=album.id,
        sha256=sha,
        original_key=f"originals/{sha}",
        original_filename=f"IMG_{n}.jpg",
        content_type="image/jpeg",
        size=1,
        width=3,
        height=2,
        taken_at=taken,
        taken_at_offset_minutes=offset if taken else None,
        taken_at_source=TakenAtSource.exif_original if taken else TakenAtSource.upload,
        taken_at_flags=flags if taken else "",
        clock_offset_seconds=clock,
        camera_make=make,
        camera_model=model,
        deleted_at=T0 if deleted else None,
    )
    db.session.add(photo)
    db.session.commit()
    return photo


@pytest.fixture
def album(app: Flask) -> Album:
    return make_album(db.session, make_event(db.session, "clock-event"), "clock-album")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("+1h03m", 3780),
        ("-45m", -2700),
        ("1:03", 3780),
        ("-0:00:30", -30),
        ("90s", 90),
        ("2d", 172800),
        ("1h 3min", 3780),
    ],
)
def test_parse_offset(text: str, seconds: int) -> None:
    assert parse_offset(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "soon", "+", "1:60", "3651d"])
def test_parse_offset_refuses_what_is_not_an_offset(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_offset(text)


def test_a_serial_specific_correction_wins_over_make_and_model() -> None:
    corrections = {("Canon", "EOS R6", ""): timedelta(minutes=10), ("Canon", "EOS R6", "111"): timedelta(minutes=1)}
    assert correction_for(corrections, "Canon", "EOS R6", "111") == timedelta(minutes=1)
    assert correction_for(corrections, "Canon", "EOS R6", "222") == timedelta(minutes=10)
    assert correction_for(corrections, "Canon", "EOS R5", None) is None


def test_a_model_alone_is_resolved_to_its_make(album: Album) -> None:
    _photo(album, "NIKON CORPORATION", "NIKON Z 6_2")
    _photo(album, "Canon", "Canon EOS R6")
    event = album.event
    assert resolve_camera(db.session, event, Camera("", "NIKON Z 6_2")) == Camera("NIKON CORPORATION", "NIKON Z 6_2")
    # a make given, or a model without photos here, stays as it is
    assert resolve_camera(db.session, event, Camera("Nikon", "NIKON Z 6_2")) == Camera("Nikon", "NIKON Z 6_2")
    assert resolve_camera(db.session, event, Camera("", "Leica M11")) == Camera("", "Leica M11")
    assert [p.filename for p in preview(db.session, event, Camera("", "NIKON Z 6_2"), timedelta(hours=1))] == [
        "IMG_1.jpg"
    ]


def test_a_model_under_several_makes_is_refused_with_the_makes_named(album: Album) -> None:
    _photo(album, "NIKON CORPORATION", "Z 6")
    _photo(album, None, "Z 6")
    with pytest.raises(ValidationError) as refused:
        resolve_camera(db.session, album.event, Camera("", "Z 6"))
    assert "'NIKON CORPORATION'" in refused.value.message and "(no make)" in refused.value.message


def test_photos_of_other_events_and_deleted_ones_do_not_count(album: Album) -> None:
    other = make_album(db.session, make_event(db.session, "other-event"), "other-album")
    _photo(other, "Nikon", "Z 6")
    _photo(album, "Nikon Corp", "Z 6", deleted=True)
    _photo(album, "NIKON CORPORATION", "Z 6")
    assert resolve_camera(db.session, album.event, Camera("", "Z 6")).make == "NIKON CORPORATION"


def test_shifted_replaces_an_earlier_correction_and_zero_undoes_it(album: Album) -> None:
    photo = _photo(album, "Canon", "EOS R6", taken=T0 + timedelta(minutes=10), flags="clock_corrected", clock=600)
    event: Event = album.event
    moved = shifted(photo, timedelta(minutes=30), event)
    assert moved is not None and moved.taken_at_utc == T0 + timedelta(minutes=30)
    assert moved.clock_offset == timedelta(minutes=30) and "clock_corrected" in moved.flags
    undone = shifted(photo, timedelta(0), event)
    assert undone is not None and undone.taken_at_utc == T0
    assert undone.clock_offset == timedelta(0) and "clock_corrected" not in undone.flags
    assert shifted(_photo(album, "Canon", "EOS R6", taken=None), timedelta(hours=1), event) is None


def test_reread_naive_times_in_a_new_zone(album: Album) -> None:
    naive = _photo(album, "Canon", "EOS R6", flags="naive_in_event_tz")  # 09:00 wall time in Brussels
    corrected = _photo(
        album, "Canon", "EOS R6", taken=T0 + timedelta(minutes=5), flags="clock_corrected,naive_in_event_tz", clock=300
    )
    fixed = _photo(album, "Canon", "EOS R6")  # the file said +02:00
    binned = _photo(album, "Canon", "EOS R6", flags="naive_in_event_tz", deleted=True)
    album.event.timezone = "Europe/London"
    assert reread_naive_times(db.session, album.event, "Europe/London") == 3
    # 09:00 in London (BST, +01:00) is 08:00 UTC; the correction and its flag are kept
    assert (naive.taken_at, naive.taken_at_offset_minutes) == (T0 + timedelta(hours=1), 60)
    assert corrected.taken_at == T0 + timedelta(hours=1, minutes=5) and corrected.clock_offset_seconds == 300
    assert "clock_corrected" in corrected.taken_at_flags and "clock_corrected" not in naive.taken_at_flags
    assert (fixed.taken_at, fixed.taken_at_offset_minutes) == (T0, 120)
    assert binned.taken_at == T0 + timedelta(hours=1)
