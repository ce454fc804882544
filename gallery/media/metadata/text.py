"""Text found in metadata, made safe and judged: cleaning (controls, bidi overrides, zero-width
characters removed, NFC, capped) and camera boilerplate detection ("OLYMPUS DIGITAL CAMERA",
"IMG_1234", a repeat of the camera's make or model, ...).  See :mod:`.captions` for where the
texts come from."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from gallery.media.sniff import extensions_of

__all__ = ["CAPTION_MAX", "FIELD_MAX", "clean_text", "is_boilerplate"]

CAPTION_MAX: Final[int] = 10_000
FIELD_MAX: Final[int] = 1_000

_NEWLINES: Final = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n", "\x0b": "\n", "\x0c": "\n"})
# C0 controls except tab and newline, DEL, C1 controls, zero-width space, word joiner and
# invisible operators, bidi embeddings/overrides/isolates, BOM, interlinear annotation
# controls, non-characters, surrogates, and Unicode tag characters (invisible text).
_REMOVE: Final = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff\U000e0000-\U000e007f]"
)
_HSPACE: Final = re.compile(r"[^\S\n]+")
_MANY_NEWLINES: Final = re.compile(r"\n{3,}")


def clean_text(value: str | None, *, cap: int = FIELD_MAX, multiline: bool = False) -> str | None:
    """Plain, safe text: controls and bidi overrides removed, NFC, trimmed, capped.

    With ``multiline`` newlines and tabs survive (runs of blank lines are reduced to
    one); otherwise all whitespace collapses to single spaces.  Returns None if nothing
    is left.
    """
    if value is None:
        return None
    text = value.replace("\r\n", "\n").translate(_NEWLINES)
    text = _REMOVE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    if multiline:
        lines = [
            _HSPACE.sub(lambda m: "\t" if m.group() == "\t" else " ", line).strip(" ") for line in text.split("\n")
        ]
        text = _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()
    else:
        text = " ".join(text.split())
    if len(text) > cap:
        text = text[:cap].rstrip()
    return text or None


# ======================================================================================
# Boilerplate

_BRANDS: Final = (
    "agfa|apple|asus|benq|canon|casio|concord|contax|dji|epson|fuji|fujifilm|google|gopro|hasselblad|"
    "honor|hp|htc|huawei|jvc|kodak|konica|konica minolta|kyocera|leica|lg|lumix|meizu|minolta|"
    "motorola|nikon|nokia|olympus|oneplus|oppo|panasonic|pentax|phase one|polaroid|praktica|"
    "realme|ricoh|rollei|samsung|sanyo|sharp|sigma|sony|toshiba|vivitar|vivo|xiaomi|yashica|zeiss"
)
_BOILERPLATE: Final[frozenset[str]] = frozenset(
    {
        "olympus digital camera",
        "sony dsc",
        "dcim",
        "kodak digital still camera",
        "default",
        "samsung",
        "leica",
        "digital camera",
        "camera",
        "digicam",
        "dsc",
        "csc",
        "samsung csc",
        "minolta digital camera",
        "konica minolta digital camera",
        "exif_jpeg_picture",
        "exif jpeg",
        "exif_jpeg",
        "jpeg",
        "jpg",
        "image",
        "picture",
        "photo",
        "photograph",
        "untitled",
        "no title",
        "notitle",
        "title",
        "caption",
        "description",
        "no description",
        "none",
        "null",
        "nil",
        "n/a",
        "na",
        "unknown",
        "empty",
        "undefined",
        "copyright",
        "all rights reserved",
        "(c)",
        "©",
        "artist",
        "author",
        "creator",
        "owner",
        "user",
        "my camera",
        "hp photosmart",
        "lg digital camera",
        "huawei",
        "xiaomi",
        "apple",
        "honor",
        "oppo",
        "vivo",
        "realme",
        "oneplus",
        "motorola",
        "nokia",
        "nikon",
        "canon",
        "sony",
        "olympus",
        "fujifilm",
        "panasonic",
        "pentax",
        "casio",
        "sanyo",
        "kodak",
        "ricoh",
        "dji",
        "gopro",
        "google",
        "sigma",
        "sharp",
        "polaroid",
        "exif",
        "xmp",
        "iptc",
        "screenshot",
        "edited",
        "created with gimp",
        "made with gimp",
        "credit",
        "by-line",
        "byline",
        "photographer",
        "name",
        "your name",
        "enter caption",
        "type caption here",
    }
)
_BRAND_GENERIC: Final = re.compile(
    rf"^(?:{_BRANDS})(?:\s+(?:optical|imaging|electric|electronics|corp|corporation|co|ltd|inc|company))*"
    r"\s+(?:digital\s+)?(?:still\s+)?(?:camera|dsc|csc|digicam|image|picture|photo)$"
)
_GENERIC_CAMERA: Final = re.compile(r"^(?:\w+\s+)?digital\s+(?:still\s+)?camera$")
_PHOTO_EXTENSIONS: Final = "|".join(sorted(extensions_of("photo", "raw"), key=lambda ext: (-len(ext), ext)))
_CAMERA_FILENAME: Final = re.compile(
    r"^(?:img|dsc|dscn|dscf|dsci|dsc_|_dsc|_mg|p|pict|pic|imag|image|cimg|sam|dcp|dcim|mvc|"
    r"pxl|pano|vid|photo|sdc|hpim|imgp|kif|mvi|dji|gopr|gp|fb_img|wp|screenshot)"
    rf"[_\- ]?\d[\d_\-]{{2,}}(?:[_\- ]?\w{{0,12}})?(?:\.(?:{_PHOTO_EXTENSIONS}))?$"
)
_DATE_FILENAME: Final = re.compile(r"^\d{8}[_\-]\d{6}(?:[_\-]\d+)?(?:\.\w{3,4})?$")
_SOFTWARE: Final = re.compile(
    r"^(?:created|edited|processed|made|generated|saved)\s+(?:with|by|in|using)\s+(?:the\s+)?"
    r"(?:gimp|adobe|photoshop|lightroom|vsco|snapseed|picasa|paint\.net|imagemagick|instagram|"
    r"google|darktable|rawtherapee|capture one|affinity|pixlr|canva|photos)\b.{0,40}$"
)
_COPYRIGHT_ONLY: Final = re.compile(r"^(?:\(c\)|©|copyright|all rights reserved|[\s,.;:\-])*(?:\d{4})?[\s,.;:\-]*$")
_TIFFFILE_SHAPE: Final = re.compile(r'^\{\s*"shape"\s*:\s*\[[\d,\s]*\].*\}$')
HAS_WORD: Final = re.compile(r"\w")


def folded(text: str) -> str:
    """Case-folded, with runs of white space as one space: how texts are compared."""
    return " ".join(text.casefold().split())


def is_boilerplate(text: str | None, *, make: str | None = None, model: str | None = None) -> bool:
    """True for text cameras and tools write by default rather than a person.

    Covers a curated list ("OLYMPUS DIGITAL CAMERA", "SONY DSC", "DCIM", "Default", ...),
    "<brand> digital camera" patterns, camera file names ("IMG_1234", "DSC_0012"),
    "created with GIMP"-style software notes, copyright words without a holder, text with
    no letters or digits, and any repeat of the camera make, model or "make model".
    """
    if text is None:
        return True
    norm = folded(text)
    if not norm or not HAS_WORD.search(norm):
        return True
    stripped = norm.strip(" .,;:-_<>[](){}\"'")
    if stripped in _BOILERPLATE or norm in _BOILERPLATE:
        return True
    if _BRAND_GENERIC.match(stripped) or _GENERIC_CAMERA.match(stripped):
        return True
    if _CAMERA_FILENAME.match(stripped) or _DATE_FILENAME.match(stripped):
        return True
    if _SOFTWARE.match(stripped) or _COPYRIGHT_ONLY.match(norm) or _TIFFFILE_SHAPE.match(norm):
        return True
    camera: set[str] = set()
    make_norm = folded(make) if make else ""
    model_norm = folded(model) if model else ""
    for value in (make_norm, model_norm):
        if value:
            camera.add(value)
            camera.add(value.strip(" .,;:-_<>[](){}\"'"))
    if make_norm:
        first = make_norm.split()[0]
        camera.add(first)
        generic = re.compile(
            rf"^{re.escape(first)}(?:\s+\S+)*?\s+(?:digital\s+)?(?:still\s+)?(?:camera|dsc|csc|digicam)$"
        )
        if generic.match(stripped):
            return True
    if make_norm and model_norm:
        camera.add(f"{make_norm} {model_norm}")
        camera.add(f"{make_norm.split()[0]} {model_norm}")
        camera.add(f"{model_norm} {make_norm}")
    return norm in camera or stripped in camera
