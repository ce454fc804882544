"""Safe opening of untrusted images, and orientation (gallery.media.images).

Orientation: derivatives are upright: EXIF/XMP/TIFF/AVIF/HEIF orientation is applied exactly
once.  Every derivative is compared (greyscale, squashed to 64x64) with the 8 dihedral transforms
(rotations and mirrors) of an upright reference picture; the identity must be the best match by a
clear margin (less than half the distance of the runner-up).  References are decoded without any
orientation handling and, where no orientation-1 file exists, made upright with a transform that
needs no EXIF convention (a 180° rotation) or one checked by eye (the AVIF mirror).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageStat

from gallery.media.derivatives import RenderedDerivative, RenderStats, render_derivatives
from gallery.media.images import (
    ImageInfo,
    TooManyPixels,
    UndecodableImage,
    decode_check,
    ensure_heif_opener,
    open_image,
    probe,
)
from tests.unit.media.test_derivatives import CORPUS, PILLOW_IMAGES, corpus, jpeg_bytes, photo_like, png_bytes

# --------------------------------------------------------------------------------------
# gallery.media.images: safe opening


def test_pixel_limit_is_checked_before_decoding() -> None:
    data = jpeg_bytes(photo_like(1000, 1000), quality=80)
    header_only = data[: data.index(b"\xff\xda") + 200]  # everything up to the scan data
    with pytest.raises(TooManyPixels) as caught:
        open_image(io.BytesIO(header_only), formats=("JPEG",), max_pixels=999_999)
    assert (caught.value.width, caught.value.height) == (1000, 1000)
    assert "1000x1000" in str(caught.value)
    img = open_image(io.BytesIO(header_only), formats=("JPEG",), max_pixels=1_000_000)
    with pytest.raises(UndecodableImage):
        decode_check(img)


@pytest.mark.parametrize(("name", "fmt"), [("decompression_bomb.gif", "GIF"), ("bmp/b/reallybig.bmp", "BMP")])
def test_pillow_bomb_errors_become_too_many_pixels(name: str, fmt: str) -> None:
    with pytest.raises(TooManyPixels):
        open_image(corpus("pillow-images", name), formats=(fmt,))


def test_pillow_bomb_warning_defers_to_max_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        img = open_image(io.BytesIO(png_bytes(Image.new("RGB", (40, 40)))), formats=("PNG",), max_pixels=10_000)
        decode_check(img)  # 1600 px: above Pillow's warning level, within ours
        with pytest.raises(TooManyPixels):  # 1600 px > our 1500
            open_image(io.BytesIO(png_bytes(Image.new("RGB", (40, 40)))), formats=("PNG",), max_pixels=1500)
        with pytest.raises(TooManyPixels):  # 2500 px > 2 x Pillow's limit: Pillow refuses
            open_image(io.BytesIO(png_bytes(Image.new("RGB", (50, 50)))), formats=("PNG",), max_pixels=10_000)


def test_only_the_named_formats_are_tried() -> None:
    data = png_bytes(Image.new("RGB", (8, 8)))
    with pytest.raises(UndecodableImage) as caught:
        open_image(io.BytesIO(data), formats=("JPEG", "WEBP"))
    assert "JPEG, WEBP" in str(caught.value)
    assert open_image(io.BytesIO(data), formats=("PNG",)).format == "PNG"
    with pytest.raises(ValueError):
        open_image(io.BytesIO(data), formats=("MPO",))  # MPO comes from the JPEG opener
    with pytest.raises(ValueError):
        open_image(io.BytesIO(data), formats=())


def test_decode_check_detects_truncation() -> None:
    img = open_image(corpus("pillow-images", "truncated_image.png"), formats=("PNG",))
    with pytest.raises(UndecodableImage, match="truncated"):
        decode_check(img)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (
            ("exif-samples", "jpg", "orientation", "portrait_6.jpg"),
            ImageInfo(600, 450, 450, 600, "JPEG", "RGB", 1, 6, 6),
        ),
        (("pillow-images", "g4_orientation_6.tif"), ImageInfo(590, 88, 590, 88, "TIFF", "1", 1, 1, 6)),
        (("pillow-images", "avif", "rot1mir0.avif"), ImageInfo(427, 640, 640, 427, "AVIF", "RGB", 1, 5, 5)),
        (("pillow-images", "xmp_tags_orientation.png"), ImageInfo(326, 268, 326, 268, "PNG", "RGBA", 1, 3, 3)),
        (("pillow-images", "frozenpond.mpo"), ImageInfo(640, 480, 640, 480, "MPO", "RGB", 2, 1, 1)),
        (("pillow-images", "iss634.apng"), ImageInfo(245, 245, 245, 245, "PNG", "RGBA", 41, 1, 1)),
        (("exif-samples", "heic", "samplefilehub.heif"), ImageInfo(640, 426, 640, 426, "HEIF", "RGB", 1, 1, 1)),
    ],
)
def test_probe_reads_headers(parts: tuple[str, ...], expected: ImageInfo) -> None:
    assert probe(corpus(*parts)) == expected


def test_heif_opener_registration_is_idempotent() -> None:
    ensure_heif_opener()
    opener = Image.OPEN["HEIF"]
    ensure_heif_opener()
    assert Image.OPEN["HEIF"] is opener


# --------------------------------------------------------------------------------------
# Orientation

EXIF_ORIENTATION = CORPUS / "exif-samples" / "jpg" / "orientation"

T = Image.Transpose
#: The dihedral group of the square, identity first.
DIHEDRAL: tuple[T | None, ...] = (
    None,
    T.FLIP_LEFT_RIGHT,
    T.FLIP_TOP_BOTTOM,
    T.ROTATE_90,
    T.ROTATE_180,
    T.ROTATE_270,
    T.TRANSPOSE,
    T.TRANSVERSE,
)
SIDE = 64


def _needs_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"test corpus not found at {CORPUS}")


def _thumb(img: Image.Image) -> Image.Image:
    return img.convert("L").resize((SIDE, SIDE), Image.Resampling.BILINEAR)


def _mad(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(a, b)).mean[0])


def _raw(path: Path) -> Image.Image:
    """The stored pixels, no orientation applied, colour-managed to sRGB like ours."""
    with Image.open(path) as img:
        img.load()
        icc = img.info.get("icc_profile")
        pixels = img.convert("RGB")
    if icc:
        converted = ImageCms.profileToProfile(
            pixels, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB")
        )
        assert converted is not None
        pixels = converted
    return pixels


def assert_upright(derivative: Image.Image, reference: Image.Image, label: str) -> None:
    ref = _thumb(reference)
    got = _thumb(derivative)
    distances = [_mad(got, ref if t is None else ref.transpose(t)) for t in DIHEDRAL]
    identity, others = distances[0], sorted(distances[1:])
    assert identity < 0.5 * others[0], (
        f"{label}: distance to the upright reference {identity:.1f}, "
        f"to the nearest rotation/mirror {others[0]:.1f} (all: {[round(d, 1) for d in distances]})"
    )


def _decoded(derivatives: list[RenderedDerivative]) -> Iterator[tuple[RenderedDerivative, Image.Image]]:
    for derivative in derivatives:
        with Image.open(io.BytesIO(derivative.data)) as img:
            img.load()
            assert "exif" not in img.info or 0x0112 not in img.getexif(), "derivatives carry no Orientation"
            yield derivative, img.copy()


def _check_all(paths: list[Path], reference: Image.Image, **kwargs: object) -> None:
    assert paths, "no input files found"
    for path in paths:
        derivatives = render_derivatives(path, **kwargs)  # type: ignore[arg-type]
        assert derivatives
        upright = probe(path)
        for derivative, img in _decoded(derivatives):
            label = f"{path.name} {derivative.long_edge} {derivative.format}"
            assert (img.width >= img.height) == (upright.oriented_width >= upright.oriented_height), label
            assert_upright(img, reference, label)


@pytest.mark.parametrize("picture", ["landscape", "portrait"])
def test_exif_samples_orientation_files(picture: str) -> None:
    _needs_corpus()
    paths = sorted(EXIF_ORIENTATION.glob(f"{picture}_*.jpg"))
    if picture == "landscape":
        reference = _raw(EXIF_ORIENTATION / "landscape_1.jpg")
    else:  # there is no portrait_1.jpg; orientation 3 is a plain half turn
        reference = _raw(EXIF_ORIENTATION / "portrait_3.jpg").transpose(T.ROTATE_180)
    assert reference.height > reference.width if picture == "portrait" else reference.width > reference.height
    _check_all(paths, reference)  # default sizes: 400 and the 600 px original


def test_pillow_hopper_orientation_jpeg_and_webp() -> None:
    _needs_corpus()
    paths = sorted(PILLOW_IMAGES.glob("hopper_orientation_*.*"))
    if not paths:
        pytest.skip("no hopper_orientation_* files in the corpus")
    assert {p.suffix for p in paths} == {".jpg", ".webp"}
    reference = _raw(PILLOW_IMAGES / "hopper_orientation_3.jpg").transpose(T.ROTATE_180)
    _check_all(paths, reference, sizes=(64, 400))


def test_tiff_orientation_is_applied_once() -> None:
    """Pillow rotates TIFFs itself while loading; we must not rotate them again."""
    _needs_corpus()
    paths = sorted(PILLOW_IMAGES.glob("g4_orientation_*.tif"))
    reference = _raw(PILLOW_IMAGES / "g4_orientation_1.tif")
    _check_all(paths, reference)


def test_avif_irot_imir_transforms() -> None:
    _needs_corpus()
    paths = sorted((PILLOW_IMAGES / "avif").glob("rot*mir*.avif"))
    # Checked by eye: the stored pixels of rot0mir1 are the upright picture mirrored
    # left-right (its "left"/"right" labels read backwards on the wrong sides).
    reference = _raw(PILLOW_IMAGES / "avif" / "rot0mir1.avif").transpose(T.FLIP_LEFT_RIGHT)
    _check_all(paths, reference, sizes=(200, 400))


def test_heic_rotation_is_not_applied_twice() -> None:
    """libheif applies irot; pillow-heif resets EXIF Orientation (6 here) to 1."""
    _needs_corpus()
    path = CORPUS / "exif-samples" / "heic" / "mobile" / "iphone_13_pro_max.HEIC"
    info = probe(path)
    assert (info.source_orientation, info.orientation) == (6, 1)
    assert (info.oriented_width, info.oriented_height) == (3024, 4032)  # ExifTool: 4032x3024, rotate 90
    stats = RenderStats()
    derivatives = render_derivatives(path, sizes=(400,), stats=stats)
    assert stats.orientation == 1
    assert {(d.width, d.height) for d in derivatives} == {(300, 400)}


# --------------------------------------------------------------------------------------
# Synthetic, large enough for JPEG draft decoding


def _upright_picture(width: int = 1200, height: int = 800) -> Image.Image:
    """An asymmetric picture: distinct colour blocks in three corners and a diagonal."""
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width // 3, height // 3), fill=(230, 30, 30))
    draw.rectangle((width * 3 // 4, 0, width, height // 5), fill=(30, 200, 40))
    draw.ellipse((0, height * 2 // 3, width // 5, height), fill=(20, 40, 220))
    draw.line((0, 0, width, height), fill=(250, 250, 0), width=height // 20)
    return img


#: How a camera stores an upright picture for each EXIF orientation, written from the
#: TIFF/EXIF definition of where row 0 and column 0 sit, not from any display table:
#: 2 row0=top col0=right, 3 bottom/right, 4 bottom/left, 5 left/top, 6 right/top,
#: 7 right/bottom, 8 left/bottom.
STORE = {
    1: lambda im: im,
    2: lambda im: im.transpose(T.FLIP_LEFT_RIGHT),
    3: lambda im: im.transpose(T.ROTATE_180),
    4: lambda im: im.transpose(T.FLIP_TOP_BOTTOM),
    # Pillow's ROTATE_90 turns counter-clockwise: the right edge becomes row 0 and the
    # top edge column 0.  ROTATE_270 turns clockwise: left edge -> row 0, bottom -> col 0.
    5: lambda im: im.transpose(T.ROTATE_270).transpose(T.FLIP_LEFT_RIGHT),  # left / top
    6: lambda im: im.transpose(T.ROTATE_90),  # right / top
    7: lambda im: im.transpose(T.ROTATE_90).transpose(T.FLIP_LEFT_RIGHT),  # right / bottom
    8: lambda im: im.transpose(T.ROTATE_270),  # left / bottom
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_draft_decoded_jpeg_keeps_orientation(orientation: int) -> None:
    upright = _upright_picture()
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    STORE[orientation](upright).save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    stats = RenderStats()
    derivatives = render_derivatives(buffer.getvalue(), sizes=(150, 300), stats=stats)
    assert stats.draft_scale >= 2, "draft decoding must be in use for this test"
    assert stats.orientation == orientation
    for derivative, img in _decoded(derivatives):
        assert img.size == ((300, 200) if derivative.long_edge == 300 else (150, 100))
        assert_upright(img, upright, f"orientation {orientation} {derivative.long_edge} {derivative.format}")
