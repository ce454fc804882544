"""File type detection from the first bytes of a file ("sniffing").

The type of an upload always comes from its bytes, never from its name or from the
Content-Type the client sent.  :func:`detect` looks at the first :data:`SNIFF_BYTES` bytes
and says what the file is, whether the gallery accepts it, and how to name it in a
rejection message ("GIF image", "HTML document", ...).

Accepted kinds are the photo formats the gallery can decode: JPEG, PNG, WebP, TIFF
(classic and BigTIFF), HEIC/HEIF (pillow-heif) and AVIF (Pillow's own AVIF plugin).
:data:`PILLOW_FORMATS` tells the caller which Pillow format names to pass to
``Image.open(fp, formats=...)`` so that Pillow cannot be talked into using any other
decoder for the same bytes.

The file-name extensions of every media type live in one table, :data:`MEDIA_TYPES`: the
canonical extension of a detected file, the names of downloads and of bag members, the
extensions of derivatives and the camera file names captions ignore all come from it.

Only the standard library is imported here (the HEIF opener is registered by
:func:`gallery.media.images.ensure_heif_opener`).
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from gallery.media import raw_sniff

__all__ = [
    "ACCEPTED_KINDS",
    "MEDIA_TYPES",
    "PILLOW_FORMATS",
    "SNIFF_BYTES",
    "Detected",
    "MediaFamily",
    "MediaType",
    "canonical_extension",
    "detect",
    "extensions",
    "extensions_of",
]

#: How many bytes from the start of the file :func:`detect` needs (it uses fewer when
#: given fewer; a short file is judged on what there is).
SNIFF_BYTES: Final[int] = 4096


@dataclass(frozen=True, slots=True)
class Detected:
    """What :func:`detect` found.

    ``kind`` is a short stable identifier ("jpeg", "heic", "gif", "html", "unknown", ...),
    ``mime`` the media type, ``accepted`` whether the gallery takes such a file, ``label``
    a human-readable name for messages ("GIF image"), and ``extension`` the canonical
    file-name extension without a dot ("jpg"; empty when there is none).
    """

    kind: str
    mime: str
    accepted: bool
    label: str
    extension: str = ""


MediaFamily = Literal["photo", "raw", "image", "video", "audio", "sidecar", "document", "archive", "text"]


@dataclass(frozen=True, slots=True)
class MediaType:
    """A media type and its file-name extensions (canonical first, then the tolerated ones).

    ``family``: ``photo`` (what the gallery accepts), ``raw`` (camera raw files), ``image``
    (other pictures), ``video``, ``audio``, ``sidecar`` (metadata next to a photo), ``document``,
    ``archive``, ``text``.
    """

    mime: str
    extensions: tuple[str, ...]
    family: MediaFamily


def _table(*types: MediaType) -> Mapping[str, MediaType]:
    return {media_type.mime: media_type for media_type in types}


#: The one extension table, by media type.
MEDIA_TYPES: Final[Mapping[str, MediaType]] = _table(
    MediaType("image/jpeg", ("jpg", "jpeg", "jpe", "jfif"), "photo"),
    MediaType("image/png", ("png",), "photo"),
    MediaType("image/webp", ("webp",), "photo"),
    MediaType("image/tiff", ("tif", "tiff"), "photo"),
    MediaType("image/heic", ("heic", "heif"), "photo"),
    MediaType("image/heif", ("heif", "heic"), "photo"),
    MediaType("image/avif", ("avif",), "photo"),
    MediaType("image/x-canon-cr2", ("cr2",), "raw"),
    MediaType("image/x-canon-cr3", ("cr3",), "raw"),
    MediaType("image/x-adobe-dng", ("dng",), "raw"),
    MediaType("image/x-nikon-nef", ("nef",), "raw"),
    MediaType("image/x-sony-arw", ("arw",), "raw"),
    MediaType("image/x-fuji-raf", ("raf",), "raw"),
    MediaType("image/x-olympus-orf", ("orf",), "raw"),
    MediaType("image/x-panasonic-rw2", ("rw2",), "raw"),
    MediaType("image/mpo", ("mpo",), "image"),
    MediaType("image/gif", ("gif",), "image"),
    MediaType("image/bmp", ("bmp",), "image"),
    MediaType("image/jp2", ("jp2",), "image"),
    MediaType("image/jpx", ("jpf", "jpx"), "image"),
    MediaType("image/jxl", ("jxl",), "image"),
    MediaType("image/vnd.microsoft.icon", ("ico",), "image"),
    MediaType("image/x-win-bitmap", ("cur",), "image"),
    MediaType("image/vnd.adobe.photoshop", ("psd",), "image"),
    MediaType("image/x-jng", ("jng",), "image"),
    MediaType("image/qoi", ("qoi",), "image"),
    MediaType("image/x-exr", ("exr",), "image"),
    MediaType("image/vnd-ms.dds", ("dds",), "image"),
    MediaType("image/svg+xml", ("svg",), "image"),
    MediaType("video/quicktime", ("mov",), "video"),
    MediaType("video/mp4", ("mp4", "m4v"), "video"),
    MediaType("video/3gpp", ("3gp",), "video"),
    MediaType("video/x-msvideo", ("avi",), "video"),
    MediaType("video/webm", ("webm", "mkv"), "video"),
    MediaType("video/x-mng", ("mng",), "video"),
    MediaType("audio/mp4", ("m4a", "m4b"), "audio"),
    MediaType("audio/mpeg", ("mp3",), "audio"),
    MediaType("audio/wav", ("wav",), "audio"),
    MediaType("audio/flac", ("flac",), "audio"),
    MediaType("application/ogg", ("ogg",), "audio"),
    MediaType("application/rdf+xml", ("xmp",), "sidecar"),
    MediaType("application/pdf", ("pdf",), "document"),
    MediaType("application/postscript", ("ps", "eps"), "document"),
    MediaType("text/html", ("html", "htm"), "document"),
    MediaType("application/xml", ("xml",), "document"),
    MediaType("application/zip", ("zip",), "archive"),
    MediaType("application/gzip", ("gz",), "archive"),
    MediaType("application/x-bzip2", ("bz2",), "archive"),
    MediaType("application/x-xz", ("xz",), "archive"),
    MediaType("application/x-7z-compressed", ("7z",), "archive"),
    MediaType("application/vnd.rar", ("rar",), "archive"),
    MediaType("application/zstd", ("zst",), "archive"),
    MediaType("application/x-tar", ("tar",), "archive"),
    MediaType("text/plain", ("txt",), "text"),
)


def extensions(mime: str) -> tuple[str, ...]:
    """The file-name extensions of a media type, canonical first (empty when unknown)."""
    media_type = MEDIA_TYPES.get(mime)
    return media_type.extensions if media_type is not None else ()


def canonical_extension(mime: str) -> str:
    """The usual file-name extension of a media type, without a dot ("" when unknown)."""
    found = extensions(mime)
    return found[0] if found else ""


def extensions_of(*families: MediaFamily) -> frozenset[str]:
    """Every extension of the media types of these families."""
    return frozenset(
        ext for media_type in MEDIA_TYPES.values() if media_type.family in families for ext in media_type.extensions
    )


#: Kinds the gallery accepts.
ACCEPTED_KINDS: Final[frozenset[str]] = frozenset({"jpeg", "png", "webp", "tiff", "heic", "heif", "avif"})

#: Pillow format names to allow in ``Image.open(fp, formats=PILLOW_FORMATS[kind])``.
#: JPEG files carrying an MPF segment (MPO, Ultra HDR) come back from the "JPEG" opener as
#: format "MPO" (Pillow registers only the JPEG factory as an opener), so "JPEG" suffices.
#: "HEIF" is registered by ``pillow_heif.register_heif_opener()`` (pillow-heif 1.x has no
#: AVIF support any more); "AVIF" is Pillow's native plugin (Pillow >= 11.2).
PILLOW_FORMATS: Final[dict[str, tuple[str, ...]]] = {
    "jpeg": ("JPEG",),
    "png": ("PNG",),
    "webp": ("WEBP",),
    "tiff": ("TIFF",),
    "heic": ("HEIF",),
    "heif": ("HEIF",),
    "avif": ("AVIF",),
}


# --------------------------------------------------------------------------------------
# ISO base media file format brands (ftyp box)

_HEIC_BRANDS: Final = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})
_HEIF_GENERIC_BRANDS: Final = frozenset({b"mif1", b"msf1", b"mif2", b"miaf"})
_MP4_BRANDS: Final = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"mp41",
        b"mp42",
        b"avc1",
        b"dash",
        b"M4V ",
        b"M4VP",
        b"MSNV",
        b"f4v ",
        b"mmp4",
        b"NDAS",
    }
)


def _d(kind: str, mime: str, label: str) -> Detected:
    extension = canonical_extension(mime)
    return Detected(kind=kind, mime=mime, accepted=kind in ACCEPTED_KINDS, label=label, extension=extension)


_JPEG = _d("jpeg", "image/jpeg", "JPEG image")
_PNG = _d("png", "image/png", "PNG image")
_WEBP = _d("webp", "image/webp", "WebP image")
_TIFF = _d("tiff", "image/tiff", "TIFF image")
_BIGTIFF = _d("tiff", "image/tiff", "BigTIFF image")
_UNKNOWN = _d("unknown", "application/octet-stream", "unrecognised file type")


def _ftyp(head: bytes) -> tuple[bytes, list[bytes]] | None:
    """Return (major brand, compatible brands) of a leading ``ftyp`` box, if any."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    size = struct.unpack(">I", head[0:4])[0]
    if size == 1 and len(head) >= 16:  # 64-bit largesize follows the type
        size = struct.unpack(">Q", head[8:16])[0]
        start = 16
    else:
        start = 8
    end = min(len(head), max(size, start + 8))
    major = head[start : start + 4]
    compatible = [head[i : i + 4] for i in range(start + 8, end - 3, 4)]
    return major, compatible


