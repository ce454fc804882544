"""Safe opening of untrusted image files with Pillow.

Everything that decodes an upload goes through this module, so that the same rules hold
everywhere:

* Only the Pillow formats the caller names are tried (``Image.open(fp, formats=...)``);
  the caller gets them from the bytes (see :mod:`gallery.media.sniff`), never from a name.
* The pixel count is checked against ``max_pixels`` from the header, *before* any pixel is
  decoded (:class:`TooManyPixels`).  Pillow's own decompression-bomb guard is a second
  line of defence: its ``DecompressionBombError`` becomes :class:`TooManyPixels` too.
  Pillow's ``DecompressionBombWarning`` (raised above ``Image.MAX_IMAGE_PIXELS``, about
  89 MP, i.e. *below* the gallery's default 150 MP) is silenced while we open and decode:
  our own ``max_pixels`` check is the authority.  Pillow still refuses outright anything
  above ``2 * Image.MAX_IMAGE_PIXELS`` (about 179 MP); a deployment that wants a larger
  ``max_pixels`` must raise ``PIL.Image.MAX_IMAGE_PIXELS`` at start-up.
* Every decoder failure (``UnidentifiedImageError``, ``OSError``, ``SyntaxError``,
  ``ValueError``, ``struct.error``, ``EOFError``, ...) becomes :class:`UndecodableImage`
  with a short reason.  ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never switched on, so a
  truncated file fails :func:`decode_check`.  HEIC/HEIF/AVIF are checked for truncation
  from their container before they are opened (:mod:`gallery.media.bmff`): libheif would
  fill missing tiles with green instead of failing.
* Every decode reserves its cost in the process's decoding budget
  (:mod:`gallery.media.budget`) first, and waits its turn when the budget is full
  (:func:`decoded`, :func:`decode_check`).  The cost is what will actually be decoded: the
  size after ``draft`` (JPEG DCT scaling), Pillow's bytes per pixel for the mode, the
  decoder's own buffers for WebP/HEIF/AVIF, and whatever the caller says it will allocate
  next to the pixels (``working_bytes``).
* Multi-frame files (MPO, APNG, animated WebP/AVIF, HEIF collections) are reduced to
  their first frame.

Orientation
-----------
:func:`pending_orientation` returns the EXIF-style orientation (1..8) that still has to be
applied to the pixels the decoder delivers, which differs per format:

* JPEG/MPO, PNG, WebP, AVIF: the EXIF Orientation tag (Pillow also reads
  ``tiff:Orientation`` from XMP when there is no EXIF tag; Pillow's AVIF plugin reports the
  container's ``irot``/``imir`` transforms as an EXIF orientation instead of applying
  them).  PNG files may carry their ``eXIf`` chunk *after* the image data, so for PNG the
  tag is only certain after the image has been loaded.
* TIFF: Pillow reports the size already rotated and transposes the pixels itself while
  loading, so nothing is left to do: 1.
* HEIF/HEIC (pillow-heif): libheif applies the ``irot``/``imir`` container transforms when
  decoding and pillow-heif resets the EXIF orientation to 1 (it keeps the file's value in
  ``info["original_orientation"]``), so the size it reports is already upright: 1.

Only the standard library and Pillow (with the pillow-heif plugin) are imported.
"""

from __future__ import annotations

import os
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Final

from PIL import ExifTags, Image, ImageFile, PngImagePlugin, UnidentifiedImageError

from gallery.media import bmff, budget

__all__ = [
    "ALL_FORMATS",
    "DEFAULT_MAX_PIXELS",
    "ImageError",
    "ImageInfo",
    "TooManyPixels",
    "UndecodableImage",
    "decode_check",
    "decode_cost_mp",
    "decoded",
    "ensure_heif_opener",
    "open_image",
    "oriented_size",
    "pending_orientation",
    "probe",
    "source_orientation",
    "validate_formats",
]

#: Pillow format names of every photo format the gallery decodes.
ALL_FORMATS: Final[tuple[str, ...]] = ("JPEG", "PNG", "WEBP", "TIFF", "HEIF", "AVIF")

