"""Media URLs (gallery/catalog/media_access.py): what each album's URLs carry for each viewer, and
which derivative a URL opens (expiring signatures, bound to an unlisted album's share token) --
derived from the visibility rule, over the matrix of tests/unit/catalog/test_visibility.py."""

from __future__ import annotations

from flask import Flask

from gallery.catalog import albums
from gallery.catalog import media_access as m
from gallery.catalog import visibility as v
from gallery.extensions import db
from gallery.models import Derivative, Photo, Visibility
from tests.unit.catalog import test_visibility as tv

PUBLIC, UNLISTED, PRIVATE = Visibility.public, Visibility.unlisted, Visibility.private
Matrix = tv.Matrix
matrix = tv.matrix  # the fixture
viewers = tv.viewers
DELETED_AT = tv.DELETED_AT


CLOCK = m.MediaClock(secret="test-secret", ttl=60, now=1_800_000_000.0)


def _key(photo: Photo) -> str:
    return min(d.key for d in photo.derivatives)


def _open(key: str, query: str, clock: m.MediaClock = CLOCK) -> Visibility | None:
    """What the media route decides for the URL of ``key`` with ``query`` (``?exp=…&sig=…`` or "")."""
    args = dict(part.split("=", 1) for part in query.lstrip("?").split("&") if part)
    return m.derivative_access(db.session, key, args.get("exp"), args.get("sig"), clock)


def test_media_rights(matrix: Matrix) -> None:
    unlisted, public, private = matrix.albums[UNLISTED], matrix.albums[PUBLIC], matrix.albums[PRIVATE]
    kinds = viewers(matrix)
    assert m.media_right(kinds["anonymous"], public) == m.PUBLIC_MEDIA
    assert m.media_right(kinds["editor"], public).query("derivatives/x/400.jpg", CLOCK) == ""
    signed = m.media_right(kinds["unlisted token"], unlisted)
    assert signed == m.MediaRight(signed=True, share_token=unlisted.share_token)
    query = signed.query("derivatives/abc/400.jpg", CLOCK)
    expires = CLOCK.expires
    assert expires >= CLOCK.now + CLOCK.ttl
    sig = m.media_signature(CLOCK.secret, "derivatives/abc/400.jpg", expires, unlisted.share_token)
    assert query == f"?exp={expires}&sig={sig}"
    assert str(unlisted.share_token) not in query
    assert m.media_right(kinds["editor"], unlisted).share_token == unlisted.share_token  # may share it
    assert m.media_right(kinds["editor"], private) == m.MediaRight(signed=True)
    assert m.media_right(kinds["photographer"], private) == m.MediaRight(signed=True)  # their own uploads
    for kind in ("anonymous", "wrong token", "private token", "deactivated editor", "editor@artefact"):
        assert m.media_right(kinds[kind], private) == m.MediaRight(), kind
        assert m.media_right(kinds[kind], private).query("derivatives/x/1.jpg", CLOCK) == ""
    assert m.media_right(kinds["anonymous"], unlisted) == m.MediaRight()
    assert m.media_right(kinds["unlisted token@artefact"], unlisted).unsigned().query("k", CLOCK) == ""
    assert m.media_rights(kinds["anonymous"], [public, private]) == {
        public.id: m.PUBLIC_MEDIA,
        private.id: m.MediaRight(),
    }


def test_media_urls_open_what_the_rule_shows_and_nothing_for_those_it_does_not(matrix: Matrix) -> None:
    kinds = viewers(matrix)
    for photo in matrix.photos:
        key, album = _key(photo), photo.album
        public = v.is_shown(photo) and album.visibility == PUBLIC
        for kind, viewer in kinds.items():
            got = _open(key, m.media_right(viewer, album).query(key, CLOCK))
            if album.visibility == PUBLIC:  # plain URLs, for shown photos only
                assert got == (PUBLIC if public else None), (kind, photo.id)
            elif v.can_view_photo(photo, viewer):
                assert got == album.visibility, (kind, photo.id)  # a URL made for a viewer who sees it
            elif not v.can_view_album(album, viewer) and not viewer.sees_unready:
                assert got is None, (kind, photo.id)  # anonymous, wrong token, deactivated, artefacts


