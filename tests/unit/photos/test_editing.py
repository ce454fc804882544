"""gallery.photos.editing: the captioning grid (pages, saving changed rows all or nothing, with
conflicts) and the bulk actions (one credit, moving to another album); without HTTP, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import Actor
from gallery.core.errors import PermissionDenied, ValidationError
from gallery.extensions import db
from gallery.models import Album, HiddenReason, Photo, Role, User
from gallery.photos.editing import (
    MAX_BULK,
    RowEdit,
    check_text,
    grid_page,
    move_photos,
    photos_in_album,
    save_rows,
    set_credit,
)
from tests.conftest import make_user
from tests.web.helpers import START, add_photos, make_album, make_event


@pytest.fixture
def users(app: Flask) -> dict[str, User]:
    return {role.value: make_user(role) for role in (Role.editor, Role.photographer)}


@pytest.fixture
def albums(app: Flask) -> dict[str, Album]:
    event = make_event(db.session)
    return {slug: make_album(db.session, event, slug) for slug in ("main", "other")}


def _actor(users: dict[str, User], role: str) -> Actor:
    return Actor(user=users[role], via="web")


def _photo(photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id)
    assert photo is not None
    return photo


def _row(photo_id: int, shown: dict[str, str | None] | None = None, **values: str) -> RowEdit:
    return RowEdit(photo_id=photo_id, values=values, originals=dict(shown or {}))


def test_grid_pages_in_display_order(albums: dict[str, Album], users: dict[str, User]) -> None:
    ids = add_photos(db.session, albums["main"], 5)
    later = START + timedelta(hours=1)
    own = add_photos(db.session, albums["main"], 2, start=later, extra={"uploaded_by_id": users["photographer"].id})
    first = grid_page(db.session, albums["main"], user=users["editor"], after=None, limit=4)
    assert [p.id for p in first.photos] == ids[:4] and first.total == 7 and first.first_number == 1
    assert not first.own_only and first.next_cursor is not None
    rest = grid_page(db.session, albums["main"], user=users["editor"], after=first.next_cursor, limit=4)
    assert [p.id for p in rest.photos] == ids[4:] + own and rest.first_number == 5 and rest.next_cursor is None
    mine = grid_page(db.session, albums["main"], user=users["photographer"], after=None, limit=4)
    assert [p.id for p in mine.photos] == own and mine.total == 2 and mine.own_only
    nobody = grid_page(db.session, albums["main"], user=None, after=None, limit=4)
    assert nobody.photos == [] and nobody.total == 0
    # A hidden photo (a takedown request) leaves the photographer's grid; editors keep it.
    _photo(own[0]).hidden_reason = HiddenReason.takedown
    db.session.commit()
    mine = grid_page(db.session, albums["main"], user=users["photographer"], after=None, limit=4)
    assert [p.id for p in mine.photos] == own[1:] and mine.total == 1
    assert grid_page(db.session, albums["main"], user=users["editor"], after=None, limit=10).total == 7


def test_check_text_counts_what_is_stored() -> None:
    assert check_text("caption", "short") is None
    too_long = "x" * 100_000
    assert check_text("credit", too_long) is not None and "at most" in str(check_text("credit", too_long))
    assert check_text("alt_text", "\x00" * 100_000) is None  # NUL bytes are dropped before storing


def test_save_rows_saves_what_changed(albums: dict[str, Album], users: dict[str, User]) -> None:
    a, b, c = add_photos(db.session, albums["main"], 3)
    shown = {"caption": f"Caption of photo {a}"}
    result = save_rows(
        db.session,
        albums["main"],
        [
            _row(a, shown, caption="New\r\ncaption"),
            _row(b, {"caption": f"Caption of photo {b}"}, caption=f"Caption of photo {b}"),
            _row(c, caption="Single photo, no originals sent"),
        ],
        actor=_actor(users, "editor"),
    )
    assert result.ok and result.saved == [a, c] and result.unchanged == 1
    assert _photo(a).caption == "New\ncaption"  # CRLF from a textarea is stored as LF


def test_save_rows_reports_conflicts_missing_rows_and_errors(albums: dict[str, Album], users: dict[str, User]) -> None:
    a, b = add_photos(db.session, albums["main"], 2)
    (elsewhere,) = add_photos(db.session, albums["other"], 1)
    _photo(a).caption = "changed by someone else meanwhile"
    db.session.commit()
    editor = _actor(users, "editor")
    result = save_rows(
        db.session,
        albums["main"],
        [_row(a, {"caption": f"Caption of photo {a}"}, caption="mine"), _row(elsewhere, {"caption": ""}, caption="x")],
        actor=editor,
    )
    assert result.ok and result.conflicts == {a: ["caption"]} and result.missing == [elsewhere] and not result.saved
    invalid = save_rows(
        db.session,
        albums["main"],
        [_row(b, caption="fine"), _row(a, {"credit": "Jan Kowalski"}, credit="x" * 100_000)],
        actor=editor,
    )
    assert not invalid.ok and set(invalid.errors[a]) == {"credit"} and invalid.saved == []
    assert _photo(b).caption == f"Caption of photo {b}"  # all or nothing
    with pytest.raises(ValidationError):
        save_rows(db.session, None, [_row(a, caption="x")] * (MAX_BULK + 1), actor=editor)


def test_photographers_save_only_their_own_photos(albums: dict[str, Album], users: dict[str, User]) -> None:
    (theirs,) = add_photos(db.session, albums["main"], 1, extra={"uploaded_by_id": users["photographer"].id})
    (editors,) = add_photos(db.session, albums["main"], 1)
    photographer = _actor(users, "photographer")
    assert save_rows(db.session, None, [_row(theirs, caption="Mine")], actor=photographer).saved == [theirs]
    with pytest.raises(PermissionDenied):
        save_rows(
            db.session, None, [_row(theirs, caption="Again"), _row(editors, caption="Not mine")], actor=photographer
        )
    with pytest.raises(PermissionDenied):
        set_credit(db.session, [_photo(editors)], "Me", actor=photographer)


def test_photos_in_album(albums: dict[str, Album], users: dict[str, User]) -> None:
    a, b = add_photos(db.session, albums["main"], 2)
    (elsewhere,) = add_photos(db.session, albums["other"], 1)
    _photo(b).deleted_at = _photo(b).created_at
    db.session.commit()
    assert [p.id for p in photos_in_album(db.session, albums["main"], [b, a, elsewhere, a])] == [a]
    assert [p.id for p in photos_in_album(db.session, albums["main"], [a, b], deleted=True)] == [b]
    assert photos_in_album(db.session, albums["main"], []) == []
    with pytest.raises(ValidationError) as refused:
        photos_in_album(db.session, albums["main"], range(MAX_BULK + 1))
    assert refused.value.field == "selected"


def test_set_credit(albums: dict[str, Album], users: dict[str, User]) -> None:
    ids = add_photos(db.session, albums["main"], 3)
    photos = [_photo(i) for i in ids]
    photos[0].credit = "Anna Nowak"
    editor = _actor(users, "editor")
    assert set_credit(db.session, photos, "  Anna Nowak ", actor=editor) == 2
    assert {p.credit for p in photos} == {"Anna Nowak"}
    bad: list[Any] = [None, "x" * 100_000]
    for value in bad:
        with pytest.raises(ValidationError) as refused:
            set_credit(db.session, photos, value, actor=editor)
        assert refused.value.field == "credit"


def test_move_skips_files_the_target_already_has(albums: dict[str, Album], users: dict[str, User]) -> None:
    main, other = albums["main"], albums["other"]
    a, b = add_photos(db.session, main, 2)
    (copy,) = add_photos(db.session, other, 1)
    _photo(copy).sha256 = _photo(b).sha256
    main.cover_photo_id = a
    _photo(a).position = 3
    db.session.commit()
    with pytest.raises(PermissionDenied):
        move_photos(db.session, [_photo(a)], other, actor=_actor(users, "photographer"))
    result = move_photos(db.session, [_photo(a), _photo(b)], other, actor=_actor(users, "editor"))
    assert result.moved == [a] and [p.id for p in result.duplicates] == [b]
    db.session.flush()
    assert _photo(a).album_id == other.id and _photo(a).position is None and main.cover_photo_id is None
    assert move_photos(db.session, [_photo(a)], other, actor=_actor(users, "editor")).moved == []  # already there
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo).where(Photo.album_id == other.id)) == 2
