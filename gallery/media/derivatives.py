"""Web derivatives of an original photo: resized JPEG and WebP renditions.

:func:`render_derivatives` turns one original into, for every configured size (the long
edge in pixels, default 400, 1024 and 2048), a progressive optimised JPEG (quality 82,
4:2:0) and a WebP (quality 80, libwebp's default method 4).

How it is done, and why
-----------------------
* **Decode once, as small as possible.**  For JPEG sources ``Image.draft`` asks libjpeg to
  decode at the smallest DCT scale (1/1, 1/2, 1/4 or 1/8) that still covers the largest
  size needed, so a 24 MP photo rendered up to 2048 px is decoded at 3000x2000.  Other
  formats are decoded at full size.  The image is decoded once; no size re-opens it.
* **Within the decoding budget.**  The whole render holds its share of the process's
  decoding budget (:func:`gallery.media.images.decoded`): the decoded pixels, a converted
  copy when they are not 8-bit yet, and the first resize's intermediate.  Renders have
  priority over checks of new uploads and wait for room without a time limit (the photo is
  already accepted).
* **Resize, then cascade.**  The largest size is resized from the decoded pixels with
  bicubic (``reducing_gap=3``: an integer box ``reduce`` first only when the ratio is 6 or
  more); every smaller size is
  resized from the previous, larger derivative, never from the original.
* **Orientation** (EXIF semantics, see :func:`gallery.media.images.pending_orientation`)
  is applied after the first resize, where transposing is cheap.  Resizing commutes with
  transposition, so this is the same picture as rotating first.  The tag is read from the
  source's own metadata, which ``draft`` does not touch.  Derivatives carry no
  orientation tag: their pixels are upright.
* **Colour.**  Pixels become 8-bit first: 16-bit greyscale (``I;16*``) is divided by 256
  (not clipped), ``I``/``F`` are scaled from their value range, palette images become
  RGB or RGBA (with their transparency), bilevel becomes ``L``, CIELab goes through
  LittleCMS.  An embedded ICC profile (RGB such as Adobe RGB or Display P3, CMYK including
  Adobe-inverted CMYK JPEGs, greyscale) is converted to sRGB with LittleCMS (perceptual
  intent, which matrix profiles answer with relative colorimetric; black-point
  compensation) after the first resize, on the smaller image.  Profiles that are sRGB by
  name are left alone; unreadable profiles, or profiles whose colour space does not match
  the pixels, are ignored (the pixels are taken as sRGB).  CMYK without a profile uses
  Pillow's conversion.  The output is untagged, which on the web means sRGB: no ICC
  profile is embedded.
* **Alpha** is flattened onto white for JPEG and kept for WebP; an alpha channel that is
  opaque everywhere is dropped first.  Greyscale stays greyscale in JPEG.
* **Metadata.**  Derivatives carry no EXIF, XMP or ICC data, except the photo credit and
  copyright, when given, as EXIF ``Artist`` (0x013B) and ``Copyright`` (0x8298), UTF-8
  encoded.  Never GPS, never the source's EXIF.
* **Never upscaled.**  When the photo is smaller than a size, that size is rendered at the
  photo's own size.  Sizes that would produce identical dimensions are rendered once, under
  the smallest size label that reaches them: a 800x600 photo with sizes (400, 1024, 2048)
  yields ``long_edge`` 400 (400x300) and 1024 (800x600), and no 2048.

Storage keys: :func:`original_key` (content addressed) and :func:`derivative_key` (content and
media version).

Only the standard library and Pillow (with pillow-heif) are imported.
"""

from __future__ import annotations

import io
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Final, Literal

from PIL import Image, JpegImagePlugin

from gallery.media.blur import Box, obscure
from gallery.media.encode import credit_exif, encode_jpeg, encode_webp
from gallery.media.images import (
    ALL_FORMATS,
    DEFAULT_MAX_PIXELS,
    ImageError,
    decoded,
    open_image,
    oriented_size,
    pending_orientation,
    validate_formats,
)
from gallery.media.pixels import BAND_ROWS, TRANSPOSE, drop_opaque_alpha, resize, to_8bit, to_srgb
from gallery.media.sniff import canonical_extension

__all__ = [
    "DEFAULT_JPEG_QUALITY",
    "DEFAULT_SIZES",
    "DEFAULT_WEBP_QUALITY",
    "DerivativeError",
    "DerivativeSpec",
    "PlannedSize",
    "RenderStats",
    "RenderedDerivative",
    "check_media_version",
    "derivative_key",
    "fitted_box",
    "original_key",
    "plan_sizes",
    "render_derivatives",
]

