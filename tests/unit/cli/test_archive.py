"""The archive commands (gallery/cli/archive.py): what each prints and its exit status, and the options it
checks before calling the domain.  (What verify, gc, reprocess, export and import-bag do:
tests/unit/archive/; against faults and hostile bags: tests/archive/.)"""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from gallery.cli.archive import _duration, _payload_count, _size
from gallery.extensions import db
from gallery.models import Photo, PhotoStatus, Role
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.conftest import make_token, make_user
from tests.unit.cli.conftest import assert_fails, assert_ok, run


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (5 * 1024**2, "5.0 MB"),
        (3 * 1024**3, "3.0 GB"),
        (4096 * 1024**3, "4096.0 GB"),
    ],
)
def test_sizes_are_read_by_people(n: int, text: str) -> None:
    assert _size(n) == text


def test_a_bad_duration_names_its_option() -> None:
    assert _duration("--grace", "90m") == timedelta(minutes=90)
    with pytest.raises(click.BadParameter) as info:
        _duration("--grace", "soon")
    assert info.value.param_hint == "--grace"


def test_payload_count_for_the_progress_bar(tmp_path: Path) -> None:
    bag = tmp_path / "bag.zip"
    with zipfile.ZipFile(bag, "w") as zf:
        zf.writestr("album/bagit.txt", "BagIt-Version: 1.0\n")
        zf.writestr("album/data/metadata.json", "{}")
        zf.writestr("album/data/originals/a.jpg", b"x")
        zf.writestr("album/data/originals/", b"")
    assert _payload_count(bag) == 2
    (tmp_path / "not.zip").write_bytes(b"not a zip")
    assert _payload_count(tmp_path / "not.zip") == 0
    assert _payload_count(tmp_path / "missing.zip") == 0


def test_storage_check_on_the_local_store(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = run(runner, "storage-check")
    assert_ok(result)
    lines = result.output.splitlines()
    assert lines[0] == f"checking {(tmp_path / 'media').as_uri()}"
    assert lines[-1] == "storage check passed"


def test_verify_an_empty_archive(runner: FlaskCliRunner) -> None:
    result = run(runner, "verify")
    assert_ok(result)
    assert "verifying 0 original(s)" in result.output
    assert "checked 0 original(s) of 0 photo(s), 0 bytes: 0 verified, 0 missing, 0 changed" in result.output
    assert "no untracked objects" in result.output


def test_verify_exits_3_for_a_stuck_photo_and_names_it(app: Flask, runner: FlaskCliRunner) -> None:
    album = make_album()
    photo_id = add_photo(app.test_client(), make_token(make_user(Role.editor)), album.slug, jpeg(1), "IMG_1.jpg")
    photo = db.session.get(Photo, photo_id)
    assert photo is not None
    photo.status, photo.processing_since = PhotoStatus.processing, datetime.now(UTC) - timedelta(hours=2)
    db.session.commit()
    result = run(runner, "verify", "--stuck-after", "1h")
    assert result.exit_code == 3, result.output
    assert f"STUCK photo {photo_id} (album {album.slug}) 'IMG_1.jpg'" in result.output
    assert "FAILED: 1 photo(s) stuck in processing" in result.output
    assert run(runner, "verify", "--stuck-after", "3h").exit_code == 0
    bad = run(runner, "verify", "--stuck-after", "later")
    assert bad.exit_code == 2 and "--stuck-after" in bad.output  # click's usage error


def test_reprocess_checks_its_options_first(runner: FlaskCliRunner) -> None:
    both = run(runner, "reprocess", "--stuck", "--all")
    assert both.exit_code == 2 and "use either --stuck or --all" in both.output
    assert_fails(run(runner, "reprocess", "--sizes", "big"), "--sizes")
    assert_fails(run(runner, "reprocess", "--album", "nope"), "no album 'nope'")
    nothing = run(runner, "reprocess")
    assert_ok(nothing)
    assert nothing.output.strip() == "nothing to reprocess"


def test_export_and_import_bag_say_what_they_did(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    album = make_album()
    token = make_token(make_user(Role.editor))
    for seed in (1, 2):
        add_photo(app.test_client(), token, album.slug, jpeg(seed), f"IMG_{seed}.jpg")
    out = tmp_path / "bag.zip"
    exported = run(runner, "export", album.slug, str(out))
    assert_ok(exported)
    assert "exported 2 photo(s)" in exported.output and str(out) in exported.output
    assert exported.output.splitlines()[-1] == "the bag contains the originals' location data: keep it private"
    assert_fails(run(runner, "export", album.slug, str(out)), "exists")
    assert_ok(run(runner, "export", album.slug, str(out), "--overwrite"))
    imported = run(runner, "import-bag", str(out), "--album-slug", "restored")
    assert_ok(imported)
    assert f"imported 2 photo(s) into album restored of existing event {album.event.slug}" in imported.output
    assert "(0 original(s) written to storage)" in imported.output  # the same bytes are already stored


def test_import_bag_refuses_what_is_not_a_bag(runner: FlaskCliRunner, tmp_path: Path) -> None:
    fake = tmp_path / "holiday.zip"
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("photo.jpg", b"x")
    line = assert_fails(run(runner, "import-bag", str(fake)), "refused holiday.zip: ")
    assert line.endswith("; nothing was written")