def _classify_isobmff(major: bytes, compatible: list[bytes]) -> Detected:
    brands = set(compatible)
    if major in _HEIC_BRANDS:
        return _d("heic", "image/heic", "HEIC image")
    if major in _AVIF_BRANDS:
        label = "AVIF image sequence" if major == b"avis" else "AVIF image"
        return _d("avif", "image/avif", label)
    if major in _HEIF_GENERIC_BRANDS or brands & _HEIF_GENERIC_BRANDS:
        # Generic HEIF container: the compatible brands say which codec is inside.
        if brands & _HEIC_BRANDS:
            return _d("heic", "image/heic", "HEIC image")
        if brands & _AVIF_BRANDS:
            return _d("avif", "image/avif", "AVIF image")
        if major in _HEIF_GENERIC_BRANDS:
            return _d("heif", "image/heif", "HEIF image")
    if major == b"crx ":
        return _d(*raw_sniff.CR3)
    if major == b"jp2 ":
        return _d("jpeg2000", "image/jp2", "JPEG 2000 image")
    if major == b"jpx ":
        return _d("jpeg2000", "image/jpx", "JPEG 2000 image")
    if major == b"jxl ":
        return _d("jpegxl", "image/jxl", "JPEG XL image")
    if major == b"qt  ":
        return _d("mov", "video/quicktime", "QuickTime video")
    if major.startswith(b"3g"):
        return _d("3gp", "video/3gpp", "3GPP video")
    if major in (b"M4A ", b"M4B "):
        return _d("m4a", "audio/mp4", "MPEG-4 audio")
    if major in _MP4_BRANDS or brands & _MP4_BRANDS:
        return _d("mp4", "video/mp4", "MP4 video")
    brand = major.decode("latin-1").strip() or "?"
    printable = "".join(c if c.isprintable() else "?" for c in brand)
    return _d("isobmff", "application/octet-stream", f"ISO media file (brand '{printable}')")