DEFAULT_SIZES: Final[tuple[int, ...]] = (400, 1024, 2048)
DEFAULT_JPEG_QUALITY: Final[int] = 82
DEFAULT_WEBP_QUALITY: Final[int] = 80

DerivativeFormat = Literal["jpeg", "webp"]

#: Derivative formats (and the alias "jpg") by media type; extensions come from the one table.
_FORMAT_MIMES: Final[dict[str, str]] = {"jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp"}
_HEX: Final[frozenset[str]] = frozenset("0123456789abcdef")


class DerivativeError(Exception):
    """Derivatives could not be rendered; ``__cause__`` holds the underlying error."""


@dataclass(frozen=True, slots=True)
class DerivativeSpec:
    """One configured derivative size: the limit of the long edge, in pixels.

    (Named ``width_limit`` for historical reasons; it bounds the *long* edge, so a
    portrait photo's derivative is ``width_limit`` pixels high.)
    """

    width_limit: int

    def __post_init__(self) -> None:
        if not isinstance(self.width_limit, int) or isinstance(self.width_limit, bool) or self.width_limit <= 0:
            raise ValueError(f"derivative size must be a positive integer, not {self.width_limit!r}")


@dataclass(frozen=True, slots=True)
class RenderedDerivative:
    """One encoded derivative.

    ``long_edge`` is the configured size label it was rendered for (use it in
    :func:`derivative_key`); ``width``/``height`` are its actual pixel dimensions.
    """

    long_edge: int
    width: int
    height: int
    format: DerivativeFormat
    data: bytes = field(repr=False)

    @property
    def extension(self) -> str:
        return canonical_extension(self.mime)

    @property
    def mime(self) -> str:
        return _FORMAT_MIMES[self.format]


@dataclass(frozen=True, slots=True)
class PlannedSize:
    """A size label and the upright dimensions it renders at (see :func:`plan_sizes`)."""

    long_edge: int
    width: int
    height: int


@dataclass(slots=True)
class RenderStats:
    """Diagnostics filled in by :func:`render_derivatives` when one is passed.

    ``source_size`` is the size in the file's header, ``decode_size`` the size of the
    pixels actually decoded (smaller than the source when ``draft`` was used) and
    ``draft_scale`` the DCT scale denominator (1, 2, 4 or 8).  ``color`` says what was
    done to the colours ("icc:<profile description>", "srgb-profile", "cmyk", "none", ...).
    ``elapsed`` is wall-clock seconds, ``cpu_time`` process CPU seconds.
    """

    source_format: str = ""
    source_mode: str = ""
    source_size: tuple[int, int] = (0, 0)
    decode_size: tuple[int, int] = (0, 0)
    draft_scale: int = 1
    orientation: int = 1
    oriented_size: tuple[int, int] = (0, 0)
    color: str = ""
    elapsed: float = 0.0
    cpu_time: float = 0.0


# --------------------------------------------------------------------------------------
# Sizes and keys