#: The gallery's default pixel limit (``GALLERY_MAX_PIXELS``).
DEFAULT_MAX_PIXELS: Final[int] = 150_000_000

#: Bytes a decoder holds per pixel *besides* Pillow's image while it decodes, measured
#: (peak RSS growth over Pillow's own 4 bytes per RGB pixel) with Pillow 12.3 and
#: pillow-heif 1.8: WebP goes through libwebp's animation decoder (canvas, frame and a copy),
#: HEIF and AVIF through their own YCbCr and RGB planes.  JPEG, PNG and TIFF decode into
#: Pillow's image directly.
_DECODER_BYTES_PER_PIXEL: Final[dict[str, int]] = {"WEBP": 12, "HEIF": 4, "AVIF": 6}

#: Formats whose container is checked for truncation before opening.
_BMFF_FORMATS: Final[frozenset[str]] = frozenset({"HEIF", "AVIF"})

#: Formats whose decoder delivers upright pixels (see the module docstring).
_SELF_ORIENTING_FORMATS: Final[frozenset[str]] = frozenset({"TIFF", "HEIF"})

#: Everything a Pillow decoder is known to raise on bad input.
_DECODE_ERRORS: Final[tuple[type[BaseException], ...]] = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    struct.error,
    EOFError,
    zlib.error,
    OverflowError,
    ZeroDivisionError,
    AttributeError,
    RuntimeError,
)

ImageSource = BinaryIO | str | os.PathLike[str]


class ImageError(Exception):
    """Base class of the errors raised here."""


class TooManyPixels(ImageError):
    """The image has more pixels than allowed.

    ``width``/``height`` are the header's dimensions; they are ``None`` when Pillow's own
    decompression-bomb guard stopped the file before its size could be read.
    """

    def __init__(self, width: int | None, height: int | None, max_pixels: int, *, detail: str = "") -> None:
        self.width = width
        self.height = height
        self.max_pixels = max_pixels
        if width is not None and height is not None:
            message = f"image has too many pixels: {width}x{height} = {width * height:,} (the limit is {max_pixels:,})"
        else:
            message = f"image has too many pixels (the limit is {max_pixels:,})"
        if detail:
            message = f"{message}: {detail}"
        super().__init__(message)


class UndecodableImage(ImageError):
    """The bytes could not be decoded as an image of an allowed format."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"could not decode image: {reason}")


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What :func:`probe` learns from an image's headers.

    ``width``/``height`` are the dimensions of the pixels the decoder delivers,
    ``orientation`` the transform (EXIF semantics, 1..8) still to apply to them and
    ``oriented_width``/``oriented_height`` the upright (display) dimensions.
    ``source_orientation`` is the orientation the file itself declares (EXIF/XMP/TIFF tag,
    HEIF's original EXIF value; 1 when there is none), for information only: for TIFF and
    HEIF the decoder applies it itself and ``orientation`` is 1 (see the module docstring).
    ``frames`` counts frames/pages/top-level images; only the first one is used.
    """

    width: int
    height: int
    oriented_width: int
    oriented_height: int
    format: str
    mode: str
    frames: int
    orientation: int
    source_orientation: int = 1


_heif_lock = threading.Lock()


def ensure_heif_opener() -> None:
    """Register pillow-heif's HEIF opener with Pillow, once (idempotent, thread-safe).

    Nothing is done when some other code already registered a "HEIF" opener.  AVIF needs
    no plugin: Pillow 12 decodes it natively (format "AVIF").
    """
    if "HEIF" in Image.OPEN:
        return
    with _heif_lock:
        if "HEIF" in Image.OPEN:
            return
        import pillow_heif  # heavy import, done once

        pillow_heif.register_heif_opener()


def validate_formats(formats: tuple[str, ...]) -> tuple[str, ...]:
    """Upper-cased ``formats``, after checking Pillow has an opener for each.

    Registers the HEIF opener when "HEIF" is asked for.  Raises ``ValueError`` otherwise
    (a programming error, not bad input).  Note that "MPO" is no opener: MPO files come
    from the "JPEG" opener.
    """
    formats = tuple(f.upper() for f in formats)
    if not formats:
        raise ValueError("at least one image format must be allowed")
    if "HEIF" in formats:
        ensure_heif_opener()
    Image.init()
    unknown = [f for f in formats if f not in Image.OPEN]
    if unknown:
        raise ValueError(f"unknown Pillow format(s) {unknown}; registered openers: {sorted(Image.OPEN)}")
    return formats


