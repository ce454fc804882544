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

Storage keys are content addressed: :func:`original_key` and :func:`derivative_key`.

Only the standard library and Pillow (with pillow-heif) are imported.
"""

from __future__ import annotations

import functools
import io
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, cast

from PIL import Image, ImageCms, JpegImagePlugin

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

__all__ = [
    "DEFAULT_JPEG_QUALITY",
    "DEFAULT_SIZES",
    "DEFAULT_WEBP_QUALITY",
    "DerivativeError",
    "DerivativeSpec",
    "PlannedSize",
    "RenderStats",
    "RenderedDerivative",
    "derivative_key",
    "fitted_box",
    "original_key",
    "plan_sizes",
    "render_derivatives",
]

DEFAULT_SIZES: Final[tuple[int, ...]] = (400, 1024, 2048)
DEFAULT_JPEG_QUALITY: Final[int] = 82
DEFAULT_WEBP_QUALITY: Final[int] = 80
#: libwebp's default effort; kept on purpose (lower is visibly worse per byte).
WEBP_METHOD: Final[int] = 4
#: Pillow's ``reducing_gap``: box-``reduce`` first only for ratios of at least 2 x this.
REDUCING_GAP: Final[float] = 3.0

DerivativeFormat = Literal["jpeg", "webp"]

_EXTENSIONS: Final[dict[str, str]] = {"jpeg": "jpg", "jpg": "jpg", "webp": "webp"}
_HEX: Final[frozenset[str]] = frozenset("0123456789abcdef")

_TRANSPOSE: Final[dict[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

#: Descriptions of embedded profiles that are sRGB already (no conversion needed).
_SRGB_DESCRIPTIONS: Final[frozenset[str]] = frozenset(
    {"srgb", "srgb iec61966-2.1", "srgb iec61966-2-1", "srgb iec61966-2-1 black scaled", "srgb built-in"}
)

_EXIF_ARTIST: Final[int] = 0x013B
_EXIF_COPYRIGHT: Final[int] = 0x8298


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
        return _EXTENSIONS[self.format]

    @property
    def mime(self) -> str:
        return "image/jpeg" if self.format == "jpeg" else "image/webp"


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


def derivative_key(sha256: str, long_edge: int, fmt: str) -> str:
    """Storage key of a derivative: ``derivatives/<sha256>/<long_edge>.<jpg|webp>``.

    ``long_edge`` is the size label (:attr:`RenderedDerivative.long_edge`), not the pixel
    width: labels are unique per original, widths of very thin images may not be.
    """
    _check_sha256(sha256)
    if not isinstance(long_edge, int) or isinstance(long_edge, bool) or long_edge <= 0:
        raise ValueError(f"invalid derivative size {long_edge!r}")
    try:
        ext = _EXTENSIONS[fmt.lower()]
    except KeyError:
        raise ValueError(f"unknown derivative format {fmt!r}") from None
    return f"derivatives/{sha256}/{long_edge}.{ext}"


# --------------------------------------------------------------------------------------
# Pixels


def _scale_to_l(img: Image.Image, lo: float, hi: float, *, unit: float | None = None) -> Image.Image:
    """Map ``I``/``F`` values to 8 bits: by ``unit`` (value of white) or lo..hi linearly."""
    if unit is not None:
        factor, offset = 255.0 / unit, 0.0
    elif hi > lo:
        factor, offset = 255.0 / (hi - lo), -lo * 255.0 / (hi - lo)
    else:
        factor, offset = 0.0, min(max(lo, 0.0), 255.0)
    source = img if img.mode == "F" else img.convert("F")
    return source.point(lambda v: v * factor + offset).convert("L")


def _wide_to_l(img: Image.Image) -> Image.Image:
    """16-bit, 32-bit integer and float greyscale -> 8-bit ``L``, scaled, never clipped."""
    if img.mode.startswith("I;16"):
        # 16-bit unsigned: white is 65535, so divide by 256 (65535 / 256 -> 255).
        return img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    lo, hi = cast(tuple[float, float], img.getextrema())
    if img.mode == "I":
        if lo >= 0 and hi <= 255:
            return img.convert("L")
        if lo >= 0 and hi <= 65535:
            return img.point(lambda v: v * (1 / 256)).convert("L")
        return _scale_to_l(img, lo, hi)
    if lo >= 0 and hi <= 1.0:
        return _scale_to_l(img, lo, hi, unit=1.0)
    if lo >= 0 and hi <= 255:
        return _scale_to_l(img, lo, hi, unit=255.0)
    if lo >= 0 and hi <= 65535:
        return _scale_to_l(img, lo, hi, unit=65535.0)
    return _scale_to_l(img, lo, hi)


def _to_8bit(img: Image.Image) -> Image.Image:
    """Any Pillow mode -> one of L, LA, RGB, RGBA, CMYK (CMYK is converted later)."""
    mode = img.mode
    if mode in ("L", "RGB"):
        if "transparency" in img.info:
            return img.convert("LA" if mode == "L" else "RGBA")
        return img
    if mode in ("LA", "RGBA", "CMYK"):
        return img
    if mode == "1":
        return img.convert("L")
    if mode in ("P", "PA"):
        return img.convert("RGBA" if mode == "PA" or img.has_transparency_data else "RGB")
    if mode.startswith("I;16") or mode in ("I", "F"):
        grey = _wide_to_l(img)
        if "transparency" in img.info:  # tRNS on 16-bit greyscale: Pillow compares 16-bit
            grey = Image.merge("LA", (grey, img.convert("LA").getchannel("A")))
        return grey
    if mode == "La":
        return img.convert("LA")
    if mode == "RGBa":
        return img.convert("RGBA")
    if mode == "LAB":
        converted = ImageCms.profileToProfile(
            img, ImageCms.createProfile("LAB"), _srgb_profile(), outputMode="RGB"
        )
        if converted is None:  # pragma: no cover - only with inPlace=True
            raise DerivativeError("CIELab conversion failed")
        return converted
    return img.convert("RGB")  # RGBX, YCbCr, HSV, ...


def _drop_opaque_alpha(img: Image.Image) -> Image.Image:
    if img.mode in ("LA", "RGBA"):
        lo, _ = img.getchannel("A").getextrema()
        if lo == 255:
            return img.convert(img.mode[:-1])
    return img


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


_PROFILE_MODES: Final[dict[str, str]] = {"RGB": "RGB", "CMYK": "CMYK", "GRAY": "L"}


@functools.lru_cache(maxsize=32)
def _icc_transform(icc: bytes, mode: str) -> tuple[ImageCms.ImageCmsTransform | None, str]:
    """(transform to sRGB or None, description) for an embedded profile and pixel mode.

    ``None`` with description "srgb-profile" means the pixels are sRGB already, with
    "ignored:<reason>" that the profile is unusable (pixels are then taken as sRGB).
    """
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = profile.profile.xcolor_space.strip()
        description = (profile.profile.profile_description or "").strip()
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        return None, f"ignored:unreadable profile ({exc})"
    if _PROFILE_MODES.get(space) != mode:
        return None, f"ignored:{space} profile on {mode} pixels"
    if mode == "RGB" and description.lower() in _SRGB_DESCRIPTIONS:
        return None, "srgb-profile"
    try:
        transform = ImageCms.buildTransform(
            profile,
            _srgb_profile(),
            mode,
            "RGB",
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION | ImageCms.Flags.NOCACHE,
        )
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        return None, f"ignored:profile not usable ({exc})"
    return transform, f"icc:{description or space}"


def _to_srgb(img: Image.Image, icc: bytes | None) -> tuple[Image.Image, str]:
    """Convert L/LA/RGB/RGBA/CMYK pixels (with their embedded profile) to sRGB."""
    alpha: Image.Image | None = None
    base = img
    if img.mode in ("LA", "RGBA"):
        alpha = img.getchannel("A")
        base = img.convert(img.mode[:-1])
    note = "none"
    if icc:
        transform, note = _icc_transform(bytes(icc), base.mode)
        if transform is not None:
            converted = transform.apply(base)
            base = converted.convert("L") if base.mode == "L" else converted
    if base.mode == "CMYK":
        base = base.convert("RGB")
        note = "cmyk" if note == "none" else note
    if alpha is None:
        return base, note
    if alpha.size != base.size:  # pragma: no cover - transforms keep the size
        raise DerivativeError("colour conversion changed the image size")
    base = base.copy() if base is img else base
    base.putalpha(alpha)
    return base, note


def _resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    # Bicubic (Pillow's is an area-aware convolution, so downscaling does not alias):
    # at these factors (1.5-2.6x after the DCT draft) it is visually indistinguishable
    # from Lanczos and costs a third less, about 7 % of the whole derivative set.
    if img.size == size:
        return img
    return img.resize(size, Image.Resampling.BICUBIC, reducing_gap=REDUCING_GAP)


def _flatten_on_white(img: Image.Image) -> Image.Image:
    if img.mode not in ("LA", "RGBA"):
        return img
    base_mode = img.mode[:-1]
    background = Image.new(base_mode, img.size, 255 if base_mode == "L" else (255, 255, 255))
    background.paste(img.convert(base_mode), mask=img.getchannel("A"))
    return background


def _encode_jpeg(img: Image.Image, quality: int, exif: bytes) -> bytes:
    img = _flatten_on_white(img)
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB")
    options: dict[str, object] = {"quality": quality, "optimize": True, "progressive": True}
    if img.mode == "RGB":
        options["subsampling"] = 2  # 4:2:0
    if exif:
        options["exif"] = exif
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def _encode_webp(img: Image.Image, quality: int, exif: bytes) -> bytes:
    if img.mode == "L":
        img = img.convert("RGB")
    elif img.mode == "LA":
        img = img.convert("RGBA")
    options: dict[str, object] = {"quality": quality, "method": WEBP_METHOD}
    if exif:
        options["exif"] = exif
    buffer = io.BytesIO()
    img.save(buffer, "WEBP", **options)
    return buffer.getvalue()


def _clean_text(value: str | None) -> str:
    if not value:
        return ""
    return "".join(ch for ch in value if ch.isprintable()).strip()


def _credit_exif(credit: str | None, copyright: str | None) -> bytes:  # noqa: A002
    exif = Image.Exif()
    if text := _clean_text(credit):
        exif[_EXIF_ARTIST] = text.encode("utf-8")
    if text := _clean_text(copyright):
        exif[_EXIF_COPYRIGHT] = text.encode("utf-8")
    return exif.tobytes() if len(exif) else b""


# --------------------------------------------------------------------------------------
# The renderer


def render_derivatives(
    img_or_fp: Image.Image | bytes | io.IOBase | str | os.PathLike[str],
    *,
    sizes: Sequence[int | DerivativeSpec] = DEFAULT_SIZES,
    credit: str | None = None,
    copyright: str | None = None,  # noqa: A002 - the EXIF field's name
    jpeg_quality: int = DEFAULT_JPEG_QUALITY,
    webp_quality: int = DEFAULT_WEBP_QUALITY,
    stats: RenderStats | None = None,
    formats: tuple[str, ...] = ALL_FORMATS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> list[RenderedDerivative]:
    """Render every size as JPEG and WebP; smallest first, JPEG before WebP per size.

    ``img_or_fp`` is an image from :func:`gallery.media.images.open_image` (pass it
    *unloaded* so that JPEG draft decoding can work), or bytes, a binary file object or a
    path, which are opened here with ``formats`` and ``max_pixels``.  The image is
    decoded here; the caller keeps ownership of an image it passed in, which is left
    drafted (smaller) and loaded.  An image the caller already loaded is used as it is,
    at full decoding cost.

    Raises :class:`DerivativeError` (with the cause chained) when anything fails, and
    ``ValueError`` for invalid arguments.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    labels = _size_labels(sizes)
    for name, quality in (("jpeg_quality", jpeg_quality), ("webp_quality", webp_quality)):
        if not isinstance(quality, int) or not 1 <= quality <= 100:
            raise ValueError(f"{name} must be an integer from 1 to 100")
    exif = _credit_exif(credit, copyright)
    stats = stats if stats is not None else RenderStats()
    if not isinstance(img_or_fp, Image.Image):
        formats = validate_formats(formats)

    try:
        if isinstance(img_or_fp, Image.Image):
            result = _render(img_or_fp, labels, exif, jpeg_quality, webp_quality, stats, max_pixels)
        else:
            source = io.BytesIO(img_or_fp) if isinstance(img_or_fp, (bytes, bytearray, memoryview)) else img_or_fp
            with open_image(source, formats=formats, max_pixels=max_pixels) as img:  # type: ignore[arg-type]
                result = _render(img, labels, exif, jpeg_quality, webp_quality, stats, max_pixels)
    except DerivativeError:
        raise
    except ImageError as exc:
        raise DerivativeError(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - one failure type for callers, cause kept
        raise DerivativeError(f"could not render derivatives: {exc or type(exc).__name__}") from exc
    finally:
        stats.elapsed = time.perf_counter() - started
        stats.cpu_time = time.process_time() - cpu_started
    return result


def _render(
    img: Image.Image,
    labels: list[int],
    exif: bytes,
    jpeg_quality: int,
    webp_quality: int,
    stats: RenderStats,
    max_pixels: int,
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
        return _render_decoded(img, source_size, drafted, labels, exif, jpeg_quality, webp_quality, stats)


def _working_bytes(img: Image.Image, largest_label: int) -> int:
    """Memory the render allocates next to the decoded pixels of ``img`` (at its drafted
    size): a converted copy when they are not 8-bit L/RGB/CMYK yet (``_to_8bit``,
    ``_drop_opaque_alpha``) and the first resize's intermediate (Pillow resizes along one
    axis, then the other: new long edge x old long edge)."""
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
    return pixels * copies + min(largest_label, long_edge) * long_edge * 4


def _render_decoded(  # the steps after decoding, within its reservation
    img: Image.Image, source_size: tuple[int, int], drafted: bool, labels: list[int], exif: bytes,
    jpeg_quality: int, webp_quality: int, stats: RenderStats,
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
    work = _drop_opaque_alpha(_to_8bit(img))
    largest = plan[-1]
    work = _resize(work, oriented_size((largest.width, largest.height), orientation))
    if orientation in _TRANSPOSE:
        work = work.transpose(_TRANSPOSE[orientation])
    work, stats.color = _to_srgb(work, bytes(icc) if isinstance(icc, (bytes, bytearray)) else None)

    # 4. Encode, cascading each smaller size from the previous one.
    rendered: list[RenderedDerivative] = []
    for planned in reversed(plan):
        work = _resize(work, (planned.width, planned.height))
        if work.size != (planned.width, planned.height):  # pragma: no cover - defensive
            raise DerivativeError(f"resize produced {work.size}, expected {planned}")
        rendered.append(
            RenderedDerivative(
                planned.long_edge, planned.width, planned.height, "webp",
                _encode_webp(work, webp_quality, exif),
            )
        )
        rendered.append(
            RenderedDerivative(
                planned.long_edge, planned.width, planned.height, "jpeg",
                _encode_jpeg(work, jpeg_quality, exif),
            )
        )
    rendered.reverse()
    return rendered