def fitted_box(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """Dimensions of a ``width`` x ``height`` image scaled so its long edge is at most
    ``long_edge``, aspect preserved (rounded to the nearest pixel, at least 1).

    Never upscales: an image that already fits is returned at its own size.
    """
    if width <= 0 or height <= 0 or long_edge <= 0:
        raise ValueError(f"invalid dimensions {width}x{height} / {long_edge}")
    if max(width, height) <= long_edge:
        return width, height
    if width >= height:
        return long_edge, max(1, (2 * height * long_edge + width) // (2 * width))
    return max(1, (2 * width * long_edge + height) // (2 * height)), long_edge


def _size_labels(sizes: Sequence[int | DerivativeSpec]) -> list[int]:
    labels: set[int] = set()
    for size in sizes:
        value = size.width_limit if isinstance(size, DerivativeSpec) else size
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"derivative size must be a positive integer, not {value!r}")
        labels.add(value)
    return sorted(labels)


def plan_sizes(width: int, height: int, sizes: Sequence[int | DerivativeSpec]) -> list[PlannedSize]:
    """The derivatives to render for an upright ``width`` x ``height`` image, smallest first.

    Sizes that produce the same dimensions (the image is smaller than them) are kept once,
    under the smallest label.
    """
    planned: list[PlannedSize] = []
    for label in _size_labels(sizes):
        w, h = fitted_box(width, height, label)
        if planned and (planned[-1].width, planned[-1].height) == (w, h):
            continue
        planned.append(PlannedSize(label, w, h))
    return planned


def _check_sha256(sha256: str) -> None:
    if len(sha256) != 64 or not set(sha256) <= _HEX:
        raise ValueError("sha256 must be 64 lower-case hexadecimal digits")


def original_key(sha256: str) -> str:
    """Storage key of an original: ``originals/sha256/ab/cd/abcd…`` (content addressed)."""
    _check_sha256(sha256)
    return f"originals/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def check_media_version(version: str) -> str:
    """``version`` if it is a media version (8 to 32 lower-case hexadecimal digits), else ``ValueError``."""
    if not isinstance(version, str) or not 8 <= len(version) <= 32 or not set(version) <= _HEX:
        raise ValueError(f"invalid media version {version!r}")
    return version


def derivative_key(sha256: str, version: str, long_edge: int, fmt: str) -> str:
    """Storage key of a derivative: ``derivatives/<sha256>/<version>/<long_edge>.<jpg|webp>``.

    ``version`` is the photo's media version (``Photo.media_version``): a new one retires every
    old URL of the photo.  ``long_edge`` is the number in the name (the pixel width, as
    :mod:`gallery.photos.process` uses it).
    """
    _check_sha256(sha256)
    check_media_version(version)
    if not isinstance(long_edge, int) or isinstance(long_edge, bool) or long_edge <= 0:
        raise ValueError(f"invalid derivative size {long_edge!r}")
    try:
        ext = canonical_extension(_FORMAT_MIMES[fmt.lower()])
    except KeyError:
        raise ValueError(f"unknown derivative format {fmt!r}") from None
    return f"derivatives/{sha256}/{version}/{long_edge}.{ext}"


# --------------------------------------------------------------------------------------
# The renderer


def render_derivatives(
    img_or_fp: Image.Image | bytes | BinaryIO | str | os.PathLike[str],
    *,
    sizes: Sequence[int | DerivativeSpec] = DEFAULT_SIZES,
    credit: str | None = None,
    copyright: str | None = None,  # the EXIF field's name
    jpeg_quality: int = DEFAULT_JPEG_QUALITY,
    webp_quality: int = DEFAULT_WEBP_QUALITY,
    stats: RenderStats | None = None,
    formats: tuple[str, ...] = ALL_FORMATS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    blur: Sequence[Box] = (),
    release: bool = False,
) -> list[RenderedDerivative]:
    """Render every size as JPEG and WebP; smallest first, JPEG before WebP per size.

    ``blur``: areas of the upright image (fractions, :mod:`gallery.media.blur`) obscured beyond
    recognition in every size -- on the largest size, from which the smaller ones are cascaded.

    ``img_or_fp`` is an image from :func:`gallery.media.images.open_image` (pass it
    *unloaded* so that JPEG draft decoding can work), or bytes, a binary file object or a
    path, which are opened here with ``formats`` and ``max_pixels``.  The image is
    decoded here; the caller keeps ownership of an image it passed in, which is left
    drafted (smaller) and loaded -- unless ``release``: then the image is closed (its
    decoded pixels freed) as soon as the largest size is resized from them, so that the
    decoding is not held while the sizes are encoded.  An image opened here is always
    released so.  An image the caller already loaded is used as it is, at full decoding cost.

    Raises :class:`DerivativeError` (with the cause chained) when anything fails, and
    ``ValueError`` for invalid arguments.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    labels = _size_labels(sizes)
    for name, quality in (("jpeg_quality", jpeg_quality), ("webp_quality", webp_quality)):
        if not isinstance(quality, int) or not 1 <= quality <= 100:
            raise ValueError(f"{name} must be an integer from 1 to 100")
    exif = credit_exif(credit, copyright)
    stats = stats if stats is not None else RenderStats()
    if not isinstance(img_or_fp, Image.Image):
        formats = validate_formats(formats)

    try:
        if isinstance(img_or_fp, Image.Image):
            result = _render(img_or_fp, labels, exif, (jpeg_quality, webp_quality), stats, max_pixels, blur, release)
        else:
            source = io.BytesIO(img_or_fp) if isinstance(img_or_fp, (bytes, bytearray, memoryview)) else img_or_fp
            with open_image(source, formats=formats, max_pixels=max_pixels) as img:
                result = _render(img, labels, exif, (jpeg_quality, webp_quality), stats, max_pixels, blur, True)
    except DerivativeError:
        raise
    except ImageError as exc:
        raise DerivativeError(str(exc)) from exc
    except Exception as exc:  # one failure type for callers, cause kept
        raise DerivativeError(f"could not render derivatives: {exc or type(exc).__name__}") from exc
    finally:
        stats.elapsed = time.perf_counter() - started
        stats.cpu_time = time.process_time() - cpu_started
    return result


def _render(
    img: Image.Image,
    labels: list[int],
    exif: bytes,
    qualities: tuple[int, int],
    stats: RenderStats,
    max_pixels: int,
    blur: Sequence[Box],
    release: bool,
) -> list[RenderedDerivative]:
    stats.source_format = str(img.format or "")
    stats.source_mode = img.mode
    source_size = img.size
    stats.source_size = source_size
    if not labels:
        return []

    # 1. Decode, at the smallest JPEG DCT scale that still serves the largest size.
    drafted = False
    if isinstance(img, JpegImagePlugin.JpegImageFile) and img.tile:
        orientation = pending_orientation(img)  # JPEG: EXIF is before the image data
        plan = plan_sizes(*oriented_size(source_size, orientation), labels)
        largest = plan[-1]
        box = oriented_size((largest.width, largest.height), orientation)  # back to stored
        if box != source_size and img.draft(img.mode, box) is not None:
            drafted = True
    working = _working_bytes(img, max(labels))
    with decoded(img, max_pixels=max_pixels, working_bytes=working, priority=True):
        return _render_decoded(img, source_size, drafted, labels, exif, qualities, stats, blur, release)


def _working_bytes(img: Image.Image, largest_label: int) -> int:
    """Memory the render allocates next to the decoded pixels of ``img`` (at its drafted
    size): a converted copy when they are not 8-bit L/RGB/CMYK yet (``to_8bit``,
    ``drop_opaque_alpha``), the first resize's result and the intermediate of one band of
    its rows (:func:`gallery.media.pixels.resize`: new long edge x the old rows of a band)."""
    width, height = img.size
    pixels = width * height
    copies = 0
    if img.mode.startswith("I") or img.mode == "F":
        copies = 9  # to I (4), scaled (4), to L (1)
    elif img.mode not in ("L", "RGB", "LA", "RGBA", "CMYK") or "transparency" in img.info:
        copies = 4
    elif img.mode in ("LA", "RGBA"):
        copies = 5  # the alpha channel, and the copy without it when it is opaque
    long_edge = max(width, height)
    scale = min(1.0, largest_label / long_edge)
    resized = math.ceil(width * scale) * math.ceil(height * scale)
    band = math.ceil(long_edge * scale) * min(long_edge, math.ceil(BAND_ROWS / scale) + 8)
    return pixels * copies + (resized + band) * 4


def _render_decoded(  # the steps after decoding, within its reservation
    img: Image.Image,
    source_size: tuple[int, int],
    drafted: bool,
    labels: list[int],
    exif: bytes,
    qualities: tuple[int, int],
    stats: RenderStats,
    blur: Sequence[Box],
    release: bool,
) -> list[RenderedDerivative]:
    stats.decode_size = img.size
    stats.draft_scale = max(1, round(source_size[0] / img.size[0])) if drafted else 1

    # 2. Plan from the full-resolution upright size.  Orientation is read again after
    #    decoding: PNG may carry its eXIf chunk after the pixels, TIFF is upright now.
    full_size = source_size if drafted else img.size
    orientation = pending_orientation(img)
    stats.orientation = orientation
    upright = oriented_size(full_size, orientation)
    stats.oriented_size = upright
    plan = plan_sizes(*upright, labels)

    # 3. Normalise to 8 bits, resize to the largest size (in stored orientation), make it
    #    upright, then convert the (now small) image to sRGB.
    icc = img.info.get("icc_profile")
    work = drop_opaque_alpha(to_8bit(img))
    if release and work is not img:
        img.close()  # converted: the copy is all the rest needs
    largest = plan[-1]
    work = resize(work, oriented_size((largest.width, largest.height), orientation))
    if release and work is not img:
        img.close()  # the decoding (3000x2000 of a 24 MP JPEG: 24 MB) is not needed for the rest
    if orientation in TRANSPOSE:
        work = work.transpose(TRANSPOSE[orientation])
    work, stats.color = to_srgb(work, bytes(icc) if isinstance(icc, (bytes, bytearray)) else None)
    if blur:  # upright now, so the boxes' fractions are those of the photo as displayed
        work = obscure(work, blur)
    jpeg_quality, webp_quality = qualities

    # 4. Encode, cascading each smaller size from the previous one.
    rendered: list[RenderedDerivative] = []
    for planned in reversed(plan):
        work = resize(work, (planned.width, planned.height))
        if work.size != (planned.width, planned.height):  # pragma: no cover - defensive
            raise DerivativeError(f"resize produced {work.size}, expected {planned}")
        rendered.append(
            RenderedDerivative(
                planned.long_edge,
                planned.width,
                planned.height,
                "webp",
                encode_webp(work, webp_quality, exif),
            )
        )
        rendered.append(
            RenderedDerivative(
                planned.long_edge,
                planned.width,
                planned.height,
                "jpeg",
                encode_jpeg(work, jpeg_quality, exif),
            )
        )
    rendered.reverse()
    return rendered
