"""Media versions (gallery/photos/versions.py): retiring a photo's derivatives under a new version,
old objects deleted only after the commit and only when no other row uses them, the purge hook."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.extensions import db
from gallery.models import Derivative, Photo, PhotoStatus
from gallery.photos.versions import CdnPurge, retire_album_media, retire_media
from tests.archive.conftest import add_photo, jpeg, make_album, storage_of, stored_keys
from tests.cdn_sink import purge_sink

pytestmark = pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="100,200")


def keys_of(photo_id: int) -> set[str]:
    return set(db.session.scalars(sa.select(Derivative.key).where(Derivative.photo_id == photo_id)))


def test_a_new_version_copies_the_derivatives_and_deletes_the_old_ones_after_the_commit(
    app: Flask, tokens: dict[str, str]
) -> None:
    make_album("versions")
    photo_id = add_photo(app.test_client(), tokens["editor"], "versions", jpeg(1))
    photo = db.session.get(Photo, photo_id)
    assert photo is not None
    old_version, old_keys = photo.media_version, keys_of(photo_id)
    assert len(old_keys) == 4 and all(f"/{old_version}/" in key for key in old_keys)
    old_bytes = {key.rsplit("/", 1)[1]: storage_of(app).open(key).read() for key in old_keys}

    retired = retire_media(db.session, [photo], storage=storage_of(app))
    assert set(retired) == old_keys
    assert photo.media_version != old_version and len(photo.media_version) == 16
    new_keys = keys_of(photo_id)
    assert all(f"/{photo.media_version}/" in key for key in new_keys)
    # before the commit both exist: a rollback would leave the old rows pointing at objects
    assert old_keys | new_keys <= stored_keys(app, "derivatives/")
    db.session.commit()
    assert stored_keys(app, "derivatives/") == new_keys
    for key in new_keys:  # the same bytes, under the new key
        assert storage_of(app).open(key).read() == old_bytes[key.rsplit("/", 1)[1]]


def test_a_rollback_deletes_nothing(app: Flask, tokens: dict[str, str]) -> None:
    make_album("versions")
    photo_id = add_photo(app.test_client(), tokens["editor"], "versions", jpeg(2))
    old_keys = keys_of(photo_id)
    photo = db.session.get(Photo, photo_id)
    retire_media(db.session, [photo], storage=storage_of(app))
    db.session.rollback()
    assert keys_of(photo_id) == old_keys
    db.session.commit()  # a later commit does not act on the forgotten retirement
    assert old_keys <= stored_keys(app, "derivatives/")


def test_the_same_bytes_in_two_albums_have_their_own_objects(app: Flask, tokens: dict[str, str]) -> None:
    make_album("first")
    make_album("second", event_slug="first-event")
    data = jpeg(3)
    one = add_photo(app.test_client(), tokens["editor"], "first", data)
    two = add_photo(app.test_client(), tokens["editor"], "second", data)
    assert keys_of(one).isdisjoint(keys_of(two))
    kept = keys_of(two)
    retire_media(db.session, [db.session.get(Photo, one)], storage=storage_of(app))
    db.session.commit()
    assert kept <= stored_keys(app, "derivatives/")
    assert keys_of(two) == kept


def test_an_old_key_still_used_by_another_row_is_kept(app: Flask, tokens: dict[str, str]) -> None:
    """Rows migrated from the unversioned layout may share objects: retiring one keeps them."""
    make_album("first")
    make_album("second", event_slug="first-event")
    data = jpeg(4)
    one = add_photo(app.test_client(), tokens["editor"], "first", data)
    two = add_photo(app.test_client(), tokens["editor"], "second", data)
    shared = {d.format + str(d.width): d.key for d in db.session.get(Photo, one).derivatives}
    for d in db.session.get(Photo, two).derivatives:
        d.key = shared[d.format + str(d.width)]
    db.session.commit()
    retire_media(db.session, [db.session.get(Photo, one)], storage=storage_of(app))
    db.session.commit()
    assert set(shared.values()) <= stored_keys(app, "derivatives/")


def test_the_purge_hook_gets_the_old_public_urls(app: Flask, tokens: dict[str, str]) -> None:
    make_album("versions")
    photo_id = add_photo(app.test_client(), tokens["editor"], "versions", jpeg(5))
    old_keys = keys_of(photo_id)
    with purge_sink() as sink:
        purge = CdnPurge(sink.url, ("https://gallery.example.org/media/", "https://cdn.example.org/m/"))
        retire_media(db.session, [db.session.get(Photo, photo_id)], storage=storage_of(app), purge=purge)
        assert sink.bodies == []  # nothing before the commit
        db.session.commit()
    assert sorted(sink.urls) == sorted(
        f"{prefix}{key}"
        for key in old_keys
        for prefix in ("https://gallery.example.org/media/", "https://cdn.example.org/m/")
    )


def test_a_failing_purge_hook_is_logged_and_changes_nothing(
    app: Flask, tokens: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    make_album("versions")
    photo_id = add_photo(app.test_client(), tokens["editor"], "versions", jpeg(6))
    with purge_sink(status=500) as sink, caplog.at_level(logging.ERROR, "gallery.versions"):
        purge = CdnPurge(sink.url, ("https://gallery.example.org/media/",))
        retire_media(db.session, [db.session.get(Photo, photo_id)], storage=storage_of(app), purge=purge)
        db.session.commit()
    assert "CDN purge of 4 URLs" in caplog.text
    assert stored_keys(app, "derivatives/") == keys_of(photo_id)
    # unreachable: the same
    assert CdnPurge("http://127.0.0.1:9/purge", ("x/",), timeout=1).send(["derivatives/a"]) == 0
    assert CdnPurge(None, ("x/",)).send(["derivatives/a"]) == 0


def test_a_missing_derivative_stays_missing_and_is_logged(
    app: Flask, tokens: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    make_album("versions")
    photo_id = add_photo(app.test_client(), tokens["editor"], "versions", jpeg(7))
    lost = sorted(keys_of(photo_id))[0]
    storage_of(app).delete(lost)
    photo = db.session.get(Photo, photo_id)
    with caplog.at_level(logging.WARNING, "gallery.versions"):
        retired = retire_media(db.session, [photo], storage=storage_of(app))
    db.session.commit()
    assert lost not in retired and len(retired) == 3 and "is missing from the store" in caplog.text
    assert photo.status is PhotoStatus.ready
    assert len(keys_of(photo_id)) == 4 and len(stored_keys(app, "derivatives/")) == 3


def test_an_album_retires_every_photo(app: Flask, tokens: dict[str, str]) -> None:
    album = make_album("versions")
    ids = [add_photo(app.test_client(), tokens["editor"], "versions", jpeg(10 + i)) for i in range(2)]
    before = {i: db.session.get(Photo, i).media_version for i in ids}
    old = stored_keys(app, "derivatives/")
    assert len(retire_album_media(db.session, album, storage=storage_of(app))) == 8
    db.session.commit()
    assert all(db.session.get(Photo, i).media_version != before[i] for i in ids)
    assert stored_keys(app, "derivatives/").isdisjoint(old)