def test_expired_tampered_and_borrowed_signatures_open_nothing(matrix: Matrix) -> None:
    editor = v.Viewer.of(matrix.users["editor"])
    for visibility in (UNLISTED, PRIVATE):
        album = matrix.albums[visibility]
        photo, other = [p for p in matrix.photos if p.album_id == album.id and v.is_shown(p)][:2]
        key = _key(photo)
        query = m.media_right(editor, album).query(key, CLOCK)
        assert _open(key, query) == visibility
        later = m.MediaClock(secret=CLOCK.secret, ttl=CLOCK.ttl, now=CLOCK.expires)
        assert _open(key, query, later) == visibility  # until the expiry itself
        expired = m.MediaClock(secret=CLOCK.secret, ttl=CLOCK.ttl, now=CLOCK.expires + 1)
        assert _open(key, query, expired) is None
        assert _open(key, query, m.MediaClock(secret="another", ttl=60, now=CLOCK.now)) is None
        assert _open(_key(other), query) is None  # one photo's URL does not open another
        assert _open(key, "") is None
        sig = query.rsplit("=", 1)[1]
        tampered = query[:-1] + ("0" if sig[-1] != "0" else "1")
        assert _open(key, tampered) is None
        later_exp = query.replace(f"exp={CLOCK.expires}", f"exp={CLOCK.expires + 3600}")
        assert _open(key, later_exp) is None  # the expiry is signed
        for junk in ("?exp=x&sig=" + sig, "?exp=&sig=" + sig, f"?exp={CLOCK.expires}&sig=é{sig[1:]}"):
            assert _open(key, junk) is None


def test_a_new_share_link_voids_old_media_urls(matrix: Matrix) -> None:
    from gallery.core.audit import Actor

    album = matrix.albums[UNLISTED]
    photo = next(p for p in matrix.photos if p.album_id == album.id and v.is_shown(p))
    key = _key(photo)
    old = m.media_right(v.Viewer.of(None, album.share_token), album).query(key, CLOCK)
    assert _open(key, old) == UNLISTED
    albums.regenerate_share_token(db.session, album, actor=Actor(user=matrix.users["editor"], via="web"))
    db.session.commit()
    assert _open(key, old) is None
    new = m.media_right(v.Viewer.of(None, album.share_token), album).query(key, CLOCK)
    assert _open(key, new) == UNLISTED


def test_a_deleted_photo_signed_url_stops_answering(matrix: Matrix) -> None:
    editor = v.Viewer.of(matrix.users["editor"])
    for visibility in (UNLISTED, PRIVATE):
        album = matrix.albums[visibility]
        photo = next(p for p in matrix.photos if p.album_id == album.id and v.is_shown(p))
        key = _key(photo)
        query = m.media_right(editor, album).query(key, CLOCK)
        assert _open(key, query) == visibility
        photo.deleted_at = DELETED_AT
        db.session.commit()
        assert _open(key, query) is None


def test_the_most_open_album_decides_caching_of_shared_bytes(app: Flask, matrix: Matrix) -> None:
    """The same bytes in a public and a private album: the derivative is public (anyone may cache it)."""
    public_photo = next(p for p in matrix.photos if p.album.visibility == PUBLIC and v.is_shown(p))
    private_photo = next(p for p in matrix.photos if p.album.visibility == PRIVATE and v.is_shown(p))
    key = _key(private_photo)
    assert _open(key, "") is None
    db.session.add(Derivative(photo_id=public_photo.id, width=1, height=1, format="jpeg", key=key, size=1))
    db.session.commit()
    assert _open(key, "") == PUBLIC


def test_a_hidden_photo_is_never_served_by_a_public_url(matrix: Matrix) -> None:
    kinds = viewers(matrix)
    public = [p for p in matrix.photos if p.album.visibility == PUBLIC and p.deleted_at is None]
    hidden = next(p for p in public if p.hidden_reason is not None)
    shown = next(p for p in public if p.hidden_reason is None)
    assert m.photo_media_right(kinds["anonymous"], shown) == m.PUBLIC_MEDIA
    assert m.photo_media_right(kinds["editor"], hidden) == m.MediaRight(signed=True)
    for kind in ("anonymous", "photographer", "editor@artefact"):
        assert m.photo_media_right(kinds[kind], hidden) == m.MediaRight(), kind
    private = next(p for p in matrix.photos if p.album.visibility == PRIVATE and p.hidden_reason is not None)
    assert m.photo_media_right(kinds["editor"], private) == m.MediaRight(signed=True)
