"""A report's page (gallery/reports/pages.py): who may read it, and which linked albums and
shortcode strips it shows to whom."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from gallery.catalog.visibility import ANONYMOUS, Viewer
from gallery.core.errors import NotFoundError
from gallery.extensions import db
from gallery.models import Album, Photo, PhotoStatus, Report, Role, SortMode, User
from gallery.reports import pages
from tests.conftest import make_user
from tests.web.helpers import add_photos, make_album, make_event, make_report


@dataclass
class World:
    albums: dict[str, Album]
    photos: dict[str, list[int]]
    published: Report
    draft: Report
    editor: User


@pytest.fixture
def world(app: Flask) -> World:
    event = make_event(db.session, "conf")
    albums = {
        vis: make_album(db.session, event, f"{vis}-album", visibility=vis) for vis in ("public", "unlisted", "private")
    }
    photos = {vis: add_photos(db.session, album, 8) for vis, album in albums.items()}
    add_photos(db.session, albums["public"], 1, status=PhotoStatus.processing)
    linked = list(albums.values())
    published = make_report(db.session, event, "out", "Out", published=True, albums=linked)
    draft = make_report(db.session, event, "soon", "Soon", published=False, albums=linked)
    return World(albums=albums, photos=photos, published=published, draft=draft, editor=make_user(Role.editor))


def test_drafts_are_read_by_editors_only(world: World) -> None:
    assert pages.find_report(db.session, "conf", "out", viewer=ANONYMOUS).id == world.published.id
    for viewer in (ANONYMOUS, Viewer.of(make_user(Role.photographer))):
        with pytest.raises(NotFoundError):
            pages.find_report(db.session, "conf", "soon", viewer=viewer)
    assert pages.find_report(db.session, "conf", "soon", viewer=Viewer.of(world.editor)).id == world.draft.id
    with pytest.raises(NotFoundError):
        pages.find_report(db.session, "other-event", "out", viewer=Viewer.of(world.editor))


def test_a_report_shows_visitors_only_listed_albums_even_with_a_share_token(world: World) -> None:
    slugs = [a.slug for a in world.albums.values()] + ["no-such-album"]
    token = world.albums["unlisted"].share_token
    for viewer in (ANONYMOUS, Viewer.of(None, token)):
        ctx = pages.report_page(db.session, world.published, viewer=viewer, shortcode_slugs=slugs)
        assert [c.album.slug for c in ctx.linked] == ["public-album"]
        assert sorted(ctx.strips) == ["public-album"]
    editor = pages.report_page(db.session, world.published, viewer=Viewer.of(world.editor), shortcode_slugs=slugs)
    assert [c.album.slug for c in editor.linked] == ["public-album", "unlisted-album", "private-album"]
    assert sorted(editor.strips) == ["private-album", "public-album", "unlisted-album"]


def test_strips_show_the_first_shown_photos_in_display_order(world: World) -> None:
    manual = world.albums["private"]
    manual.sort_mode = SortMode.manual
    db.session.commit()
    for position, photo_id in enumerate(reversed(world.photos["private"])):
        photo = db.session.get(Photo, photo_id)
        assert photo is not None
        photo.position = position
    db.session.commit()
    ctx = pages.report_page(
        db.session,
        world.published,
        viewer=Viewer.of(world.editor),
        shortcode_slugs=["public-album", "private-album"],
        strip_size=3,
    )
    public, private = ctx.strips["public-album"], ctx.strips["private-album"]
    assert public.count == 8  # the one still processing is not shown
    assert [p.id for p in public.photos] == world.photos["public"][:3]  # capture order
    assert [p.id for p in private.photos] == list(reversed(world.photos["private"]))[:3]  # the editor's order
