"""Initial caption, title, keywords, credit and copyright from a photo's metadata.

Sources, in order of precedence *per field* (the first source with a usable value wins,
so a photo can take its caption from XMP and its credit from EXIF):

* caption:   XMP dc:description > IPTC 2:120 Caption-Abstract > EXIF ImageDescription,
  XPComment, UserComment
* title:     XMP dc:title, photoshop:Headline > IPTC 2:05 Object Name, 2:105 Headline >
  EXIF XPTitle
* keywords:  XMP dc:subject > IPTC 2:25 Keywords > EXIF XPKeywords (the whole list comes
  from the first source that has any)
* credit:    XMP dc:creator, photoshop:Credit > IPTC 2:80 By-line, 2:110 Credit >
  EXIF Artist, XPAuthor
* copyright: XMP dc:rights > IPTC 2:116 Copyright Notice > EXIF Copyright
* alt_text:  XMP Iptc4xmpCore:AltTextAccessibility

XMP comes first because it is what current software writes and it is Unicode by
definition; IPTC-IIM is the legacy block editors still fill in; EXIF text fields are
mostly written by cameras and are the most likely to be boilerplate.

Camera boilerplate ("OLYMPUS DIGITAL CAMERA", "SONY DSC", a repeat of the camera make
or model, "IMG_1234", blank padding, ...) is ignored wherever it appears, so the next
source is tried.  Text is cleaned: NUL and control characters (except newline and tab
in captions) and the bidirectional embedding/override/isolate characters (U+202A-U+202E,
U+2066-U+2069; a spoofing vector) are removed, zero-width and BOM characters too, the
result is NFC-normalised and capped (caption 10 000 characters, everything else 1 000).
Nothing is HTML-escaped here: the values are plain text, to be escaped when rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from PIL import Image, ImageFile, IptcImagePlugin

from gallery.media.metadata.record import (
    ExifValue,
    RawMetadata,
    decode_text_bytes,
    xmp_first,
)
from gallery.media.metadata.text import CAPTION_MAX, FIELD_MAX, HAS_WORD, clean_text, folded, is_boilerplate

__all__ = [
    "CAPTION_MAX",
    "FIELD_MAX",
    "Captions",
    "clean_text",
    "extract_captions",
    "is_boilerplate",
    "read_iptc",
]

KEYWORDS_MAX: Final[int] = 200

IptcMapping = Mapping[tuple[int, int], Any]


@dataclass(frozen=True)
class Captions:
    """Descriptive text found in a photo's metadata (None / empty when there was none).

    ``sources`` says where each non-empty field came from, e.g.
    ``{"caption": "xmp:dc:description", "credit": "exif:Artist"}``.
    """

    caption: str | None = None
    title: str | None = None
    keywords: list[str] = field(default_factory=list)
    credit: str | None = None
    copyright: str | None = None
    alt_text: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)


# ======================================================================================
# Reading IPTC


def read_iptc(image: Image.Image) -> dict[tuple[int, int], bytes | list[bytes]] | None:
    """IPTC-IIM datasets of an open Pillow image (JPEG or TIFF), or None.

    A thin, exception-safe wrapper round ``PIL.IptcImagePlugin.getiptcinfo``: a broken
    IPTC block yields None rather than an exception.
    """
    if not isinstance(image, ImageFile.ImageFile):
        return None  # made in memory: no file, no IPTC block
    try:
        info = IptcImagePlugin.getiptcinfo(image)
    except Exception:  # noqa: BLE001 - a corrupt block is simply absent
        return None
    return dict(info) if info else None


def _iptc_values(iptc: IptcMapping | None, key: tuple[int, int]) -> list[bytes]:
    if not iptc:
        return []
    value = iptc.get(key)
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[bytes] = []
    for item in items:
        if isinstance(item, str):
            out.append(item.encode("utf-8"))
        elif isinstance(item, (bytes, bytearray)):
            out.append(bytes(item))
    return out


def _iptc_is_utf8(iptc: IptcMapping | None) -> bool:
    return any(b"\x1b%G" in value for value in _iptc_values(iptc, (1, 90)))


def _decode_legacy(data: bytes, utf8: bool) -> str:
    """IPTC/EXIF bytes to text: UTF-8 (declared, or when valid), else cp1252, else latin-1."""
    if utf8:
        return data.decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# ======================================================================================
# Reading EXIF text


def _exif_text(value: ExifValue | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return decode_text_bytes(value)
    return None


def _exif_xp(value: ExifValue | None) -> str | None:
    """Windows XP* tags: UTF-16LE bytes, NUL-terminated."""
    if isinstance(value, tuple) and all(isinstance(v, int) and 0 <= v <= 255 for v in value):
        value = bytes(v for v in value if isinstance(v, int))
    if isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        return None
    data = value[: len(value) - (len(value) % 2)]
    return data.decode("utf-16-le", errors="replace").split("\x00", 1)[0]


def _exif_user_comment(value: ExifValue | None) -> str | None:
    """EXIF UserComment: an 8-byte character code, then the text."""
    if isinstance(value, str):
        return value
    if not isinstance(value, bytes) or len(value) < 8:
        return None
    code, data = value[:8], value[8:]
    if code.startswith(b"ASCII"):
        return decode_text_bytes(data)
    if code.startswith(b"UNICODE"):
        data = data[: len(data) - (len(data) % 2)]
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16", errors="replace").split("\x00", 1)[0]
        # No BOM: guess the byte order from where the zero bytes are (Latin text).
        even_zeros = data[0::2].count(0)
        odd_zeros = data[1::2].count(0)
        encoding = "utf-16-be" if even_zeros > odd_zeros else "utf-16-le"
        return data.decode(encoding, errors="replace").split("\x00", 1)[0]
    if code.startswith(b"JIS"):
        try:
            return data.split(b"\x00", 1)[0].decode("shift_jis")
        except UnicodeDecodeError:
            return None
    # Undefined code (often all zeros): accept only clean UTF-8 text.
    body = data.split(b"\x00", 1)[0]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


# ======================================================================================
# Assembling


@dataclass(frozen=True)
class _Candidate:
    source: str
    text: str | None


def _pick(
    candidates: Iterable[_Candidate], *, cap: int, multiline: bool, make: str | None, model: str | None
) -> tuple[str | None, str | None]:
    for candidate in candidates:
        cleaned = clean_text(candidate.text, cap=cap, multiline=multiline)
        if cleaned is None or is_boilerplate(cleaned, make=make, model=model):
            continue
        return cleaned, candidate.source
    return None, None


def _xmp_all(raw: RawMetadata, key: str) -> tuple[str, ...]:
    return tuple(raw.xmp.get(key, ()))


def _xmp_joined(raw: RawMetadata, key: str) -> str | None:
    values = [v for v in _xmp_all(raw, key) if v and v.strip()]
    return ", ".join(values) if values else None


_NOT_KEYWORDS: Final = frozenset({"none", "null", "nil", "n/a", "unknown", "untitled", "default", "keywords", "tags"})


def _keyword_ok(keyword: str, make: str | None, model: str | None) -> bool:
    """Keywords are short by nature ("2006", "July"): only placeholders and camera names go."""
    norm = folded(keyword)
    if not HAS_WORD.search(norm) or norm in _NOT_KEYWORDS:
        return False
    camera = {folded(v) for v in (make, model) if v}
    return norm not in camera


def _keywords(
    groups: Sequence[tuple[str, Sequence[str]]], make: str | None, model: str | None
) -> tuple[list[str], str | None]:
    for source, values in groups:
        seen: set[str] = set()
        keywords: list[str] = []
        for value in values:
            cleaned = clean_text(value, cap=FIELD_MAX)
            if cleaned is None or not _keyword_ok(cleaned, make, model):
                continue
            key = cleaned.casefold()
            if key in seen:
                continue
            seen.add(key)
            keywords.append(cleaned)
            if len(keywords) >= KEYWORDS_MAX:
                break
        if keywords:
            return keywords, source
    return [], None


def extract_captions(raw: RawMetadata, iptc: IptcMapping | None) -> Captions:
    """Caption, title, keywords, credit, copyright and alt text (see the module docstring).

    ``iptc`` is the mapping :func:`read_iptc` (``PIL.IptcImagePlugin.getiptcinfo``)
    returns: ``{(record, dataset): bytes | list[bytes]}``; None when there is none.
    """
    make = _exif_text(raw.exif.get("Image Make")) or xmp_first(raw, "tiff:Make")
    model = _exif_text(raw.exif.get("Image Model")) or xmp_first(raw, "tiff:Model")
    utf8 = _iptc_is_utf8(iptc)

    def iptc_text(dataset: int) -> list[_Candidate]:
        return [
            _Candidate(f"iptc:2:{dataset}", _decode_legacy(value, utf8)) for value in _iptc_values(iptc, (2, dataset))
        ]

    def iptc_joined(dataset: int) -> list[_Candidate]:
        values = [_decode_legacy(v, utf8) for v in _iptc_values(iptc, (2, dataset))]
        values = [v for v in values if v.strip()]
        return [_Candidate(f"iptc:2:{dataset}", ", ".join(values))] if values else []

    def exif(key: str) -> _Candidate:
        return _Candidate(f"exif:{key.split(' ', 1)[1]}", _exif_text(raw.exif.get(key)))

    def xp(key: str) -> _Candidate:
        return _Candidate(f"exif:{key.split(' ', 1)[1]}", _exif_xp(raw.exif.get(key)))

    def xmp(key: str) -> _Candidate:
        return _Candidate(f"xmp:{key}", xmp_first(raw, key))

    picks: dict[str, tuple[str | None, str | None]] = {}
    common = {"make": make, "model": model}
    picks["caption"] = _pick(
        [
            xmp("dc:description"),
            *iptc_text(120),
            exif("Image ImageDescription"),
            xp("Image XPComment"),
            _Candidate("exif:UserComment", _exif_user_comment(raw.exif.get("EXIF UserComment"))),
        ],
        cap=CAPTION_MAX,
        multiline=True,
        **common,
    )
    picks["title"] = _pick(
        [xmp("dc:title"), xmp("photoshop:Headline"), *iptc_text(5), *iptc_text(105), xp("Image XPTitle")],
        cap=FIELD_MAX,
        multiline=False,
        **common,
    )
    picks["credit"] = _pick(
        [
            _Candidate("xmp:dc:creator", _xmp_joined(raw, "dc:creator")),
            xmp("photoshop:Credit"),
            *iptc_joined(80),
            *iptc_text(110),
            exif("Image Artist"),
            xp("Image XPAuthor"),
        ],
        cap=FIELD_MAX,
        multiline=False,
        **common,
    )
    picks["copyright"] = _pick(
        [xmp("dc:rights"), *iptc_text(116), exif("Image Copyright")],
        cap=FIELD_MAX,
        multiline=False,
        **common,
    )
    picks["alt_text"] = _pick([xmp("Iptc4xmpCore:AltTextAccessibility")], cap=FIELD_MAX, multiline=False, **common)

    xp_keywords = _exif_xp(raw.exif.get("Image XPKeywords")) or ""
    keywords, keywords_source = _keywords(
        [
            ("xmp:dc:subject", _xmp_all(raw, "dc:subject")),
            ("iptc:2:25", [_decode_legacy(v, utf8) for v in _iptc_values(iptc, (2, 25))]),
            ("exif:XPKeywords", re.split(r"[;\n]", xp_keywords)),
        ],
        make,
        model,
    )

    sources = {name: source for name, (value, source) in picks.items() if value is not None and source}
    if keywords_source:
        sources["keywords"] = keywords_source
    return Captions(
        caption=picks["caption"][0],
        title=picks["title"][0],
        keywords=keywords,
        credit=picks["credit"][0],
        copyright=picks["copyright"][0],
        alt_text=picks["alt_text"][0],
        sources=sources,
    )