@contextmanager
def _pillow_guard(max_pixels: int, img: Image.Image | None = None, formats: tuple[str, ...] = ()) -> Iterator[None]:
    """Translate Pillow's exceptions into ours while opening or decoding.

    ``warnings.catch_warnings`` swaps the process-wide filter list; when two threads race
    here the worst outcome is that the "ignore DecompressionBombWarning" filter lingers,
    which is harmless because :func:`open_image` checks ``max_pixels`` itself.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    except Image.DecompressionBombError as exc:
        width, height = img.size if img is not None else (None, None)
        raise TooManyPixels(width, height, max_pixels, detail=str(exc)) from exc
    except ImageError:
        raise
    except MemoryError as exc:
        raise UndecodableImage("not enough memory to decode it") from exc
    except UnidentifiedImageError as exc:  # its message names the file: keep that out
        allowed = ", ".join(formats) if formats else "the allowed formats"
        raise UndecodableImage(f"not an image of an accepted type ({allowed})") from exc
    except _DECODE_ERRORS as exc:
        raise UndecodableImage(_reason(exc)) from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if len(text) > 200:
        text = text[:197] + "..."
    return text


def _check_pixels(img: Image.Image, max_pixels: int) -> None:
    width, height = img.size
    if width <= 0 or height <= 0:
        raise UndecodableImage(f"invalid dimensions {width}x{height}")
    if width * height > max_pixels:
        raise TooManyPixels(width, height, max_pixels)


def open_image(
    fp: ImageSource,
    *,
    formats: tuple[str, ...] = ALL_FORMATS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Open an image lazily: headers are read and checked, no pixel is decoded yet.

    The first frame is selected.  Decoding happens on ``load()`` (see :func:`decode_check`),
    so a JPEG returned here can still be ``draft()``-ed to a smaller DCT scale.
    Raises :class:`TooManyPixels` when ``width * height > max_pixels`` and
    :class:`UndecodableImage` when the header is not a valid image of one of ``formats``.
    The caller owns the returned image (close it, or use it as a context manager).
    """
    if max_pixels <= 0:
        raise ValueError("max_pixels must be positive")
    formats = validate_formats(formats)
    if _BMFF_FORMATS.intersection(formats):
        _refuse_truncated_bmff(fp)
    img: Image.Image | None = None
    try:
        with _pillow_guard(max_pixels, formats=formats):
            img = Image.open(fp, formats=list(formats))
        with _pillow_guard(max_pixels, img):
            _check_pixels(img, max_pixels)
            if getattr(img, "n_frames", 1) > 1 and img.tell() != 0:
                img.seek(0)
            _check_pixels(img, max_pixels)
    except BaseException:
        if img is not None:
            img.close()
        raise
    return img


def _refuse_truncated_bmff(fp: ImageSource) -> None:
    """:class:`UndecodableImage` when an ISO-BMFF file (HEIC/HEIF/AVIF) is cut short."""
    if isinstance(fp, (str, os.PathLike)):
        with open(fp, "rb") as handle:
            _refuse_truncated_bmff(handle)
        return
    position = fp.tell()
    head = fp.read(12)
    fp.seek(position)
    if not bmff.is_bmff(head):
        return  # not a container file: Pillow will say what it is
    reason = bmff.find_truncation(fp)
    if reason is not None:
        raise UndecodableImage(reason)


