"""Camera raw files recognised from their bytes (the part of :mod:`gallery.media.sniff` that
looks inside TIFF-shaped files and at the raw formats' own signatures).

Most raw formats are TIFF files underneath: CR2 says so at byte 8 ("CR"), DNG carries the
``DNGVersion`` tag in its first IFD, NEF and ARW are told apart from a plain TIFF by the camera
maker in ``Make`` together with a tag plain TIFFs do not carry (``SubIFDs``, where the raw data
lives, or Sony's ``SR2Private``).  ORF, RW2 and RAF have signatures of their own; CR3 is an ISO
media file (brand ``crx``, read by the ftyp logic in :mod:`gallery.media.sniff`).

Answers are ``(kind, mime, label)`` triples; :mod:`gallery.media.sniff` turns them into
``Detected`` values.  Only the standard library is imported here."""

from __future__ import annotations

import struct
from typing import Final

RawKind = tuple[str, str, str]

CR2: Final[RawKind] = ("cr2", "image/x-canon-cr2", "Canon CR2 raw image")
CR3: Final[RawKind] = ("cr3", "image/x-canon-cr3", "Canon CR3 raw image")
DNG: Final[RawKind] = ("dng", "image/x-adobe-dng", "DNG raw image")
NEF: Final[RawKind] = ("nef", "image/x-nikon-nef", "Nikon NEF raw image")
ARW: Final[RawKind] = ("arw", "image/x-sony-arw", "Sony ARW raw image")
RAF: Final[RawKind] = ("raf", "image/x-fuji-raf", "Fujifilm RAF raw image")
ORF: Final[RawKind] = ("orf", "image/x-olympus-orf", "Olympus ORF raw image")
RW2: Final[RawKind] = ("rw2", "image/x-panasonic-rw2", "Panasonic RW2 raw image")

#: Every raw kind (the file types ``--raw`` and an album's "accept RAW" setting let in).
RAW_KINDS: Final[frozenset[str]] = frozenset(k[0] for k in (CR2, CR3, DNG, NEF, ARW, RAF, ORF, RW2))

TAG_MAKE: Final = 0x010F
TAG_SUB_IFDS: Final = 0x014A
TAG_DNG_VERSION: Final = 0xC612
TAG_SONY_SR2_PRIVATE: Final = 0xC634
_TYPE_ASCII: Final = 2


def raw_signature(head: bytes) -> RawKind | None:
    """A raw format with a signature of its own (not TIFF-shaped), or None."""
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return RAF
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return ORF
    if head[:4] == b"IIU\x00":
        return RW2
    return None


def ifd0_tags(head: bytes) -> dict[int, tuple[int, int, bytes]]:
    """The entries of a classic TIFF's first IFD as far as ``head`` reaches:
    ``{tag: (type, count, the 4 value/offset bytes)}``."""
    endian = "<" if head[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack(endian + "I", head[4:8])
        (count,) = struct.unpack(endian + "H", head[offset : offset + 2])
    except (struct.error, ValueError):
        return {}
    tags: dict[int, tuple[int, int, bytes]] = {}
    for i in range(min(count, 512)):
        pos = offset + 2 + 12 * i
        if pos + 12 > len(head):
            break
        tag, kind, number = struct.unpack(endian + "HHI", head[pos : pos + 8])
        tags[tag] = (kind, number, head[pos + 8 : pos + 12])
    return tags


def _ascii(head: bytes, entry: tuple[int, int, bytes] | None) -> str:
    """An ASCII tag's text (empty when absent, of another type or beyond ``head``)."""
    if entry is None or entry[0] != _TYPE_ASCII:
        return ""
    _type, count, value = entry
    if count <= 4:
        data = value[:count]
    else:
        endian = "<" if head[:2] == b"II" else ">"
        (offset,) = struct.unpack(endian + "I", value)
        data = head[offset : offset + min(count, 64)]
    return data.split(b"\x00", 1)[0].decode("latin-1").strip()


def classify_tiff_raw(head: bytes) -> RawKind | None:
    """The raw format of a TIFF-shaped file (``II*\\0`` / ``MM\\0*``), or None for a plain TIFF."""
    if head[8:10] == b"CR":
        return CR2
    tags = ifd0_tags(head)
    if TAG_DNG_VERSION in tags:
        return DNG
    make = _ascii(head, tags.get(TAG_MAKE)).upper()
    raw_layout = TAG_SUB_IFDS in tags or TAG_SONY_SR2_PRIVATE in tags
    if make.startswith("NIKON") and raw_layout:
        return NEF
    if make.startswith("SONY") and raw_layout:
        return ARW
    return None
