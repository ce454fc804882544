"""Planning a camera card (gallery/photos/cards.py): what becomes a photo, what is skipped and why, RAW+JPEG
twins, and which photo each sidecar's texts go to."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from gallery.photos.cards import plan_card, skipped_kind
from tests.ingest.dng import write_dng

XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{}</rdf:li></rdf:Alt></dc:description>'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def jpeg(path: Path) -> Path:
    Image.new("RGB", (8, 8)).save(path, "JPEG")
    return path


def test_a_card_plan(tmp_path: Path) -> None:
    pair_jpeg, pair_raw = jpeg(tmp_path / "A.JPG"), write_dng(tmp_path / "A.NEF")  # type from bytes, not name
    lone = write_dng(tmp_path / "B.DNG")
    side_a = tmp_path / "a.xmp"  # case does not matter for pairing
    side_a.write_text(XMP.format("for A"))
    side_b = tmp_path / "B.DNG.xmp"
    side_b.write_text(XMP.format("for B"))
    broken = tmp_path / "C.xmp"
    broken.write_text('<?xpacket begin=""?><x:xmpmeta xmlns:x="adobe:ns:meta/"><oops')
    jpeg(tmp_path / "C.JPG")
    files = sorted(tmp_path.iterdir())

    plain = plan_card(files)
    assert plain.raw == set()
    assert plain.skip[pair_raw] == "DNG raw image" and plain.skip[lone] == "DNG raw image"
    assert plain.texts == {pair_jpeg: {"caption": "for A"}}
    assert plain.skip[side_a] == "XMP sidecar; caption, credit and keywords applied to A.JPG"
    assert plain.skip[side_b] == "XMP sidecar; no photo of the same name"  # B.DNG is not imported
    assert plain.skip[broken].startswith("XMP sidecar; not applied: not readable XMP")

    with_raw = plan_card(files, raw=True)
    assert with_raw.raw == {lone}
    assert with_raw.skip[pair_raw] == "DNG raw image; its JPEG twin A.JPG is imported"
    assert with_raw.texts[lone] == {"caption": "for B"}
    assert pair_jpeg not in with_raw.skip and lone not in with_raw.skip


def test_skipped_kind(tmp_path: Path) -> None:
    (tmp_path / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "clip.jpg").write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
    assert skipped_kind(tmp_path / "Thumbs.db") == "system file"
    assert skipped_kind(tmp_path / "clip.jpg") == "MP4 video"
    assert skipped_kind(jpeg(tmp_path / "x.jpg")) is None
    assert skipped_kind(tmp_path / "missing.jpg") is None  # receiving it says why it cannot be read
