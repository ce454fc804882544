"""Album tallies (gallery/photos/tallies.py): the database keeps, per album and credit, the number of
photos visitors are shown -- through every kind of write (ORM, bulk statements, deletes, moves,
an album's deletion), always equal to a fresh count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import delete, select, update

from gallery.catalog.visibility import is_shown
from gallery.extensions import db
from gallery.models import Album, HiddenReason, Photo, PhotoStatus
from gallery.photos import tallies
from tests.web.helpers import add_photos, make_album, make_event

T0 = datetime(2024, 5, 7, 12, tzinfo=UTC)


def _table() -> dict[tuple[int, str], int]:
    rows = db.session.execute(select(tallies.AlbumTally.album_id, tallies.AlbumTally.credit, tallies.AlbumTally.photos))
    return {(album_id, credit): n for album_id, credit, n in rows if n}


def _fresh() -> dict[tuple[int, str], int]:
    """What a count of the photos says, through the Python reading of the visibility rule."""
    counts: dict[tuple[int, str], int] = {}
    for photo in db.session.scalars(select(Photo)):
        if is_shown(photo):
            key = (photo.album_id, photo.credit.strip(" ")[: tallies.CREDIT_LENGTH])
            counts[key] = counts.get(key, 0) + 1
    return counts


def _set(ids: list[int], **values: object) -> None:
    db.session.execute(update(Photo).where(Photo.id.in_(ids)).values(**values))
    db.session.commit()


@pytest.fixture
def albums(app: Flask) -> tuple[Album, Album]:
    event = make_event(db.session, "tallies")
    return make_album(db.session, event, "tally-a"), make_album(db.session, event, "tally-b")


def test_the_tallies_follow_every_kind_of_write(albums: tuple[Album, Album]) -> None:
    a, b = albums
    ids = add_photos(db.session, a, 6, status=PhotoStatus.processing)  # one bulk INSERT, nothing shown yet
    assert _table() == {} and tallies.shown_count(db.session, a.id) == 0
    _set(ids, credit=" Ola Kot ")
    _set(ids[:4], status=PhotoStatus.ready)  # what processing does: a bulk UPDATE
    assert _table() == {(a.id, "Ola Kot"): 4} == _fresh()
    _set(ids[4:], status=PhotoStatus.failed, credit="Jan Nowak")
    _set([ids[0]], credit="Jan Nowak")
    assert _table() == {(a.id, "Ola Kot"): 3, (a.id, "Jan Nowak"): 1} == _fresh()
    _set([ids[1]], hidden_reason=HiddenReason.takedown)  # hidden
    _set([ids[2]], deleted_at=T0)  # in the bin
    assert tallies.shown_count(db.session, a.id) == 2 and _table() == _fresh()
    _set([ids[2]], deleted_at=None)  # restored
    _set([ids[1]], hidden_reason=None)  # released
    assert tallies.shown_count(db.session, a.id) == 4
    # the ORM's unit of work, a move to another album, a position change that counts nothing
    photo = db.session.get(Photo, ids[3])
    assert photo is not None
    photo.credit = ""
    photo.album_id = b.id
    db.session.commit()
    _set(ids, position=7)
    assert tallies.shown_count(db.session, a.id) == 3 and tallies.shown_count(db.session, b.id) == 1
    assert _table() == _fresh() == {(a.id, "Ola Kot"): 2, (a.id, "Jan Nowak"): 1, (b.id, ""): 1}
    # deleted rows (an erase), then a whole album with its photos
    db.session.execute(delete(Photo).where(Photo.id == ids[0]))
    db.session.commit()
    assert _table() == _fresh() == {(a.id, "Ola Kot"): 2, (b.id, ""): 1}
    db.session.delete(db.session.get(Album, a.id))
    db.session.commit()
    assert _table() == _fresh() == {(b.id, ""): 1}
    assert tallies.shown_count(db.session, a.id) == 0


def test_credits_most_frequent_first_and_rebuild_agrees(albums: tuple[Album, Album]) -> None:
    a, _ = albums
    ids = add_photos(db.session, a, 7)
    for photo_id, credit in zip(ids, ["B", "A", "B", "", "C", "A", "Z" * 1000], strict=True):
        _set([photo_id], credit=credit)
    assert tallies.credits(db.session, a.id) == ["A", "B", "C", "Z" * tallies.CREDIT_LENGTH]
    assert tallies.credits(db.session, a.id, limit=2) == ["A", "B"]
    assert tallies.shown_count(db.session, a.id) == 7
    before = _table()
    db.session.execute(update(tallies.AlbumTally).values(photos=99))  # wrong on purpose
    tallies.rebuild(db.session)
    db.session.commit()
    assert _table() == before == _fresh()


def test_a_long_multibyte_credit_fits_the_key(albums: tuple[Album, Album]) -> None:
    a, _ = albums
    ids = add_photos(db.session, a, 1)
    _set(ids, credit="写" * 1000)  # 3,000 bytes: too long for a btree key whole
    assert tallies.credits(db.session, a.id) == ["写" * tallies.CREDIT_LENGTH]
    assert _table() == _fresh()


def test_credited_count_sums_the_shown_photos_of_the_albums_asked(albums: tuple[Album, Album]) -> None:
    a, b = albums
    in_a, in_b = add_photos(db.session, a, 5), add_photos(db.session, b, 3)
    _set(in_a, credit="Ola Kot")
    _set(in_b[:2], credit=" Ola Kot ")  # trimmed: the same photographer
    _set([in_a[0]], hidden_reason=HiddenReason.takedown)  # not shown: not counted
    every, only_b = Album.id.in_([a.id, b.id]), Album.id == b.id
    assert tallies.credited_count(db.session, "Ola Kot", every) == 6
    assert tallies.credited_count(db.session, " Ola Kot", only_b) == 2
    assert tallies.credited_count(db.session, "Jan Nowak", every) == 0
    shown = [p for p in db.session.scalars(select(Photo)) if is_shown(p) and p.credit.strip() == "Ola Kot"]
    assert len(shown) == 6
