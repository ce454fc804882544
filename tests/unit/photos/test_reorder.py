"""gallery.photos.reorder: the order page's manual order (a page of it, a block moved by drag and
drop, photos moved to new numbers), without HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import SYSTEM, Actor
from gallery.core.errors import PermissionDenied, ValidationError
from gallery.extensions import db
from gallery.models import Album, AuditLog, Role, SortMode
from gallery.photos.reorder import display_order, order_page, reorder_block, reorder_moves
from tests.conftest import make_user
from tests.web.helpers import add_photos, make_album, make_event


@pytest.fixture
def album(app: Flask) -> Album:
    return make_album(db.session, make_event(db.session), "main")


@pytest.fixture
def editor(app: Flask) -> Actor:
    return Actor(user=make_user(Role.editor), via="web")


def test_display_order_and_its_pages(album: Album) -> None:
    ids = add_photos(db.session, album, 5, undated=1)
    assert display_order(db.session, album) == ids  # capture order, the undated photo last
    photos, total = order_page(db.session, album, start=2, limit=2)
    assert [p.id for p in photos] == ids[2:4] and total == 6
    assert all(p.derivatives for p in photos)
    photos, total = order_page(db.session, album, start=-3, limit=1)
    assert [p.id for p in photos] == ids[:1]


def test_reorder_block_places_a_page_and_switches_to_manual(album: Album, editor: Actor) -> None:
    a, b, c, d, e = add_photos(db.session, album, 5)
    assert reorder_block(db.session, album, [d, b], start=1, actor=editor) == 5  # every position written once
    assert album.sort_mode == SortMode.manual
    db.session.commit()
    assert display_order(db.session, album) == [a, d, b, c, e]
    assert reorder_block(db.session, album, [d, b], start=1, actor=editor) == 0  # nothing moved
    db.session.commit()
    reorders = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.action == "album.reorder")).all()
    assert len(reorders) == 1


def test_reorder_block_refuses_bad_input(album: Album, editor: Actor) -> None:
    a, *_ = add_photos(db.session, album, 3)
    for ids, start, field in (([a, a], 0, "order"), ([a, 999], 0, "order"), ([a], 4, "start"), ([a], -1, "start")):
        with pytest.raises(ValidationError) as refused:
            reorder_block(db.session, album, ids, start=start, actor=editor)
        assert refused.value.field == field
    with pytest.raises(PermissionDenied):
        reorder_block(db.session, album, [a], start=0, actor=SYSTEM)
    assert album.sort_mode == SortMode.capture_time


def test_reorder_moves_takes_photos_to_new_numbers(album: Album, editor: Actor) -> None:
    a, b, c, d, e = add_photos(db.session, album, 5)
    reorder_moves(db.session, album, {e: 1, b: 2, c: 3}, actor=editor)  # c keeps its number: not a move
    db.session.commit()
    assert display_order(db.session, album) == [e, a, b, c, d]
    reorder_moves(db.session, album, {a: 4, b: 4, d: 5}, actor=editor)  # d is at 5 already: not a move
    db.session.commit()
    assert display_order(db.session, album) == [e, c, d, b, a]  # one number asked twice: the later photo takes it
    with pytest.raises(ValidationError) as refused:
        reorder_moves(db.session, album, {a: 6}, actor=editor)
    assert refused.value.field == f"position-{a}" and "1 to 5" in refused.value.message
    with pytest.raises(ValidationError):
        reorder_moves(db.session, album, {999: 1}, actor=editor)
    with pytest.raises(PermissionDenied):
        reorder_moves(db.session, album, {a: 1}, actor=Actor(user=make_user(Role.photographer), via="web"))