def _bytes_per_pixel(mode: str) -> int:
    """Bytes per pixel of Pillow's in-memory image: RGB is stored as 4, like RGBA."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith(("I;16", "BGR;1")):
        return 2
    return 4


def decode_cost_mp(img: Image.Image, *, working_bytes: int = 0) -> float:
    """Budget megapixels for decoding ``img`` at its current (possibly drafted) size, plus
    ``working_bytes`` that the caller allocates next to the decoded pixels."""
    width, height = img.size
    per_pixel = _bytes_per_pixel(img.mode) + _DECODER_BYTES_PER_PIXEL.get(str(img.format), 0)
    return budget.megapixels(width * height * per_pixel + working_bytes)


@contextmanager
def decoded(
    img: Image.Image,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    working_bytes: int = 0,
    priority: bool = False,
) -> Iterator[Image.Image]:
    """Decode ``img`` within the process's decoding budget and hold its share for the block.

    Waits for room in the budget first (:meth:`gallery.media.budget.DecodeBudget.reserve`;
    ``priority`` for work on photos already accepted), so raises
    :class:`gallery.media.budget.BudgetWaitExceeded` when none frees up in time, and
    :class:`UndecodableImage`/:class:`TooManyPixels` like :func:`decode_check`.  Work on the
    decoded pixels inside the block; the caller should close the image soon after it.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # pragma: no cover - a configuration mistake
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    with budget.current().reserve(decode_cost_mp(img, working_bytes=working_bytes), priority=priority):
        with _pillow_guard(max_pixels, img):
            img.load()
        _check_pixels(img, max_pixels)
        yield img


def decode_check(img: Image.Image, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """Decode the pixels (``img.load()``) within the decoding budget; raise
    :class:`UndecodableImage` if that fails.  Close the image right after (its share of the
    budget is given back on return), or use :func:`decoded` to work on the pixels.

    Truncated files fail here because ``ImageFile.LOAD_TRUNCATED_IMAGES`` stays False.
    """
    with decoded(img, max_pixels=max_pixels):
        pass


def source_orientation(img: Image.Image) -> int:
    """The orientation (1..8) the file declares; 1 when absent or invalid."""
    if img.format == "HEIF":
        value = img.info.get("original_orientation", 1)
    elif img.format == "TIFF" and hasattr(img, "tag_v2"):
        value = img.tag_v2.get(ExifTags.Base.Orientation, 1)  # removed once loaded
    else:
        value = _exif_orientation(img)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def pending_orientation(img: Image.Image) -> int:
    """The orientation (1..8, EXIF semantics) still to apply to ``img``'s decoded pixels.

    For TIFF and HEIF the decoder applies it itself, so this is 1 (module docstring).
    Unknown, missing or corrupt values count as 1.
    """
    if img.format in _SELF_ORIENTING_FORMATS:
        return 1
    return _exif_orientation(img)


def _exif_orientation(img: Image.Image) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if isinstance(img, PngImagePlugin.PngImageFile) and "exif" not in img.info:
                # Pillow's PNG getexif() decodes every pixel (outside the decoding budget) to
                # look for an eXIf chunk after the image data.  Read what the headers say
                # (eXIf before the data, XMP), and do not cache it: once the image is
                # decoded, a late eXIf chunk is in img.info and read then.
                value = Image.Image.getexif(img).get(ExifTags.Base.Orientation, 1)
                img._exif = None
            else:
                value = img.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # noqa: BLE001 - corrupt EXIF must not stop the image
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def oriented_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """``size`` after applying ``orientation`` (5..8 swap width and height)."""
    width, height = size
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def probe(
    fp: ImageSource,
    *,
    formats: tuple[str, ...] = ALL_FORMATS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ImageInfo:
    """Read an image's headers (no pixel decoding) and describe it.

    Raises :class:`TooManyPixels` or :class:`UndecodableImage` like :func:`open_image`.
    A PNG whose ``eXIf`` chunk follows the image data reports orientation 1 here.
    """
    with open_image(fp, formats=formats, max_pixels=max_pixels) as img, _pillow_guard(max_pixels, img):
        frames = int(getattr(img, "n_frames", 1) or 1)
        if img.tell() != 0:
            img.seek(0)
        orientation = pending_orientation(img)
        declared = source_orientation(img)
        width, height = img.size
        oriented_width, oriented_height = oriented_size(img.size, orientation)
        return ImageInfo(
            width=width,
            height=height,
            oriented_width=oriented_width,
            oriented_height=oriented_height,
            format=str(img.format),
            mode=img.mode,
            frames=frames,
            orientation=orientation,
            source_orientation=declared,
        )
