"""Bulk import from disk (gallery/photos/batch.py): which files a folder holds, each file through the one
upload path in its own session, several at a time, resumable, with the outcome of every file.  (The command
around it: tests/unit/cli/test_imports.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image

from gallery.extensions import db
from gallery.http import context
from gallery.models import Photo, PhotoStatus
from gallery.photos.batch import FileResult, ImportSummary, collect_files, photo_count, run_import, skipped_kind
from tests.ingest.conftest import make_album


def write_jpeg(path: Path, colour: tuple[int, int, int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (120, 80), colour).save(path, "JPEG")
    return path


def test_collect_files_walks_folders_sorted_without_hidden_files_or_links(tmp_path: Path) -> None:
    card = tmp_path / "card"
    b = write_jpeg(card / "DCIM" / "101" / "B.JPG", (1, 0, 0))
    a = write_jpeg(card / "DCIM" / "100" / "A.JPG", (2, 0, 0))
    write_jpeg(card / ".Trashes" / "old.jpg", (3, 0, 0))
    write_jpeg(card / "DCIM" / "100" / "._A.JPG", (4, 0, 0))
    (card / "DCIM" / "100" / "link.jpg").symlink_to(a)
    loose = write_jpeg(tmp_path / "loose.jpg", (5, 0, 0))
    found = collect_files([card, loose, card / "DCIM" / "100" / "A.JPG"])
    assert found == [a.resolve(), b.resolve(), loose.resolve()]  # each once, in walking order
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        collect_files([tmp_path / "missing"])


def test_the_summary_files_each_outcome() -> None:
    summary = ImportSummary()
    for outcome in ("added", "added", "exists", "deleted", "rejected"):
        summary.add(FileResult(Path(f"{outcome}.jpg"), outcome))
    assert (len(summary.added), len(summary.exists), len(summary.deleted), len(summary.rejected)) == (2, 1, 1, 1)
    assert summary.total == 5


@pytest.mark.parametrize("jobs", [1, 3])
def test_run_import_reports_every_file_and_resumes(app: Flask, tmp_path: Path, jobs: int) -> None:
    album = make_album()
    files = [write_jpeg(tmp_path / f"IMG_{n}.jpg", (n * 40, 0, 0)) for n in range(4)]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not a photo")
    queued: list[int] = []
    seen: list[FileResult] = []

    def run() -> ImportSummary:
        return run_import(
            [*files, broken],
            album=album,
            actor_user_id=None,
            settings=context.settings(app),
            storage=context.storage(app),
            context=app.app_context,
            queue=queued.append,
            jobs=jobs,
            on_result=seen.append,
        )

    first = run()
    assert sorted(r.path.name for r in first.added) == [f.name for f in files]
    assert [r.path for r in first.rejected] == [broken] and first.rejected[0].reason
    assert all(r.status == "processing" and r.photo_id for r in first.added)
    assert sorted(queued) == sorted(r.photo_id for r in first.added)  # a broker's workers take the derivatives
    assert len(seen) == 5
    second = run()  # resumable: the same files are recognised by their hash
    assert len(second.exists) == 4 and not second.added and len(second.rejected) == 1
    db.session.rollback()  # each file had a session of its own: see what they committed
    assert photo_count(album.id) == 4


def test_without_a_queue_derivatives_are_made_here(app: Flask, tmp_path: Path) -> None:
    album = make_album()
    path = write_jpeg(tmp_path / "IMG_1.jpg", (0, 200, 0))
    summary = run_import(
        [path],
        album=album,
        actor_user_id=None,
        settings=context.settings(app),
        storage=context.storage(app),
        context=app.app_context,
    )
    assert [r.status for r in summary.added] == ["ready"]
    db.session.rollback()
    photo = db.session.get(Photo, summary.added[0].photo_id)
    assert photo is not None and photo.status is PhotoStatus.ready and photo.derivatives


def test_a_photo_deleted_earlier_is_not_restored(app: Flask, tmp_path: Path) -> None:
    album = make_album()
    path = write_jpeg(tmp_path / "IMG_1.jpg", (0, 0, 200))
    kwargs = {
        "album": album,
        "actor_user_id": None,
        "settings": context.settings(app),
        "storage": context.storage(app),
        "context": app.app_context,
        "queue": lambda photo_id: None,
    }
    first = run_import([path], **kwargs)  # type: ignore[arg-type]
    db.session.rollback()
    photo = db.session.get(Photo, first.added[0].photo_id)
    assert photo is not None
    photo.deleted_at = datetime.now(UTC)
    db.session.commit()
    again = run_import([path], **kwargs)  # type: ignore[arg-type]
    assert [r.path for r in again.deleted] == [path] and again.deleted[0].reason
    assert not again.rejected


def test_a_file_that_cannot_be_read_is_rejected_with_the_reason(app: Flask, tmp_path: Path) -> None:
    album = make_album()
    gone = tmp_path / "IMG_1.jpg"  # listed, then taken away (a card pulled out) or never a file
    folder = tmp_path / "IMG_2.jpg"
    folder.mkdir()
    summary = run_import(
        [gone, folder],
        album=album,
        actor_user_id=None,
        settings=context.settings(app),
        storage=context.storage(app),
        context=app.app_context,
        queue=lambda photo_id: None,
    )
    assert [r.reason for r in summary.rejected] == [
        "cannot read the file: No such file or directory",
        "cannot read the file: Is a directory",
    ]


def test_skipped_kind_is_judged_from_the_bytes(tmp_path: Path) -> None:
    movie = tmp_path / "IMG_0001.JPG"  # a video named like a photo: skipped as a video
    movie.write_bytes(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " * 4)
    photo = tmp_path / "clip.mov"  # a JPEG named like a video: tried as a photo
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    text = tmp_path / "notes.txt"  # meant as a photo or not, it is reported (rejected), not skipped
    text.write_text("not a photo")
    system = tmp_path / "Desktop.ini"
    system.write_text("[.ShellClassInfo]")
    assert skipped_kind(movie) == "QuickTime video"
    assert skipped_kind(photo) is None
    assert skipped_kind(text) is None
    assert skipped_kind(system) == "system file"
    assert skipped_kind(tmp_path / "gone.jpg") is None  # unreadable: receiving it says why


IMPORT_RUN = """
import sys
from pathlib import Path
from PIL import Image

