"""The demo event: generated photos with real EXIF/XMP, loaded through the real upload path."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from PIL import Image
from sqlalchemy import select

from gallery import demo
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import Album, Photo, Report, ReportStatus, TakenAtSource, Visibility
from gallery.schedule import membership, service


def _exif(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG"
        return img.getexif()


def test_demo_photos_carry_capture_time_camera_and_captions() -> None:
    landscape = demo.render_demo_photo(demo.SHOTS[0], 0, long_edge=300)
    portrait_shot = next(s for s in demo.SHOTS if s.portrait)
    portrait = demo.render_demo_photo(portrait_shot, 2, long_edge=300)
    assert Image.open(io.BytesIO(landscape)).size == (300, 200)
    assert Image.open(io.BytesIO(portrait)).size == (200, 300)
    exif = _exif(landscape)
    assert exif.get_ifd(0x8769)[0x9003] == demo.SHOTS[0].when
    assert (exif[0x010F], exif[0x0110]) == demo.SHOTS[0].camera
    assert exif.get_ifd(0x8825)  # GPS on the first photo only ...
    assert not _exif(portrait).get_ifd(0x8825)  # ... not on the others
    with Image.open(io.BytesIO(landscape)) as img:
        xmp = img.info["xmp"]
    assert demo.SHOTS[0].caption.encode("utf-8") in xmp  # Unicode captions travel in XMP


def test_the_shots_fall_on_both_days_of_the_event() -> None:
    days = {shot.when[:10] for shot in demo.SHOTS}
    assert days == {"2024:05:07", "2024:05:08"}
    assert len({shot.caption for shot in demo.SHOTS}) == len(demo.SHOTS)


def test_load_demo_creates_event_reports_and_album_through_the_upload_path(app: Flask, tmp_path: Path) -> None:
    assert not demo.demo_exists(db.session)
    progress: list[tuple[int, int]] = []
    settings = app.config["GALLERY_SETTINGS"]
    event, album, photo_ids = demo.load_demo(
        db.session,
        app.extensions["gallery_storage"],
        tmp_dir=tmp_path,
        max_pixels=settings.max_pixels,
        actor=SYSTEM,
        on_photo=lambda done, total: progress.append((done, total)),
    )
    total = len(demo.SHOTS)
    assert progress == [(i, total) for i in range(1, total + 1)]
    assert demo.demo_exists(db.session)
    assert (event.slug, album.slug) == (demo.EVENT_SLUG, demo.ALBUM_SLUG)
    db.session.rollback()
    album = db.session.scalar(select(Album).where(Album.slug == demo.ALBUM_SLUG))
    assert album.visibility == Visibility.public and album.cover_photo_id == photo_ids[1]
    photos = db.session.scalars(select(Photo).where(Photo.id.in_(photo_ids))).all()
    assert len(photos) == total and all(p.taken_at_source == TakenAtSource.exif_original for p in photos)
    brussels = ZoneInfo("Europe/Brussels")
    assert {p.taken_at.astimezone(brussels).date() for p in photos} == {date(2024, 5, 7), date(2024, 5, 8)}
    assert sum(p.gps_latitude is not None for p in photos) == 1
    reports = db.session.scalars(select(Report).order_by(Report.language)).all()
    assert [(r.language, r.status) for r in reports] == [("en", ReportStatus.published), ("pl", ReportStatus.published)]
    assert all([a.slug for a in r.albums] == [demo.ALBUM_SLUG] for r in reports)
    assert reports[1].translation_of_id == reports[0].id  # the Polish report translates the English one
    sessions = service.list_sessions(db.session, event)
    assert len(sessions) == 10 and sessions[0].speakers == ["Anna Nowak", "Jan Kowalski"]
    # The shots fall in sessions and between them (registration at 08:42).
    held = [[s.slug for s in membership.sessions_of(p, sessions)] for p in sorted(photos, key=lambda p: p.taken_at)]
    assert held[0] == [] and held[1] == ["opening-plenary"]
    assert held[2] == [  # 10:05: the parallel rooms, and the opening's ten-minute margin
        "opening-plenary",
        "panel-cluster-policy-after-2024",
        "workshop-the-cluster-manager-s-toolbox",
    ]
    assert list(tmp_path.glob("upload-*")) == []  # every spooled upload was removed
