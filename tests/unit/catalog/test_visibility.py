"""The visibility rule (gallery/catalog/visibility.py): the Python checks and the SQL filters give
the same answer over the whole matrix -- album visibility × deleted × status × uploader × viewer
kind (anonymous, right/wrong share token, photographer with own and others' photos, editor, admin,
hidden (a takedown pending) or not,
deactivated user) × surface (page or public artefact) -- on SQLite and PostgreSQL, and both give
the answers written out here by hand."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from gallery.catalog import visibility as v
from gallery.extensions import db
from gallery.models import Album, Event, HiddenReason, Photo, PhotoStatus, Report, Role, User, Visibility
from tests.conftest import make_user
from tests.web.helpers import add_photos, make_album, make_event, make_report

PUBLIC, UNLISTED, PRIVATE = Visibility.public, Visibility.unlisted, Visibility.private
STATUSES = (PhotoStatus.ready, PhotoStatus.processing, PhotoStatus.failed)
DELETED_AT = datetime(2024, 6, 1, tzinfo=UTC)


@dataclass
class Matrix:
    albums: dict[Visibility, Album]
    photos: list[Photo]
    users: dict[str, User]
    reports: list[Report]
    events: dict[str, Event]


@pytest.fixture
def matrix(app: Flask) -> Matrix:
    users = {
        "photographer": make_user(Role.photographer),
        "editor": make_user(Role.editor),
        "admin": make_user(Role.admin),
        "gone": make_user(Role.editor, email="gone@example.org"),
        "gone_photographer": make_user(Role.photographer, email="gone-photographer@example.org"),
    }
    for name in ("gone", "gone_photographer"):
        users[name].active = False
    db.session.commit()
    event = make_event(db.session, "matrix")
    albums = {vis: make_album(db.session, event, f"album-{vis.value}", visibility=vis.value) for vis in Visibility}
    uploaders = ("photographer", "editor", "gone_photographer")
    for album in albums.values():
        for deleted, status, uploader, hidden in itertools.product((False, True), STATUSES, uploaders, (False, True)):
            if hidden and (deleted or status == PhotoStatus.failed):
                continue  # hidden photos: live ones, ready or not (enough to cross the rule's terms)
            extra = {
                "uploaded_by_id": users[uploader].id,
                "deleted_at": DELETED_AT if deleted else None,
                "hidden_reason": HiddenReason.takedown if hidden else None,
                "hidden_at": DELETED_AT if hidden else None,
            }
            add_photos(db.session, album, 1, status=status, extra=extra)
    # Events: one with only a public album, one with only an unlisted one, one with only a private
    # one, one with only a published report, one with only a draft, one with nothing.
    events = {"public": event}
    for name, visibility in (("unlisted", "unlisted"), ("private", "private")):
        events[name] = make_event(db.session, f"only-{name}")
        make_album(db.session, events[name], f"only-{name}-album", visibility=visibility)
    events["published"] = make_event(db.session, "only-published")
    events["draft"] = make_event(db.session, "only-draft")
    events["empty"] = make_event(db.session, "nothing")
    reports = [
        make_report(db.session, events["published"], "out", "Out now", published=True),
        make_report(db.session, events["draft"], "soon", "Not yet", published=False),
    ]
    photos = list(db.session.scalars(select(Photo).order_by(Photo.id)))
    return Matrix(albums=albums, photos=photos, users=users, reports=reports, events=events)


def viewers(m: Matrix) -> dict[str, v.Viewer]:
    """Every viewer kind, on an ordinary page and (suffix ``@artefact``) on a public artefact."""
    u = m.users
    token = {vis: m.albums[vis].share_token for vis in Visibility}
    kinds = {
        "anonymous": v.Viewer.of(None),
        "unlisted token": v.Viewer.of(None, token[UNLISTED]),
        "private token": v.Viewer.of(None, token[PRIVATE]),
        "public token": v.Viewer.of(None, token[PUBLIC]),
        "wrong token": v.Viewer.of(None, "not-the-token"),
        "non-ASCII token": v.Viewer.of(None, "żółw-\udcff"),
        "photographer": v.Viewer.of(u["photographer"]),
        "photographer with token": v.Viewer.of(u["photographer"], token[UNLISTED]),
        "editor": v.Viewer.of(u["editor"]),
        "admin": v.Viewer.of(u["admin"]),
        "deactivated editor": v.Viewer.of(u["gone"]),
        "deactivated photographer": v.Viewer.of(u["gone_photographer"]),
    }
    artefacts = {f"{name}@artefact": replace(viewer, public_artefact=True) for name, viewer in kinds.items()}
    return {**kinds, **artefacts}


# What each viewer kind may open, and what is listed to it, written out by hand.
OPENS = {
    "anonymous": {PUBLIC},
    "unlisted token": {PUBLIC, UNLISTED},
    "private token": {PUBLIC},  # a share token never opens a private album
    "public token": {PUBLIC},
    "wrong token": {PUBLIC},
    "non-ASCII token": {PUBLIC},
    "photographer": {PUBLIC},
    "photographer with token": {PUBLIC, UNLISTED},
    "editor": {PUBLIC, UNLISTED, PRIVATE},
    "admin": {PUBLIC, UNLISTED, PRIVATE},
    "deactivated editor": {PUBLIC},
    "deactivated photographer": {PUBLIC},
}
STAFF = {"photographer", "photographer with token", "editor", "admin"}  # see unfinished photos
EDITORS = {"editor", "admin"}  # see hidden photos (not even a photographer sees their own)
OWNER = {"photographer": "photographer", "photographer with token": "photographer"}


def expected_opens(kind: str) -> set[Visibility]:
    base, _, surface = kind.partition("@")
    if surface:  # public artefacts: the user does not count, the token does
        return {PUBLIC, UNLISTED} if base in ("unlisted token", "photographer with token") else {PUBLIC}
    return OPENS[base]


def expected_listed(kind: str) -> set[Visibility]:
    return {PUBLIC, UNLISTED, PRIVATE} if kind in ("editor", "admin") else {PUBLIC}


def expected_photo(m: Matrix, kind: str, photo: Photo) -> bool:
    base, _, surface = kind.partition("@")
    if photo.deleted_at is not None:
        return False
    staff = base in STAFF and not surface
    if photo.status != PhotoStatus.ready and not staff:
        return False
    if photo.hidden_reason is not None and not (base in EDITORS and not surface):
        return False
    owner = OWNER.get(base) if not surface else None
    if owner is not None and photo.uploaded_by_id == m.users[owner].id:
        return True
    return photo.album.visibility in expected_opens(kind)


def ids(query: object) -> set[int]:
    return set(db.session.scalars(query))  # type: ignore[call-overload]


def test_album_check_and_filter_agree_with_each_other_and_with_the_table(matrix: Matrix) -> None:
    albums = list(matrix.albums.values())
    for kind, viewer in viewers(matrix).items():
        by_check = {a.id for a in albums if v.can_view_album(a, viewer)}
        by_sql = ids(select(Album.id).where(Album.id.in_([a.id for a in albums]), v.album_filter(viewer)))
        assert by_check == by_sql, kind
        assert {a.visibility for a in albums if a.id in by_check} == expected_opens(kind), kind

        listed_check = {a.id for a in albums if v.can_list_album(a, viewer)}
        listed_sql = ids(select(Album.id).where(Album.id.in_([a.id for a in albums]), v.listed_album_filter(viewer)))
        assert listed_check == listed_sql, kind
        assert {a.visibility for a in albums if a.id in listed_check} == expected_listed(kind), kind


def test_photo_check_and_filter_agree_with_each_other_and_with_the_table(matrix: Matrix) -> None:
    assert len(matrix.photos) == 3 * (2 * 3 * 3 + 2 * 3)  # per album: every state, and hidden ready/processing
    for kind, viewer in viewers(matrix).items():
        by_check = {p.id for p in matrix.photos if v.can_view_photo(p, viewer)}
        by_sql = ids(select(Photo.id).where(v.photo_filter(viewer)))
        assert by_check == by_sql, kind
        assert by_check == {p.id for p in matrix.photos if expected_photo(matrix, kind, p)}, kind
        # The same filter joined with albums (as the feed and the media route use it) agrees too.
        joined = ids(select(Photo.id).join(Album, Album.id == Photo.album_id).where(v.photo_filter(viewer)))
        assert joined == by_sql, kind


def test_photographers_see_their_own_photos_in_albums_they_cannot_open(matrix: Matrix) -> None:
    viewer = v.Viewer.of(matrix.users["photographer"])
    own_private = [
        p
        for p in matrix.photos
        if p.album.visibility == PRIVATE
        and p.uploaded_by_id == matrix.users["photographer"].id
        and p.deleted_at is None
        and p.hidden_reason is None
    ]
    assert own_private and all(v.can_view_photo(p, viewer) for p in own_private)
    # ... but not once hidden: only those who edit content see hidden photos.
    own_hidden = [
        p for p in matrix.photos if p.uploaded_by_id == matrix.users["photographer"].id and p.hidden_reason is not None
    ]
    assert own_hidden and not any(v.can_view_photo(p, viewer) for p in own_hidden)
    editor = v.Viewer.of(matrix.users["editor"])
    assert all(v.can_view_photo(p, editor) for p in own_hidden if p.deleted_at is None)
    assert {p.status for p in own_private} == set(STATUSES)  # unfinished ones too: they upload
    others = [
        p
        for p in matrix.photos
        if p.album.visibility == PRIVATE and p.uploaded_by_id != matrix.users["photographer"].id
    ]
    assert not any(v.can_view_photo(p, viewer) for p in others)
    # A deactivated photographer sees what anonymous visitors see, own uploads included.
    gone = v.Viewer.of(matrix.users["gone_photographer"])
    assert not any(v.can_view_photo(p, gone) for p in matrix.photos if p.album.visibility != PUBLIC)


def test_shown_photos_are_ready_and_not_deleted_whoever_looks(matrix: Matrix) -> None:
    by_check = {p.id for p in matrix.photos if v.is_shown(p)}
    assert by_check == ids(select(Photo.id).where(v.shown_photo_filter()))
    assert by_check == {
        p.id
        for p in matrix.photos
        if p.deleted_at is None and p.status == PhotoStatus.ready and p.hidden_reason is None
    }
    assert len(by_check) == 3 * 3  # per album: ready, not hidden × three uploaders


def test_photo_state_filter_is_the_photo_rule_inside_an_album_the_viewer_opens(matrix: Matrix) -> None:
    for kind, viewer in viewers(matrix).items():
        in_album = ids(select(Photo.id).where(Photo.album_id == matrix.albums[PUBLIC].id, v.photo_state_filter(viewer)))
        by_check = {p.id for p in matrix.photos if p.album.visibility == PUBLIC and v.can_view_photo(p, viewer)}
        assert in_album == by_check, kind


def test_reports_and_events(matrix: Matrix) -> None:
    published, draft = matrix.reports
    for kind, viewer in viewers(matrix).items():
        by_check = {r.id for r in matrix.reports if v.can_read_report(r, viewer)}
        assert by_check == ids(select(Report.id).where(v.report_filter(viewer))), kind
        editor = kind in ("editor", "admin")
        assert by_check == ({published.id, draft.id} if editor else {published.id}), kind

        events = ids(select(Event.id).where(v.event_filter(viewer)))
        names = {name for name, event in matrix.events.items() if event.id in events}
        if editor:
            assert names == set(matrix.events), kind  # roles that see private albums see every event
        else:
            # an album listed to them, or a report they may read; an unlisted album is not listed
            assert names == {"public", "published"}, kind


def test_share_tokens_and_link_tokens(matrix: Matrix) -> None:
    unlisted, public, private = matrix.albums[UNLISTED], matrix.albums[PUBLIC], matrix.albums[PRIVATE]
    all_viewers = viewers(matrix)
    for kind, viewer in all_viewers.items():
        hands_out = kind in ("editor", "admin")
        for album in matrix.albums.values():
            assert v.share_token_for(viewer, album) == (album.share_token if hands_out else None), (kind, album.slug)
    # The token a viewer came with is carried on only for the unlisted album it opens.
    came = all_viewers["unlisted token"]
    assert v.presented_token(came, unlisted) == unlisted.share_token
    assert v.presented_token(came, public) is None
    assert v.presented_token(all_viewers["private token"], private) is None
    assert v.presented_token(all_viewers["wrong token"], unlisted) is None
    # Embeds and oEmbed links: the token they came with, or the one the viewer may hand out.
    assert v.shareable_token(all_viewers["editor"], unlisted) == unlisted.share_token
    assert v.shareable_token(all_viewers["editor"], private) is None
    assert v.shareable_token(all_viewers["editor"], public) is None
    assert v.shareable_token(all_viewers["photographer"], unlisted) is None
    assert v.shareable_token(all_viewers["photographer with token"], unlisted) == unlisted.share_token


def test_tokens_longer_than_any_share_token_are_ignored() -> None:
    assert v.Viewer.of(None, "x" * 5000).tokens == ()
    assert v.Viewer.of(None, "").tokens == ()
    assert v.Viewer.of(None, None).tokens == ()
    assert v.Viewer.artefact("abc") == v.Viewer(tokens=("abc",), public_artefact=True)