from gallery.app import create_app
from gallery.catalog import albums, events
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.http import context
from gallery.photos.batch import collect_files, run_import

HEAVY = ("rawpy", "numpy", "zxcvbn", "slugify", "cv2")
print(*sorted(m for m in HEAVY if m in sys.modules), sep=",")
folder = Path(sys.argv[1])
(folder / "photos").mkdir()
for n in range(2):
    Image.new("RGB", (1200, 800), (40 * n, 90, 140)).save(folder / "photos" / f"IMG_{n}.JPG", "JPEG")
app = create_app({
    "GALLERY_INSTANCE_PATH": str(folder),
    "GALLERY_DATABASE_URL": f"sqlite:///{folder / 'gallery.db'}",
    "GALLERY_STORAGE_URL": (folder / "media").as_uri(),
    "GALLERY_CELERY_BROKER_URL": "",
})
with app.app_context():
    db.create_all()
    event = events.create_event(db.session, title="E", starts_on="2024-05-07", ends_on="2024-05-07",
                                timezone="UTC", actor=SYSTEM)
    album = albums.create_album(db.session, event=event, title="A", actor=SYSTEM)
    db.session.commit()
    summary = run_import(collect_files([folder / "photos"]), album=album, actor_user_id=None,
                         settings=context.settings(), storage=context.storage(), context=app.app_context, jobs=2)
    assert len(summary.added) == 2, summary
print(*sorted(m for m in HEAVY if m in sys.modules and m != "slugify"), sep=",")
"""


def test_importing_jpegs_loads_no_module_it_does_not_need(tmp_path: Path) -> None:
    """What a process imports stays in its memory: rawpy and numpy (camera raw files only, 15 MB),
    zxcvbn (setting a password, 12 MB), python-slugify (a new slug, 5 MB) and OpenCV (face
    suggestions, 36 MB) are loaded by the function that needs them, not by the modules of the web
    app, the Celery worker or `gallery import` -- whose peak memory bench/ingest.py holds to 250 MB.
    A fresh interpreter, since this one has loaded them all for other tests."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", IMPORT_RUN, str(tmp_path)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["", ""], "loaded at import time, then by importing JPEGs"
