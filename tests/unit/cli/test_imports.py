"""`gallery import PATH... --album SLUG --jobs N` (gallery/cli/imports.py): recursive, summary, exit 1 on
rejections, resumable, parallel."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.http import context
from gallery.models import Photo, PhotoStatus
from tests.conftest import CORPUS
from tests.ingest.dng import write_dng


def write_jpeg(path: Path, colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (320, 240), colour).save(path, "JPEG")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "card"
    write_jpeg(root / "DCIM" / "100CANON" / "IMG_0001.JPG", (200, 0, 0))
    write_jpeg(root / "DCIM" / "100CANON" / "IMG_0002.JPG", (0, 200, 0))
    write_jpeg(root / "DCIM" / "101CANON" / "IMG_0003.JPG", (0, 0, 200))
    shutil.copy(CORPUS / "exif-samples/jpg/Canon_40D.jpg", root / "Canon_40D.jpg")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # hidden: skipped
    return root


def test_import_recurses_and_summarises(app, album, folder):
    result = app.test_cli_runner().invoke(args=["gallery", "import", str(folder), "--album", album.slug])
    assert result.exit_code == 0, result.output
    assert "added: 4, already there: 0, rejected: 0" in result.output
    db.session.rollback()
    photos = db.session.scalars(select(Photo)).all()
    assert len(photos) == 4 and all(p.status == PhotoStatus.ready for p in photos)
    assert {p.original_filename for p in photos} == {"IMG_0001.JPG", "IMG_0002.JPG", "IMG_0003.JPG", "Canon_40D.jpg"}


def test_rejections_are_listed_and_exit_1_and_rerun_resumes(app, album, folder):
    (folder / "notes.txt").write_text("not a photo")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["gallery", "import", str(folder), "--album", album.slug, "--jobs", "2"])
    assert first.exit_code == 1
    assert "added: 4, already there: 0, rejected: 1" in first.output
    assert "notes.txt" in first.output and "unsupported file type" in first.output
    # Simulate an interruption after the originals were stored but before the
    # derivatives: the re-run finishes those photos.
    db.session.rollback()
    some = db.session.scalars(select(Photo).limit(2)).all()
    for photo in some:
        photo.status = PhotoStatus.processing
    db.session.commit()
    (folder / "notes.txt").unlink()
    second = runner.invoke(args=["gallery", "import", str(folder), "--album", album.slug, "--jobs", "2"])
    assert second.exit_code == 0, second.output
    assert "added: 0, already there: 4, rejected: 0" in second.output
    db.session.rollback()
    assert db.session.scalar(select(func.count(Photo.id))) == 4
    assert db.session.scalar(select(func.count(Photo.id)).where(Photo.status != PhotoStatus.ready)) == 0


def test_import_errors_are_clear(app, album, tmp_path):
    runner = app.test_cli_runner()
    missing_album = runner.invoke(args=["gallery", "import", str(tmp_path), "--album", "nope"])
    assert missing_album.exit_code != 0 and "no album 'nope'" in missing_album.output
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = runner.invoke(args=["gallery", "import", str(empty), "--album", album.slug])
    assert nothing.exit_code != 0 and "no files found" in nothing.output
    nonexistent = runner.invoke(args=["gallery", "import", str(tmp_path / "nowhere"), "--album", album.slug])
    assert nonexistent.exit_code != 0 and "does not exist" in nonexistent.output


def test_videos_raw_files_sidecars_and_system_files_are_skipped_not_failures(app, album, folder):
    # What a camera card holds beside its JPEGs, judged by the bytes: named misleadingly on purpose.
    (folder / "DCIM" / "100CANON" / "MVI_0004.MOV").write_bytes(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " * 4)
    (folder / "DCIM" / "100CANON" / "IMG_0005.CR2").write_bytes(b"II*\x00\x10\x00\x00\x00CR\x02\x00" + b"\x00" * 64)
    (folder / "DCIM" / "100CANON" / "IMG_0001.xmp").write_text(
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>'
    )
    (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    (folder / "clip.jpg").write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" * 4)  # an MP4 named .jpg
    result = app.test_cli_runner().invoke(args=["gallery", "import", str(folder), "--album", album.slug])
    assert result.exit_code == 0, result.output
    assert "added: 4, already there: 0, rejected: 0" in result.output
    assert "skipped, not photos: 6" in result.output
    for name, kind in [
        ("MVI_0004.MOV", "QuickTime video"),
        ("IMG_0005.CR2", "Canon CR2 raw image"),
        ("IMG_0001.xmp", "XMP sidecar; empty"),
        ("Thumbs.db", "system file"),
        ("clip.jpg", "MP4 video"),
        (".DS_Store", "hidden system file"),
    ]:
        assert f"{name} ({kind})" in result.output, result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count(Photo.id))) == 4


SIDECAR = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{caption}</rdf:li></rdf:Alt></dc:description>
<dc:creator><rdf:Seq><rdf:li>{credit}</rdf:li></rdf:Seq></dc:creator>
<dc:subject><rdf:Bag><rdf:li>keynote</rdf:li><rdf:li>{keyword}</rdf:li></rdf:Bag></dc:subject>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def test_a_camera_card_as_it_comes(app, album, folder):
    """A card with a RAW+JPEG pair, a lone DNG, sidecars (Adobe's and darktable's naming), a clip and
    hidden files: exit 0, every skipped file listed with its reason, sidecars' texts on their photos,
    the originals untouched; with --raw the lone DNG becomes an upright photo."""
    dcim = folder / "DCIM" / "100CANON"
    pair_raw = write_dng(dcim / "IMG_0001.DNG")  # IMG_0001.JPG is its twin
    lone = write_dng(dcim / "IMG_0010.DNG", width=96, height=64, orientation=6)  # held on its side
    (dcim / "IMG_0002.xmp").write_text(
        SIDECAR.format(caption="Opening keynote", credit="Ana Kowalska", keyword="stage")
    )
    (dcim / "IMG_0010.DNG.xmp").write_text(SIDECAR.format(caption="Panel", credit="Jan Nowak", keyword="panel"))
    (dcim / "IMG_0099.xmp").write_text(SIDECAR.format(caption="orphan", credit="x", keyword="y"))
    (dcim / "MVI_0004.MOV").write_bytes(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " * 4)
    (dcim / "._IMG_0001.JPG").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    (folder / ".Trashes").mkdir()
    (folder / ".Trashes" / "old.jpg").write_bytes(b"")
    jpeg_bytes = (dcim / "IMG_0002.JPG").read_bytes()
    runner = app.test_cli_runner()

    plain = runner.invoke(args=["gallery", "import", str(folder), "--album", album.slug])
    assert plain.exit_code == 0, plain.output
    assert "added: 4, already there: 0, rejected: 0, skipped: 9" in plain.output
    for name, reason in [
        ("IMG_0001.DNG", "DNG raw image"),
        ("IMG_0010.DNG", "DNG raw image"),
        ("IMG_0002.xmp", "XMP sidecar; caption, credit and keywords applied to IMG_0002.JPG"),
        ("IMG_0010.DNG.xmp", "XMP sidecar; no photo of the same name"),
        ("IMG_0099.xmp", "XMP sidecar; no photo of the same name"),
        ("MVI_0004.MOV", "QuickTime video"),
        ("._IMG_0001.JPG", "hidden system file"),
        (".DS_Store", "hidden system file"),
        (".Trashes", "hidden system file"),
    ]:
        assert f"{name} ({reason})" in plain.output, plain.output
    db.session.rollback()
    photo = db.session.scalars(select(Photo).where(Photo.original_filename == "IMG_0002.JPG")).one()
    assert (photo.caption, photo.credit, photo.keywords) == ("Opening keynote", "Ana Kowalska", ["keynote", "stage"])
    with context.storage(app).open(photo.original_key) as handle:
        assert handle.read() == jpeg_bytes  # the sidecar changed the photo's fields, not the original

    with_raw = runner.invoke(args=["gallery", "import", str(folder), "--album", album.slug, "--raw"])
    assert with_raw.exit_code == 0, with_raw.output
    assert "added: 1, already there: 4, rejected: 0" in with_raw.output
    assert "IMG_0001.DNG (DNG raw image; its JPEG twin IMG_0001.JPG is imported)" in with_raw.output
    db.session.rollback()
    raw_photo = db.session.scalars(select(Photo).where(Photo.original_filename == "IMG_0010.DNG")).one()
    assert raw_photo.content_type == "image/x-adobe-dng" and raw_photo.status == PhotoStatus.ready
    assert (raw_photo.width, raw_photo.height, raw_photo.orientation) == (64, 96, 6)  # upright: portrait
    assert (raw_photo.caption, raw_photo.credit) == ("Panel", "Jan Nowak")  # darktable-style sidecar
    with context.storage(app).open(raw_photo.original_key) as handle:
        assert handle.read() == lone.read_bytes()  # the original is the raw file, bit-exact
    smallest = min(raw_photo.derivatives, key=lambda d: d.width)
    assert (smallest.width, smallest.height) == (64, 96)
    with context.storage(app).open(smallest.key) as handle:
        picture = Image.open(handle)
        picture.load()
    top, bottom = picture.getpixel((32, 10)), picture.getpixel((32, 86))
    assert top[0] > 150 and top[0] > top[1] + 80  # the red half is on top: turned the way the camera was held
    assert max(bottom) < 90
    assert pair_raw.exists()
