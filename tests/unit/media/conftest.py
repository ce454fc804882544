"""Fixtures for the pure media tests (sniff, exif, captions).

Shared names start with ``media_`` so they cannot collide with the project-wide fixtures:

* ``media_corpus`` — the test corpus folder (``../shared/corpus``), skipped when absent.
* ``media_corpus_file`` — parametrised over every file of the corpus (one test id per file).
* ``media_oracle_entry`` — parametrised over every ExifTool oracle entry.
* ``media_oracle_dto_entry`` — the oracle entries whose DateTimeOriginal sits in the EXIF IFD.
* ``media_jpeg`` — builds a small JPEG with the given EXIF IFD0 / Exif IFD / GPS IFD tags,
  XMP packet and IPTC datasets (the IPTC block is written as a Photoshop APP13 segment).
"""

from __future__ import annotations

import io
import json
import os
import struct
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

_HERE = Path(__file__).resolve()
MEDIA_CORPUS = _HERE.parents[4] / "shared" / "corpus"
if not MEDIA_CORPUS.exists():
    MEDIA_CORPUS = Path(os.environ.get("GALLERY_CORPUS", "/work/shared/corpus"))

_NOT_IMAGES = {"README", "README.rst", "SOURCE.txt", "LICENSE-Pillow.txt", "MANIFEST.tsv", ".gitignore"}


def _corpus_files() -> list[Path]:
    if not MEDIA_CORPUS.is_dir():
        return []
    return sorted(p for p in MEDIA_CORPUS.rglob("*") if p.is_file())


def _oracle() -> list[dict[str, Any]]:
    path = MEDIA_CORPUS / "exif-samples" / "exiftool-oracle.json"
    if not path.is_file():
        return []
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return entries


def _params(values: list[Any], ids: list[str]) -> tuple[list[Any], list[str]]:
    if values:
        return values, ids
    skip = pytest.param(None, marks=pytest.mark.skip(reason=f"test corpus not found at {MEDIA_CORPUS}"))
    return [skip], ["no-corpus"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "media_corpus_file" in metafunc.fixturenames:
        files = _corpus_files()
        values, ids = _params(files, [str(p.relative_to(MEDIA_CORPUS)) for p in files])
        metafunc.parametrize("media_corpus_file", values, ids=ids)
    if "media_oracle_entry" in metafunc.fixturenames:
        entries = _oracle()
        values, ids = _params(entries, [e["file"] for e in entries])
        metafunc.parametrize("media_oracle_entry", values, ids=ids)
    if "media_oracle_dto_entry" in metafunc.fixturenames:
        entries = [e for e in _oracle() if "ExifIFD:DateTimeOriginal" in (e.get("DateTimeOriginal_sources") or {})]
        values, ids = _params(entries, [e["file"] for e in entries])
        metafunc.parametrize("media_oracle_dto_entry", values, ids=ids)


@pytest.fixture
def media_corpus() -> Path:
    if not MEDIA_CORPUS.is_dir():
        pytest.skip(f"test corpus not found at {MEDIA_CORPUS}")
    return MEDIA_CORPUS


def media_is_image_file(path: Path) -> bool:
    return path.name not in _NOT_IMAGES and path.suffix not in (".txt", ".json", ".tsv") and path.name != "dump"


@pytest.fixture
def media_image_filter() -> Callable[[Path], bool]:
    """True for corpus files that are images (not README/SOURCE/oracle files)."""
    return media_is_image_file


def _iptc_block(datasets: Iterable[tuple[int, int, bytes]]) -> bytes:
    iim = b"".join(
        b"\x1c" + bytes([record, dataset]) + struct.pack(">H", len(value)) + value
        for record, dataset, value in datasets
    )
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    if len(iim) % 2:
        resource += b"\x00"
    return b"Photoshop 3.0\x00" + resource


def build_jpeg(
    *,
    ifd0: Mapping[int, Any] | None = None,
    exif: Mapping[int, Any] | None = None,
    gps: Mapping[int, Any] | None = None,
    xmp: bytes | str | None = None,
    iptc: Iterable[tuple[int, int, bytes]] | None = None,
    size: tuple[int, int] = (16, 12),
) -> bytes:
    image = Image.new("RGB", size, (120, 160, 200))
    options: dict[str, Any] = {"quality": 80}
    if ifd0 or exif or gps:
        data = Image.Exif()
        for tag, value in (ifd0 or {}).items():
            data[tag] = value
        if exif:
            data.get_ifd(0x8769).update(exif)
        if gps:
            data.get_ifd(0x8825).update(gps)
        options["exif"] = data.tobytes()
    if xmp is not None:
        options["xmp"] = xmp.encode("utf-8") if isinstance(xmp, str) else xmp
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    jpeg = buffer.getvalue()
    if iptc is not None:
        payload = _iptc_block(iptc)
        segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
        jpeg = jpeg[:2] + segment + jpeg[2:]
    return jpeg


@pytest.fixture
def media_jpeg() -> Callable[..., bytes]:
    """For example ``media_jpeg(ifd0={0x010F: "Canon"}, exif={0x9003: "2024:05:07 09:30:00"}, gps=...,
    xmp=..., iptc=[(2, 120, b"...")])``."""
    return build_jpeg


def xmp_packet(body: str, namespaces: Mapping[str, str] | None = None) -> str:
    ns = {
        "dc": "http://purl.org/dc/elements/1.1/",
        "xmp": "http://ns.adobe.com/xap/1.0/",
        "exif": "http://ns.adobe.com/exif/1.0/",
        "photoshop": "http://ns.adobe.com/photoshop/1.0/",
        "tiff": "http://ns.adobe.com/tiff/1.0/",
        "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    }
    ns.update(namespaces or {})
    declarations = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in ns.items())
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {declarations}>{body}</rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    )


@pytest.fixture
def media_xmp() -> Callable[..., str]:
    """``media_xmp('<xmp:CreateDate>2024-05-07T09:30:00+02:00</xmp:CreateDate>')`` → a full packet."""
    return xmp_packet
