"""`gallery verify`: re-hash originals, name missing and changed ones (exit 2), list untracked objects."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gallery.archive import verify
from gallery.extensions import db
from gallery.models import Photo
from tests.archive.conftest import add_photo, cli, jpeg, make_album, storage_of


def _photo(photo_id: int) -> Photo:
    db.session.rollback()
    photo = db.session.get(Photo, photo_id)
    assert photo is not None
    return photo


def test_clean_archive_verifies_every_photo_and_records_when(app, client, tokens, album):
    ids = [add_photo(client, tokens["editor"], album.slug, jpeg(i), f"p{i}.jpg") for i in range(3)]
    before = {i: _photo(i).updated_at for i in ids}
    started = datetime.now(UTC)

    result = cli(app, "verify")

    assert result.exit_code == 0, result.output
    assert "3 verified, 0 missing, 0 changed" in result.stdout
    assert "no untracked objects" in result.stdout
    for photo_id in ids:
        photo = _photo(photo_id)
        assert photo.last_verified_at is not None and photo.last_verified_at >= started - timedelta(seconds=1)
        assert photo.updated_at == before[photo_id]  # only last_verified_at is written


def test_changed_original_is_named_with_both_hashes_and_exit_2(app, client, tokens, album):
    good = add_photo(client, tokens["editor"], album.slug, jpeg(1), "good.jpg")
    bad = add_photo(client, tokens["editor"], album.slug, jpeg(2), "bad.jpg")
    photo = _photo(bad)
    path = storage_of(app).local_path(photo.original_key)
    assert path is not None
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte deep inside the file (bit rot)
    path.write_bytes(bytes(data))
    actual = hashlib.sha256(data).hexdigest()

    result = cli(app, "verify")

    assert result.exit_code == 2, result.output
    line = next(line for line in result.stdout.splitlines() if line.startswith("CHANGED"))
    assert f"photo {bad} " in line and f"album {album.slug}" in line and photo.original_key in line
    assert f"expected sha256 {photo.sha256}" in line and f"actual sha256 {actual}" in line
    assert "1 verified, 0 missing, 1 changed" in result.stdout
    assert _photo(bad).last_verified_at is None
    assert _photo(good).last_verified_at is not None


def test_missing_original_is_named_and_exit_2(app, client, tokens, album):
    photo_id = add_photo(client, tokens["editor"], album.slug, jpeg(3), "gone.jpg")
    photo = _photo(photo_id)
    storage_of(app).delete(photo.original_key)

    result = cli(app, "verify")

    assert result.exit_code == 2
    line = next(line for line in result.stdout.splitlines() if line.startswith("MISSING"))
    assert f"photo {photo_id} " in line and photo.original_key in line and photo.sha256 in line


def test_untracked_objects_are_listed_but_exit_0(app, client, tokens, album):
    add_photo(client, tokens["editor"], album.slug, jpeg(4))
    stray = jpeg(99)
    sha = hashlib.sha256(stray).hexdigest()
    orphan_key = f"originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}"
    storage_of(app).put(orphan_key, io.BytesIO(stray), sha256=sha, content_type="image/jpeg")
    stale = b"old derivative"
    stale_key = f"derivatives/{sha}/2048.webp"
    storage_of(app).put(
        stale_key, io.BytesIO(stale), sha256=hashlib.sha256(stale).hexdigest(), content_type="image/webp"
    )
    storage_of(app).put(
        "elsewhere/file.txt", io.BytesIO(b"x"), sha256=hashlib.sha256(b"x").hexdigest(), content_type="text/plain"
    )

    result = cli(app, "verify")

    assert result.exit_code == 0, result.output
    assert "2 untracked object(s)" in result.stdout
    assert f"untracked {orphan_key}" in result.stdout and f"untracked {stale_key}" in result.stdout
    assert "elsewhere/file.txt" not in result.stdout  # not ours: never reported, never collected


def test_album_and_sample_restrict_what_is_read(app, client, tokens):
    first = make_album("first")
    second = make_album("second", event_slug="first-event")
    a = [add_photo(client, tokens["editor"], first.slug, jpeg(10 + i)) for i in range(2)]
    b = [add_photo(client, tokens["editor"], second.slug, jpeg(20 + i)) for i in range(3)]

    result = cli(app, "verify", "--album", "second")
    assert result.exit_code == 0, result.output
    assert "checked 3 original(s)" in result.stdout
    assert "untracked" not in result.stdout  # an album-scoped run cannot tell
    assert all(_photo(i).last_verified_at is None for i in a)
    assert all(_photo(i).last_verified_at is not None for i in b)

    # --sample picks the photos verified longest ago: the never-verified ones first.
    result = cli(app, "verify", "--sample", "2")
    assert result.exit_code == 0, result.output
    assert "checked 2 original(s)" in result.stdout
    assert all(_photo(i).last_verified_at is not None for i in a)

    assert cli(app, "verify", "--sample", "0").exit_code == 2  # click usage error
    missing = cli(app, "verify", "--album", "no-such-album")
    assert missing.exit_code == 1 and "no album 'no-such-album'" in missing.output


def test_an_original_shared_by_two_albums_is_read_once(app, client, tokens):
    make_album("one")
    make_album("two", event_slug="one-event")
    data = jpeg(30)
    x = add_photo(client, tokens["editor"], "one", data)
    y = add_photo(client, tokens["editor"], "two", data)
    targets = verify.verification_targets(db.session)
    assert len(targets) == 1 and sorted(t.photo_id for t in next(iter(targets.values()))) == sorted([x, y])
    report = verify.verify_archive(db.session, storage_of(app), targets)
    assert (report.objects_checked, report.photos_checked, report.verified) == (1, 2, 2)
    assert report.bytes_read == len(data)


def test_verification_commits_in_batches(app, client, tokens, album):
    """A long run records progress as it goes (a crash loses at most one batch)."""
    ids = [add_photo(client, tokens["editor"], album.slug, jpeg(40 + i)) for i in range(5)]
    targets = verify.verification_targets(db.session)
    seen: list[int] = []

    def after_each(_n: int) -> None:
        # Another connection's view: how many photos are already recorded as verified?
        with db.engine.connect() as conn:
            seen.append(len(conn.execute(select(Photo.id).where(Photo.last_verified_at.is_not(None))).all()))

    verify.verify_archive(db.session, storage_of(app), targets, batch_size=2, on_object=after_each)
    assert seen == [0, 2, 2, 4, 4]
    assert all(_photo(i).last_verified_at is not None for i in ids)
