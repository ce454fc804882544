"""An album's photos a page at a time (gallery/photos/listing.py), without HTTP: display order
across pages, staff see unfinished photos, an album the viewer may not open is a 404."""

from __future__ import annotations

import pytest
from flask import Flask

from gallery.catalog.visibility import ANONYMOUS, Viewer
from gallery.core.errors import NotFoundError
from gallery.extensions import db
from gallery.models import Album, PhotoStatus, Role
from gallery.photos.listing import album_photos
from gallery.photos.service import list_photos
from tests.conftest import make_user
from tests.web.helpers import add_photos, make_album, make_event


@pytest.fixture
def album(app: Flask) -> Album:
    album = make_album(db.session, make_event(db.session, "ecc"), "day-1", visibility="unlisted")
    add_photos(db.session, album, 5, undated=2)
    album.failed_ids = add_photos(db.session, album, 1, status=PhotoStatus.failed)  # type: ignore[attr-defined]
    return album


def every_id(viewer: Viewer, limit: int, **filters: object) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        page = album_photos(db.session, "day-1", viewer=viewer, cursor=cursor, limit=limit, **filters)  # type: ignore[arg-type]
        ids += [p.id for p in page.items]
        if page.next is None:
            return ids
        cursor = page.next


def test_pages_follow_the_display_order(album: Album) -> None:
    staff = Viewer.of(make_user(Role.editor))
    for limit in (1, 2, 3, 8):
        assert every_id(staff, limit) == [p.id for p in list_photos(db.session, album, include_unready=True)]
    visitor = Viewer.of(None, album.share_token)
    assert every_id(visitor, 2) == [p.id for p in list_photos(db.session, album, include_unready=False)]
    assert every_id(staff, 3, status=PhotoStatus.failed) == album.failed_ids  # type: ignore[attr-defined]
    assert every_id(visitor, 3, status=PhotoStatus.failed) == []  # visitors see ready photos only


def test_an_album_the_viewer_may_not_open_is_404(album: Album) -> None:
    with pytest.raises(NotFoundError):
        album_photos(db.session, "day-1", viewer=ANONYMOUS)
