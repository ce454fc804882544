"""Pixels of a derivative: 8 bits, sRGB, upright, resized, flattened (see :mod:`gallery.media.derivatives`).

* ``to_8bit``: 16-bit greyscale (``I;16*``) divided by 256 (not clipped), ``I``/``F`` scaled
  from their value range, palette images to RGB or RGBA (with their transparency), bilevel to
  ``L``, CIELab through LittleCMS.
* ``to_srgb``: an embedded ICC profile (RGB, CMYK including Adobe-inverted CMYK, greyscale)
  converted to sRGB with LittleCMS (perceptual intent, black-point compensation); sRGB profiles
  by name are left alone, unusable ones ignored; CMYK without a profile uses Pillow's conversion.
* ``resize``: bicubic with ``reducing_gap``, in bands of rows (no whole-image intermediate);
  ``TRANSPOSE``: the EXIF orientations as transposes.
* ``drop_opaque_alpha`` / ``flatten_on_white``: alpha that is opaque everywhere is dropped;
  JPEG output is flattened onto white.

Only Pillow is imported.
"""

from __future__ import annotations

import functools
import io
from typing import Final, cast

from PIL import Image, ImageCms

__all__ = [
    "BAND_ROWS",
    "REDUCING_GAP",
    "TRANSPOSE",
    "drop_opaque_alpha",
    "flatten_on_white",
    "resize",
    "to_8bit",
    "to_srgb",
]

#: Pillow's ``reducing_gap``: box-``reduce`` first only for ratios of at least 2 x this.
REDUCING_GAP: Final[float] = 3.0

#: Output rows :func:`resize` makes at a time when both sides change.
BAND_ROWS: Final[int] = 128

TRANSPOSE: Final[dict[int, Image.Transpose]] = {
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


def to_8bit(img: Image.Image) -> Image.Image:
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
        converted = ImageCms.profileToProfile(img, ImageCms.createProfile("LAB"), _srgb_profile(), outputMode="RGB")
        if converted is None:  # pragma: no cover - only with inPlace=True
            raise ValueError("CIELab conversion failed")
        return converted
    return img.convert("RGB")  # RGBX, YCbCr, HSV, ...


def drop_opaque_alpha(img: Image.Image) -> Image.Image:
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


def to_srgb(img: Image.Image, icc: bytes | None) -> tuple[Image.Image, str]:
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
        raise ValueError("colour conversion changed the image size")
    base = base.copy() if base is img else base
    base.putalpha(alpha)
    return base, note


def resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``img`` resized to ``size`` (``img`` itself when it has that size already), in bands of
    :data:`BAND_ROWS` output rows when both sides change.

    Pillow resizes along one axis, then the other, through an intermediate of the new width and
    the old height: 2048x2000 (16 MB) for a 3000x2000 decoding, held together with the decoding
    and the result.  A band of rows needs only its own share of it (about 2 MB for 128 rows).  Each band is
    Pillow's own resize of a box of the source (its filter still reads the rows around the box),
    so the result is the whole-image resize's, give or take one level where rounding differs."""
    # Bicubic (Pillow's is an area-aware convolution, so downscaling does not alias):
    # at these factors (1.5-2.6x after the DCT draft) it is visually indistinguishable
    # from Lanczos and costs a third less, about 7 % of the whole derivative set.
    if img.size == size:
        return img
    width, height = size
    if height <= BAND_ROWS or width == img.width or height == img.height:  # no large intermediate
        return img.resize(size, Image.Resampling.BICUBIC, reducing_gap=REDUCING_GAP)
    resized = Image.new(img.mode, size)
    resized.info = img.info.copy()  # as Pillow's own resize keeps it
    scale = img.height / height
    for top in range(0, height, BAND_ROWS):
        bottom = min(height, top + BAND_ROWS)
        box = (0.0, top * scale, float(img.width), bottom * scale)
        band = img.resize((width, bottom - top), Image.Resampling.BICUBIC, box=box, reducing_gap=REDUCING_GAP)
        resized.paste(band, (0, top))
    return resized


def flatten_on_white(img: Image.Image) -> Image.Image:
    if img.mode not in ("LA", "RGBA"):
        return img
    base_mode = img.mode[:-1]
    background = Image.new(base_mode, img.size, 255 if base_mode == "L" else (255, 255, 255))
    background.paste(img.convert(base_mode), mask=img.getchannel("A"))
    return background