def _classify_tiff(head: bytes) -> Detected:
    if head[2:4] in (b"+\x00", b"\x00+"):
        return _BIGTIFF
    raw = raw_sniff.classify_tiff_raw(head)
    return _d(*raw) if raw is not None else _TIFF


_HTML_MARKERS: Final = (
    "<!doctype html",
    "<html",
    "<head",
    "<body",
    "<script",
    "<iframe",
    "<meta ",
    "<title",
    "<style",
    "<div",
    "<a ",
    "<img",
    "<p>",
    "<table",
    "<form",
    "<link ",
    "<br",
    "<h1",
)


def _decode_text(head: bytes) -> str | None:
    """Decode ``head`` as text if it plausibly is text, else None."""
    if head.startswith(codecs.BOM_UTF8):
        data, encoding = head[3:], "utf-8"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data, encoding = head, "utf-16"
        if len(data) % 2:
            data = data[:-1]
    else:
        data, encoding = head, "utf-8"
    if b"\x00" in data and encoding == "utf-8":
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        # A multi-byte character cut off at the end of the head is fine.
        if encoding == "utf-8" and err.start >= len(data) - 3:
            text = data[: err.start].decode(encoding, errors="strict")
        else:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                return None
    if not text:
        return None
    printable = sum(1 for c in text if c.isprintable() or c in "\r\n\t\f")
    if printable / len(text) < 0.95:
        return None
    return text


