"""The newest photos of an album (gallery/photos/live.py): upload order, newest first, after a cursor,
bounded, only what the viewer may see and what has a web size."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from gallery.catalog.visibility import ANONYMOUS
from gallery.extensions import db
from gallery.models import Photo, PhotoStatus
from gallery.photos import live
from tests.archive.conftest import add_photo, jpeg, make_album


def test_newest_first_after_a_cursor_bounded(app: Flask, client, tokens) -> None:
    album = make_album()
    ids = [add_photo(client, tokens["editor"], album.slug, jpeg(n), f"IMG_{n}.jpg") for n in range(4)]
    assert [c.id for c in live.newest_photos(db.session, album, ANONYMOUS)] == ids[::-1]
    assert [c.id for c in live.newest_photos(db.session, album, ANONYMOUS, after=ids[1])] == ids[:1:-1]
    assert [c.id for c in live.newest_photos(db.session, album, ANONYMOUS, limit=2)] == ids[:1:-1]
    assert len(live.newest_photos(db.session, album, ANONYMOUS, limit=10_000)) == 4  # capped at LIVE_LIMIT
    assert live.newest_photos(db.session, album, ANONYMOUS, after=ids[-1]) == []
    card = live.newest_photos(db.session, album, ANONYMOUS, limit=1)[0]
    assert {fmt for _, _, fmt, _ in card.derivatives} == {"jpeg", "webp"}


def test_only_what_the_viewer_may_see_with_a_web_size(app: Flask, client, tokens) -> None:
    album = make_album()
    shown, deleted, pending = (add_photo(client, tokens["editor"], album.slug, jpeg(n), f"{n}.jpg") for n in range(3))
    db.session.get(Photo, deleted).deleted_at = datetime.now(UTC)  # type: ignore[union-attr]
    db.session.get(Photo, pending).status = PhotoStatus.processing  # type: ignore[union-attr]
    db.session.commit()
    assert [c.id for c in live.newest_photos(db.session, album, ANONYMOUS)] == [shown]
    empty = make_album("empty-album")
    assert live.newest_photos(db.session, empty, ANONYMOUS) == []
