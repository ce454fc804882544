"""Media URLs (gallery/catalog/media_access.py): what each album's URLs carry for each viewer, and
which derivative a URL opens -- derived from the visibility rule, over the same matrix as
tests/unit/catalog/test_visibility.py, on SQLite and PostgreSQL."""

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


def _key(photo: Photo) -> str:
    return min(d.key for d in photo.derivatives)


def test_media_rights(matrix: Matrix) -> None:
    unlisted, public, private = matrix.albums[UNLISTED], matrix.albums[PUBLIC], matrix.albums[PRIVATE]
    kinds = viewers(matrix)
    assert m.media_right(kinds["anonymous"], public) == m.PUBLIC_MEDIA
    assert m.media_right(kinds["editor"], public).query("derivatives/x/400.jpg") == ""
    signed = m.media_right(kinds["unlisted token"], unlisted)
    assert not signed.public and signed.share_token == unlisted.share_token
    query = signed.query("derivatives/abc/400.jpg")
    assert query == "?sig=" + m.media_signature(str(unlisted.share_token), "derivatives/abc/400.jpg")
    assert str(unlisted.share_token) not in query
    assert m.media_right(kinds["editor"], unlisted).share_token == unlisted.share_token  # may share it
    assert m.media_right(kinds["photographer"], unlisted) == m.MediaRight(public=False)
    assert m.media_right(kinds["editor"], private) == m.MediaRight(public=False)  # staff session only
    assert m.media_rights(kinds["anonymous"], [public, private]) == {
        public.id: m.PUBLIC_MEDIA,
        private.id: m.MediaRight(),
    }


def test_derivative_access_follows_the_photo_rule_with_the_signature_as_the_token(matrix: Matrix) -> None:
    kinds = viewers(matrix)
    for photo in matrix.photos:
        key = _key(photo)
        album = photo.album
        right_sig = m.media_signature(str(album.share_token), key)
        for kind in ("anonymous", "photographer", "editor", "deactivated editor"):
            viewer = kinds[kind]
            for sig in (None, right_sig, "0" * 32, "not hex", "é" * 32):
                got = m.derivative_access(db.session, viewer, key, sig)
                token = album.share_token if sig == right_sig else None
                visible = v.can_view_photo(photo, viewer.with_tokens([token] if token else []))
                assert (got is not None) == visible, (kind, photo.id, sig)
                if got is not None:
                    assert got == album.visibility
        # The signature of one key does not open another, and one made with another album's token is refused.
        other = m.media_signature(str(album.share_token), key + "x")
        assert m.derivative_access(db.session, kinds["anonymous"], key, other) == (
            PUBLIC if v.is_shown(photo) and album.visibility == PUBLIC else None
        )


def test_a_new_share_link_voids_old_media_signatures(matrix: Matrix) -> None:
    from gallery.core.audit import Actor

    album = matrix.albums[UNLISTED]
    photo = next(p for p in matrix.photos if p.album_id == album.id and v.is_shown(p))
    key = _key(photo)
    sig = m.media_signature(str(album.share_token), key)
    assert m.derivative_access(db.session, v.ANONYMOUS, key, sig) == UNLISTED
    albums.regenerate_share_token(db.session, album, actor=Actor(user=matrix.users["editor"], via="web"))
    db.session.commit()
    assert m.derivative_access(db.session, v.ANONYMOUS, key, sig) is None
    assert m.derivative_access(db.session, v.ANONYMOUS, key, m.media_signature(str(album.share_token), key)) == UNLISTED


def test_the_most_open_album_decides_caching_of_shared_bytes(app: Flask, matrix: Matrix) -> None:
    """The same bytes in a public and a private album: the derivative is public (anyone may cache it)."""
    public_photo = next(p for p in matrix.photos if p.album.visibility == PUBLIC and v.is_shown(p))
    private_photo = next(p for p in matrix.photos if p.album.visibility == PRIVATE and v.is_shown(p))
    key = _key(private_photo)
    db.session.add(Derivative(photo_id=public_photo.id, width=1, height=1, format="jpeg", key=key, size=1))
    db.session.commit()
    assert m.derivative_access(db.session, v.ANONYMOUS, key, None) == PUBLIC
    assert m.derivative_access(db.session, v.Viewer.of(matrix.users["editor"]), key, None) == PUBLIC