def _classify_markup(text: str) -> Detected | None:
    lowered = text.lstrip().lower()
    if "<svg" in lowered:
        return _d("svg", "image/svg+xml", "SVG image")
    if any(marker in lowered for marker in _HTML_MARKERS):
        return _d("html", "text/html", "HTML document")
    if lowered.startswith("<"):
        return _d("xml", "application/xml", "XML document")
    return None


def _leading_markup(head: bytes) -> str | None:
    """The head as text if it *starts* like markup (binary may follow, as in a polyglot)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = head[: len(head) - len(head) % 2]
        text = data.decode("utf-16", errors="ignore")
    else:
        text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="ignore")
    text = text.split("\x00", 1)[0]
    return text if text.lstrip().startswith("<") else None


def _classify_text(head: bytes) -> Detected | None:
    markup = _leading_markup(head)
    if markup is not None:
        found = _classify_markup(markup)
        if found is not None:
            return found
    text = _decode_text(head)
    if text is None:
        return None
    found = _classify_markup(text)
    if found is not None and found.kind != "xml":
        return found
    if text.lstrip().lower().startswith("%!ps"):
        return _d("postscript", "application/postscript", "PostScript document")
    return _d("text", "text/plain", "plain text")


def detect(head: bytes) -> Detected:
    """Identify a file from its first bytes (pass at least :data:`SNIFF_BYTES` of them).

    Never raises; anything not recognised is ``kind="unknown"``, rejected.
    A file is judged by how it *starts*: a JPEG with HTML appended is a JPEG.
    """
    head = bytes(head[:SNIFF_BYTES])
    if not head:
        return _d("empty", "application/x-empty", "empty file")

    if head.startswith(b"\xff\xd8\xff"):
        return _JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if head.startswith(b"RIFF") and len(head) >= 12:
        form = head[8:12]
        if form == b"WEBP":
            return _WEBP
        if form == b"AVI ":
            return _d("avi", "video/x-msvideo", "AVI video")
        if form == b"WAVE":
            return _d("wav", "audio/wav", "WAV audio")
        return _d("riff", "application/octet-stream", "RIFF container")
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return _classify_tiff(head)
    raw = raw_sniff.raw_signature(head)
    if raw is not None:
        return _d(*raw)

    ftyp = _ftyp(head)
    if ftyp is not None:
        return _classify_isobmff(*ftyp)

    if head.startswith((b"GIF87a", b"GIF89a")):
        return _d("gif", "image/gif", "GIF image")
    if head.startswith(b"BM") and len(head) >= 18 and head[6:10] == b"\x00\x00\x00\x00":
        return _d("bmp", "image/bmp", "BMP image")
    if head[:4] == b"\x00\x00\x01\x00" and len(head) >= 6 and head[4:6] != b"\x00\x00":
        return _d("ico", "image/vnd.microsoft.icon", "ICO icon")
    if head[:4] == b"\x00\x00\x02\x00" and len(head) >= 6 and head[4:6] != b"\x00\x00":
        return _d("cur", "image/x-win-bitmap", "CUR cursor")
    if head.startswith(b"8BPS"):
        return _d("psd", "image/vnd.adobe.photoshop", "Photoshop document (PSD)")
    if head.startswith((b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")):
        return _d("jpeg2000", "image/jp2", "JPEG 2000 image")
    if head.startswith((b"\x00\x00\x00\x0cJXL \r\n\x87\n", b"\xff\x0a")):
        return _d("jpegxl", "image/jxl", "JPEG XL image")
    if head.startswith(b"\x8aMNG\r\n\x1a\n"):
        return _d("mng", "video/x-mng", "MNG animation")
    if head.startswith(b"\x8bJNG\r\n\x1a\n"):
        return _d("jng", "image/x-jng", "JNG image")
    if head.startswith(b"qoif"):
        return _d("qoi", "image/qoi", "QOI image")
    if head.startswith(b"v/1\x01"):
        return _d("exr", "image/x-exr", "OpenEXR image")
    if head.startswith(b"DDS "):
        return _d("dds", "image/vnd-ms.dds", "DDS texture")
    if head.startswith(b"%PDF-"):
        return _d("pdf", "application/pdf", "PDF document")
    if head.startswith((b"%!PS", b"\xc5\xd0\xd3\xc6")):
        return _d("postscript", "application/postscript", "PostScript document")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return _d("zip", "application/zip", "ZIP archive")
    if head.startswith(b"\x1f\x8b"):
        return _d("gzip", "application/gzip", "gzip archive")
    if head.startswith(b"BZh"):
        return _d("bzip2", "application/x-bzip2", "bzip2 archive")
    if head.startswith(b"\xfd7zXZ\x00"):
        return _d("xz", "application/x-xz", "xz archive")
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return _d("7z", "application/x-7z-compressed", "7-Zip archive")
    if head.startswith(b"Rar!\x1a\x07"):
        return _d("rar", "application/vnd.rar", "RAR archive")
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return _d("zstd", "application/zstd", "Zstandard archive")
    if len(head) >= 262 and head[257:262] == b"ustar":
        return _d("tar", "application/x-tar", "tar archive")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _d("matroska", "video/webm", "WebM/Matroska video")
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return _d("mp3", "audio/mpeg", "MP3 audio")
    if head.startswith(b"OggS"):
        return _d("ogg", "application/ogg", "Ogg media")
    if head.startswith(b"fLaC"):
        return _d("flac", "audio/flac", "FLAC audio")
    if head.startswith((b"\x7fELF", b"MZ")) or head[:4] in (
        b"\xcf\xfa\xed\xfe",
        b"\xce\xfa\xed\xfe",
        b"\xfe\xed\xfa\xcf",
        b"\xfe\xed\xfa\xce",
        b"\xca\xfe\xba\xbe",
    ):
        return _d("executable", "application/octet-stream", "executable program")

    text = _classify_text(head)
    if text is not None:
        return text
    return _UNKNOWN
