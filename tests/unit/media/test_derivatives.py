"""Derivatives: sizes, draft decoding, colour, alpha, metadata (gallery.media.derivatives).

ICC profiles for Adobe RGB (1998), Display P3, a linear greyscale and a CMYK printer are
written here from their published primaries and curves (a tiny ICC v2 writer), and the
expected sRGB values are computed with plain colour-science arithmetic, independently of
LittleCMS.
"""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import exifread
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFile, ImageStat

from gallery.media import derivatives as derivatives_module
from gallery.media.derivatives import (
    DerivativeError,
    DerivativeSpec,
    PlannedSize,
    RenderedDerivative,
    RenderStats,
    check_media_version,
    derivative_key,
    fitted_box,
    original_key,
    plan_sizes,
    render_derivatives,
)
from gallery.media.images import (
    TooManyPixels,
    UndecodableImage,
    open_image,
)

_HERE = Path(__file__).resolve()
CORPUS = Path(os.environ.get("GALLERY_CORPUS", _HERE.parents[4] / "shared" / "corpus"))
PILLOW_IMAGES = CORPUS / "pillow-images"
EXIF_SAMPLES = CORPUS / "exif-samples"
SHA = "ab" * 32


def corpus(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"test corpus file not found: {path}")
    return path


def decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        copy = img.copy()
        copy.info = dict(img.info)
        copy.format = img.format
        return copy


def jpeg_bytes(img: Image.Image, **options: Any) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def png_bytes(img: Image.Image, **options: Any) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, "PNG", **options)
    return buffer.getvalue()


def px(img: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """A pixel as a tuple of ints, whatever the mode."""
    value = img.getpixel(xy)
    assert value is not None
    return tuple(int(v) for v in value) if isinstance(value, tuple) else (int(value),)


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def by_key(derivatives: list[RenderedDerivative]) -> dict[tuple[int, str], RenderedDerivative]:
    return {(d.long_edge, d.format): d for d in derivatives}


# --------------------------------------------------------------------------------------
# Sizes, plans and keys


@pytest.mark.parametrize(
    ("size", "limit", "expected"),
    [
        ((6000, 4000), 2048, (2048, 1365)),
        ((4000, 6000), 2048, (1365, 2048)),
        ((6000, 4000), 400, (400, 267)),
        ((3000, 3000), 1024, (1024, 1024)),
        ((800, 600), 1024, (800, 600)),  # never upscaled
        ((1024, 10), 1024, (1024, 10)),
        ((10000, 3), 400, (400, 1)),  # at least one pixel
    ],
)
def test_fitted_box(size: tuple[int, int], limit: int, expected: tuple[int, int]) -> None:
    assert fitted_box(*size, limit) == expected


def test_fitted_box_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        fitted_box(0, 10, 100)
    with pytest.raises(ValueError):
        fitted_box(10, 10, 0)


def test_plan_dedupes_sizes_that_would_be_upscaled() -> None:
    assert plan_sizes(800, 600, (2048, 400, 1024, 1024)) == [
        PlannedSize(400, 400, 300),
        PlannedSize(1024, 800, 600),
    ]
    assert plan_sizes(300, 200, (400, 1024, 2048)) == [PlannedSize(400, 300, 200)]
    assert plan_sizes(5000, 5000, [DerivativeSpec(400), DerivativeSpec(2048)]) == [
        PlannedSize(400, 400, 400),
        PlannedSize(2048, 2048, 2048),
    ]
    with pytest.raises(ValueError):
        plan_sizes(100, 100, (400, -1))
    with pytest.raises(ValueError):
        DerivativeSpec(0)


def test_keys_are_content_addressed_and_derivatives_versioned() -> None:
    sha = "0123456789abcdef" * 4
    version = "00ff00ff00ff00ff"
    assert original_key(sha) == f"originals/sha256/01/23/{sha}"
    assert derivative_key(sha, version, 1024, "jpeg") == f"derivatives/{sha}/{version}/1024.jpg"
    assert derivative_key(sha, version, 400, "webp") == f"derivatives/{sha}/{version}/400.webp"
    for bad in ("ABCDEF" * 10 + "ABCD", "../" + "a" * 61, "a" * 63, ""):
        with pytest.raises(ValueError):
            original_key(bad)
        with pytest.raises(ValueError):
            derivative_key(bad, version, 400, "jpeg")
    for bad_version in ("", "abc", "ABCDEF0123", "../../../x", "0" * 33, "ghijklmn"):
        with pytest.raises(ValueError):
            derivative_key(sha, bad_version, 400, "jpeg")
        with pytest.raises(ValueError):
            check_media_version(bad_version)
    assert check_media_version(version) == version
    with pytest.raises(ValueError):
        derivative_key(sha, version, 400, "gif")
    with pytest.raises(ValueError):
        derivative_key(sha, version, 0, "jpeg")


def test_invalid_arguments_are_value_errors() -> None:
    data = png_bytes(Image.new("RGB", (10, 10)))
    with pytest.raises(ValueError):
        render_derivatives(data, sizes=(0,))
    with pytest.raises(ValueError):
        render_derivatives(data, jpeg_quality=0)
    with pytest.raises(ValueError):
        render_derivatives(data, webp_quality=101)
    with pytest.raises(ValueError):
        render_derivatives(data, formats=("NOPE",))
    assert render_derivatives(data, sizes=()) == []


# --------------------------------------------------------------------------------------
# Sizes, formats, progressive JPEG


def photo_like(width: int, height: int) -> Image.Image:
    """A picture with gradients and edges (cheap to make)."""
    img = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize((width, height)),
            Image.radial_gradient("L").resize((width, height)),
            Image.linear_gradient("L").rotate(90).resize((width, height)),
        ),
    )
    draw = ImageDraw.Draw(img)
    for i in range(0, width, max(1, width // 12)):
        draw.line((i, 0, width - i, height), fill=(255, 255, 255), width=max(1, width // 300))
    return img


@pytest.fixture(scope="module")
def landscape_jpeg() -> bytes:
    return jpeg_bytes(photo_like(3000, 2000), quality=85)


@pytest.mark.parametrize(("container", "shape"), [("jpeg", (3000, 2000)), ("png", (1500, 2400))])
def test_sizes_formats_and_progressive(container: str, shape: tuple[int, int]) -> None:
    source = photo_like(*shape)
    data = jpeg_bytes(source, quality=85) if container == "jpeg" else png_bytes(source, compress_level=1)
    derivatives = render_derivatives(data)
    assert [(d.long_edge, d.format) for d in derivatives] == [
        (400, "jpeg"),
        (400, "webp"),
        (1024, "jpeg"),
        (1024, "webp"),
        (2048, "jpeg"),
        (2048, "webp"),
    ]
    width, height = shape
    for derivative in derivatives:
        img = decode(derivative.data)
        assert img.size == (derivative.width, derivative.height)
        long_edge = min(derivative.long_edge, max(width, height))
        assert max(img.size) == long_edge, "long edge equals the limit"
        assert max(img.size) <= max(width, height), "never upscaled"
        # aspect preserved to the pixel
        assert abs(img.width - width * img.height / height) <= 1
        assert abs(img.height - height * img.width / width) <= 1
        if derivative.format == "jpeg":
            assert img.format == "JPEG" and img.mode == "RGB"
            assert img.info.get("progressive") or img.info.get("progression"), "progressive JPEG"
            assert derivative.mime == "image/jpeg" and derivative.extension == "jpg"
        else:
            assert img.format == "WEBP" and img.mode == "RGB"
            assert derivative.mime == "image/webp" and derivative.extension == "webp"
        # The content is the picture, not garbage: compare with a plain Pillow resize.
        expected = source.resize(img.size, Image.Resampling.LANCZOS).convert("L")
        assert ImageStat.Stat(ImageChops.difference(img.convert("L"), expected)).mean[0] < 6


def test_jpeg_is_420_subsampled_with_the_configured_quality() -> None:
    source = photo_like(600, 400)
    derivatives = by_key(render_derivatives(png_bytes(source), sizes=(400,)))
    jpeg = Image.open(io.BytesIO(derivatives[400, "jpeg"].data))
    layers = jpeg.layer  # type: ignore[attr-defined]  # JpegImageFile: (id, h, v, table)
    assert layers[0][1:3] == (2, 2) and layers[1][1:3] == (1, 1)  # 4:2:0
    lower = by_key(render_derivatives(png_bytes(source), sizes=(400,), jpeg_quality=40, webp_quality=40))
    assert len(lower[400, "jpeg"].data) < len(derivatives[400, "jpeg"].data)
    assert len(lower[400, "webp"].data) < len(derivatives[400, "webp"].data)


def test_small_image_is_rendered_once_at_its_own_size() -> None:
    derivatives = render_derivatives(png_bytes(photo_like(800, 600)))
    assert [(d.long_edge, d.format, d.width, d.height) for d in derivatives] == [
        (400, "jpeg", 400, 300),
        (400, "webp", 400, 300),
        (1024, "jpeg", 800, 600),
        (1024, "webp", 800, 600),
    ]


# --------------------------------------------------------------------------------------
# Draft decoding and the cascade


@pytest.fixture(scope="module")
def big_jpegs() -> dict[int, bytes]:
    """6000x4000 JPEGs, stored with orientation 1 and 6 (upright 4000x6000)."""
    picture = photo_like(1500, 1000).resize((6000, 4000), Image.Resampling.NEAREST)
    result = {}
    for orientation in (1, 6):
        exif = Image.Exif()
        exif[0x0112] = orientation
        result[orientation] = jpeg_bytes(picture, quality=75, exif=exif.tobytes())
    return result


def test_draft_decodes_24mp_jpeg_at_reduced_scale(big_jpegs: dict[int, bytes]) -> None:
    stats = RenderStats()
    derivatives = render_derivatives(big_jpegs[1], stats=stats)
    assert stats.source_size == (6000, 4000)
    assert stats.decode_size[0] <= 3000 and stats.decode_size[1] <= 2000, "decoded at 1/2 scale or smaller"
    assert stats.draft_scale == 2
    assert stats.elapsed > 0 and stats.cpu_time > 0
    assert {(d.width, d.height) for d in derivatives} == {(400, 267), (1024, 683), (2048, 1365)}


@pytest.mark.parametrize(
    ("sizes", "scale", "decoded"),
    [((400,), 8, (750, 500)), ((1024,), 4, (1500, 1000)), ((400, 1024, 2048), 2, (3000, 2000))],
)
def test_draft_picks_the_smallest_sufficient_dct_scale(
    big_jpegs: dict[int, bytes], sizes: tuple[int, ...], scale: int, decoded: tuple[int, int]
) -> None:
    stats = RenderStats()
    render_derivatives(big_jpegs[1], sizes=sizes, stats=stats)
    assert (stats.draft_scale, stats.decode_size) == (scale, decoded)


def test_draft_box_accounts_for_orientation(big_jpegs: dict[int, bytes]) -> None:
    """Upright 4000x6000: the 2048 box is 1365x2048 upright, 2048x1365 as stored."""
    stats = RenderStats()
    derivatives = render_derivatives(big_jpegs[6], sizes=(1024, 2048), stats=stats)
    assert (stats.orientation, stats.draft_scale, stats.decode_size) == (6, 2, (3000, 2000))
    assert stats.oriented_size == (4000, 6000)
    assert {(d.width, d.height) for d in derivatives} == {(683, 1024), (1365, 2048)}


def test_smaller_sizes_cascade_from_the_previous_one(landscape_jpeg: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[tuple[int, int], tuple[int, int]]] = []
    original_resize = derivatives_module.resize  # gallery.media.pixels.resize (Pillow's, in bands of rows)

    def recording_resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
        if img.size != tuple(size):  # resizing to its own size is no resize (the image itself)
            calls.append((img.size, (size[0], size[1])))
        return original_resize(img, size)

    monkeypatch.setattr(derivatives_module, "resize", recording_resize)
    opened: list[int] = []
    original_open = Image.open

    def counting_open(*args: Any, **kwargs: Any) -> Image.Image:
        opened.append(1)
        return original_open(*args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    render_derivatives(landscape_jpeg, sizes=(400, 1024))
    assert len(opened) == 1, "the original is opened and decoded once"
    # 3000x2000 is drafted to 1500x1000 (scale 2 covers 1024x683), then cascades.
    assert calls == [((1500, 1000), (1024, 683)), ((1024, 683), (400, 267))]


def test_release_frees_the_decoding_once_the_largest_size_is_resized(
    big_jpegs: dict[int, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``release`` the caller's image is closed (its 24 MB of decoded pixels freed) before any
    size is encoded; without it the image stays drafted and loaded.  The derivatives are the same."""
    encoded_while_open: list[bool] = []
    results = {}
    original_encode = derivatives_module.encode_webp
    for release in (False, True):
        img = open_image(io.BytesIO(big_jpegs[6]), formats=("JPEG",))

        def spying_encode(work: Image.Image, quality: int, exif: bytes, source: Image.Image = img) -> bytes:
            try:
                source.getpixel((0, 0))
                encoded_while_open.append(True)
            except ValueError:  # Operation on closed image
                encoded_while_open.append(False)
            return original_encode(work, quality, exif)

        monkeypatch.setattr(derivatives_module, "encode_webp", spying_encode)
        results[release] = render_derivatives(img, sizes=(400, 2048), release=release)
        monkeypatch.undo()
        if release:
            with pytest.raises(ValueError, match="closed image"):
                img.load()
        else:
            assert img.size == (3000, 2000) and img.getpixel((0, 0)) is not None  # drafted, loaded, kept
        img.close()
    assert encoded_while_open == [True, True, False, False]
    assert [d.data for d in results[True]] == [d.data for d in results[False]]


# --------------------------------------------------------------------------------------
# Metadata: only Artist and Copyright survive


def exif_of_webp(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as img:
        return img.getexif()


def assert_only_credit(derivative: RenderedDerivative, credit: str | None, copyright: str | None) -> None:
    img = decode(derivative.data)
    assert "icc_profile" not in img.info or not img.info["icc_profile"], "no ICC profile"
    assert not img.info.get("xmp") and "XML:com.adobe.xmp" not in img.info, "no XMP"
    exif = img.getexif()
    expected = {k: v for k, v in ((0x013B, credit), (0x8298, copyright)) if v}
    assert set(exif) == set(expected), f"EXIF tags {sorted(exif)}"
    for tag, value in expected.items():
        raw = exif[tag]
        text = raw.encode("latin-1").decode("utf-8") if isinstance(raw, str) else raw.decode("utf-8")
        assert text.rstrip("\0") == value
    assert not exif.get_ifd(0x8825), "no GPS IFD"
    if derivative.format == "jpeg":
        tags = exifread.process_file(io.BytesIO(derivative.data), details=False)
        names = {name for name in tags if name != "JPEGThumbnail"}
        assert not any(name.startswith("GPS") for name in names)
        assert names == {f"Image {n}" for n, v in (("Artist", credit), ("Copyright", copyright)) if v}
    if not expected:
        assert "exif" not in img.info


def gps_files() -> list[str]:
    path = EXIF_SAMPLES / "exiftool-oracle.json"
    if not path.is_file():
        return []
    return [e["file"] for e in json.loads(path.read_text(encoding="utf-8")) if e.get("has_GPSLatitude")]


@pytest.mark.parametrize("name", gps_files() or [pytest.param("none", marks=pytest.mark.skip("no corpus"))])
def test_gps_never_reaches_derivatives(name: str) -> None:
    path = corpus("exif-samples", name)
    with open_image(path) as original:
        assert original.getexif().get_ifd(0x8825), "the original has a GPS IFD (sanity)"
    derivatives = render_derivatives(path, sizes=(256,), credit="Photo Desk", copyright="(c) 2024 Cluster")
    assert {d.format for d in derivatives} == {"jpeg", "webp"}
    for derivative in derivatives:
        assert_only_credit(derivative, "Photo Desk", "(c) 2024 Cluster")


@pytest.mark.parametrize(
    ("credit", "copyright"),
    [("Jane Doe / Ünïcode Agency", "© 2024 European Cluster Conference"), ("Jane", None), (None, None), ("", " ")],
)
def test_credit_and_copyright_only(credit: str | None, copyright: str | None) -> None:
    path = corpus("pillow-images", "flower2.jpg")  # sRGB ICC + camera EXIF
    for derivative in render_derivatives(path, sizes=(128,), credit=credit, copyright=copyright):
        assert_only_credit(derivative, credit or None, (copyright or "").strip() or None)


# --------------------------------------------------------------------------------------
# Colour management: a tiny ICC v2 writer and independent colour arithmetic

D50 = (0.9642, 1.0, 0.8249)
SRGB_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))
ADOBE_PRIMARIES = ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06))
P3_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
ADOBE_GAMMA = 563 / 256
Matrix = list[list[float]]


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def _desc_tag(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * 79


def _gamma_tag(gamma: float) -> bytes:
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256))


def _srgb_curve_tag() -> bytes:  # parametric curve type 3, as Display P3 uses
    return (
        b"para\0\0\0\0"
        + struct.pack(">HH", 3, 0)
        + _s15(2.4)
        + _s15(1 / 1.055)
        + _s15(0.055 / 1.055)
        + _s15(1 / 12.92)
        + _s15(0.04045)
    )


def icc_profile(device_class: bytes, space: bytes, pcs: bytes, tags: list[tuple[str, bytes]]) -> bytes:
    body, table = b"", []
    offset = 128 + 4 + 12 * len(tags)
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table.append((signature, offset + len(body), len(data)))
        body += data
    header = (
        struct.pack(">I", offset + len(body))
        + b"test"
        + struct.pack(">I", 0x02100000)
        + device_class
        + space
        + pcs
        + struct.pack(">6H", 2024, 5, 7, 0, 0, 0)
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + _s15(D50[0])
        + _s15(D50[1])
        + _s15(D50[2])
        + b"test"
        + b"\0" * 44
    )
    assert len(header) == 128
    directory = struct.pack(">I", len(tags)) + b"".join(
        sig.encode("ascii") + struct.pack(">II", start, length) for sig, start, length in table
    )
    return header + directory + body


def _mul(a: Matrix, b: Matrix) -> Matrix:
    return [[sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]


def _inv(m: Matrix) -> Matrix:
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    return [
        [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
        [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
        [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
    ]


def _apply(m: Matrix, v: list[float] | tuple[float, ...]) -> list[float]:
    return [sum(m[i][k] * v[k] for k in range(3)) for i in range(3)]


BRADFORD: Matrix = [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]


def rgb_to_xyz_d50(primaries: tuple[tuple[float, float], ...], white: tuple[float, float] = (0.3127, 0.3290)) -> Matrix:
    """RGB -> XYZ matrix for D65-white primaries, Bradford-adapted to the ICC's D50."""
    columns = [(x / y, 1.0, (1 - x - y) / y) for x, y in primaries]
    p = [[columns[j][i] for j in range(3)] for i in range(3)]
    w = (white[0] / white[1], 1.0, (1 - white[0] - white[1]) / white[1])
    s = _apply(_inv(p), w)
    m = [[p[i][j] * s[j] for j in range(3)] for i in range(3)]
    src, dst = _apply(BRADFORD, w), _apply(BRADFORD, D50)
    scale = [[dst[0] / src[0], 0, 0], [0, dst[1] / src[1], 0], [0, 0, dst[2] / src[2]]]
    return _mul(_mul(_inv(BRADFORD), _mul(scale, BRADFORD)), m)


def rgb_icc(name: str, primaries: tuple[tuple[float, float], ...], curve: bytes) -> bytes:
    m = rgb_to_xyz_d50(primaries)
    tags = [("desc", _desc_tag(name)), ("cprt", b"text\0\0\0\0test\0"), ("wtpt", _xyz_tag(*D50))]
    tags += [(f"{c}XYZ", _xyz_tag(m[0][j], m[1][j], m[2][j])) for j, c in enumerate("rgb")]
    tags += [(f"{c}TRC", curve) for c in "rgb"]
    return icc_profile(b"mntr", b"RGB ", b"XYZ ", tags)


def gray_icc(gamma: float) -> bytes:
    return icc_profile(
        b"mntr",
        b"GRAY",
        b"XYZ ",
        [("desc", _desc_tag("Test linear gray")), ("wtpt", _xyz_tag(*D50)), ("kTRC", _gamma_tag(gamma))],
    )


def k_only_cmyk_icc() -> bytes:
    """A CMYK printer profile (lut8 A2B0 to Lab) where only black ink darkens the paper."""
    # 2x2x2x2 grid, C slowest and K fastest: Lab(100, 0, 0) without black ink, else Lab(0, 0, 0).
    clut = bytes((255, 128, 128, 0, 128, 128)) * 8
    identity = b"".join(_s15(1.0 if i == j else 0.0) for i in range(3) for j in range(3))
    ramp = bytes(range(256))
    lut = b"mft1\0\0\0\0" + bytes((4, 3, 2, 0)) + identity + ramp * 4 + clut + ramp * 3
    return icc_profile(
        b"prtr",
        b"CMYK",
        b"Lab ",
        [("desc", _desc_tag("Test K-only CMYK")), ("wtpt", _xyz_tag(*D50)), ("A2B0", lut)],
    )


def _srgb_encode(v: float) -> float:
    v = min(max(v, 0.0), 1.0)
    return 12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055


def _srgb_decode(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def expected_srgb(
    rgb: tuple[int, int, int], primaries: tuple[tuple[float, float], ...], decode_curve: Callable[[float], float]
) -> tuple[int, ...]:
    linear = [decode_curve(c / 255) for c in rgb]
    xyz = _apply(rgb_to_xyz_d50(primaries), linear)
    out = _apply(_inv(rgb_to_xyz_d50(SRGB_PRIMARIES)), xyz)
    return tuple(round(255 * _srgb_encode(c)) for c in out)


SWATCHES: list[tuple[int, int, int]] = [
    (200, 100, 50),
    (128, 128, 128),
    (50, 180, 60),
    (30, 60, 200),
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (255, 255, 255),
    (0, 0, 0),
    (90, 140, 210),
]
BLOCK = 32


def swatch_image(colours: list[Any], mode: str = "RGB") -> Image.Image:
    img = Image.new(mode, (BLOCK * len(colours), BLOCK))
    draw = ImageDraw.Draw(img)
    for i, colour in enumerate(colours):
        draw.rectangle((i * BLOCK, 0, (i + 1) * BLOCK - 1, BLOCK - 1), fill=colour)
    return img


def swatch_values(img: Image.Image, count: int) -> Iterator[tuple[int, ...]]:
    for i in range(count):
        yield px(img, (i * BLOCK + BLOCK // 2, BLOCK // 2))


@pytest.mark.parametrize("container", ["png", "jpeg"])
@pytest.mark.parametrize(
    ("name", "primaries", "curve", "decode_curve"),
    [
        ("Test Adobe RGB (1998)", ADOBE_PRIMARIES, _gamma_tag(ADOBE_GAMMA), lambda v: v**ADOBE_GAMMA),
        ("Test Display P3", P3_PRIMARIES, _srgb_curve_tag(), _srgb_decode),
    ],
    ids=["adobe-rgb", "display-p3"],
)
def test_wide_gamut_rgb_profiles_are_converted_to_srgb(
    container: str, name: str, primaries: Any, curve: bytes, decode_curve: Callable[[float], float]
) -> None:
    profile = rgb_icc(name, primaries, curve)
    source = swatch_image(SWATCHES)
    if container == "png":
        data = png_bytes(source, icc_profile=profile)
    else:
        data = jpeg_bytes(source, quality=100, subsampling=0, icc_profile=profile)
    stats = RenderStats()
    derivatives = render_derivatives(data, sizes=(1024,), stats=stats)
    assert stats.color == f"icc:{name}"
    expected = [expected_srgb(c, primaries, decode_curve) for c in SWATCHES]
    assert any(not close(e, c, 12) for e, c in zip(expected, SWATCHES, strict=True)), "test must be meaningful"
    assert expected[4] == (255, 0, 0) and expected[5] == (0, 255, 0) and expected[7] == (255, 255, 255)
    for derivative in derivatives:
        img = decode(derivative.data)
        assert img.mode == "RGB"
        assert_only_credit(derivative, None, None)
        tolerance = 6 if derivative.format == "jpeg" else 8
        for got, want in zip(swatch_values(img, len(SWATCHES)), expected, strict=True):
            assert close(got, want, tolerance), f"{derivative.format}: {got} != {want}"


def test_greyscale_profile_is_converted_and_stays_grey() -> None:
    data = png_bytes(swatch_image([0, 64, 128, 255], "L"), icc_profile=gray_icc(1.0))
    stats = RenderStats()
    derivatives = by_key(render_derivatives(data, sizes=(400,), stats=stats))
    assert stats.color == "icc:Test linear gray"
    jpeg = decode(derivatives[400, "jpeg"].data)
    assert jpeg.mode == "L"
    expected = [round(255 * _srgb_encode(v / 255)) for v in (0, 64, 128, 255)]  # 0, 137, 188, 255
    assert [v[0] for v in swatch_values(jpeg, 4)] == pytest.approx(expected, abs=3)
    webp = decode(derivatives[400, "webp"].data)
    for got, want in zip(swatch_values(webp, 4), expected, strict=True):
        assert close(got, (want,) * 3, 4)


def test_cmyk_jpeg_with_profile_uses_the_profile() -> None:
    # Pillow writes CMYK JPEGs the Adobe way (APP14, inverted values) and reads them back.
    colours = [(0, 0, 0, 0), (0, 0, 0, 255), (255, 0, 0, 0), (0, 255, 255, 0), (0, 0, 0, 128)]
    data = jpeg_bytes(swatch_image(colours, "CMYK"), quality=100, icc_profile=k_only_cmyk_icc())
    assert b"Adobe" in data[:400]
    stats = RenderStats()
    derivatives = by_key(render_derivatives(data, sizes=(400,), stats=stats))
    assert stats.color == "icc:Test K-only CMYK"
    img = decode(derivatives[400, "jpeg"].data)
    assert img.mode == "RGB"
    expected = [(255, 255, 255), (0, 0, 0), (255, 255, 255), (255, 255, 255), (118, 118, 118)]
    for got, want in zip(swatch_values(img, len(colours)), expected, strict=True):
        assert close(got, want, 6), f"{got} != {want}"  # without the profile: cyan, red


def test_cmyk_without_profile_uses_pillow_conversion() -> None:
    colours = [(0, 0, 0, 0), (0, 255, 255, 0), (255, 0, 0, 0), (0, 0, 0, 255)]
    data = jpeg_bytes(swatch_image(colours, "CMYK"), quality=100)
    stats = RenderStats()
    img = decode(by_key(render_derivatives(data, sizes=(400,), stats=stats))[400, "jpeg"].data)
    assert stats.color == "cmyk"
    expected = [(255, 255, 255), (255, 0, 0), (0, 255, 255), (0, 0, 0)]
    for got, want in zip(swatch_values(img, len(colours)), expected, strict=True):
        assert close(got, want, 8), f"{got} != {want}"


def test_corpus_adobe_cmyk_sample_matches_its_rgb_twin() -> None:
    cmyk = by_key(render_derivatives(corpus("pillow-images", "pil_sample_cmyk.jpg")))
    rgb = by_key(render_derivatives(corpus("pillow-images", "pil_sample_rgb.jpg")))
    for key, derivative in cmyk.items():
        a, b = decode(derivative.data), decode(rgb[key].data)
        assert a.mode == b.mode == "RGB" and a.size == b.size
        assert ImageStat.Stat(ImageChops.difference(a, b)).mean[0] < 12, key


def test_unusable_profiles_are_ignored() -> None:
    stats = RenderStats()
    render_derivatives(corpus("pillow-images", "icc-after-SOF.jpg"), stats=stats)  # bogus ICC
    assert stats.color.startswith("ignored:")
    # An RGB profile on greyscale pixels does not apply either.
    data = png_bytes(swatch_image([10, 200], "L"), icc_profile=rgb_icc("x", P3_PRIMARIES, _srgb_curve_tag()))
    render_derivatives(data, sizes=(400,), stats=stats)
    assert stats.color.startswith("ignored:")


def test_srgb_profile_is_left_alone() -> None:
    stats = RenderStats()
    render_derivatives(corpus("pillow-images", "flower2.jpg"), stats=stats)
    assert stats.color == "srgb-profile"


# --------------------------------------------------------------------------------------
# Bit depth, palettes, alpha


def test_16bit_greyscale_is_scaled_not_clipped() -> None:
    gradient = Image.linear_gradient("L").rotate(90, expand=True).resize((256, 32))  # 255 .. 0 left to right
    wide = Image.new("I;16", gradient.size)
    wide.putdata([v * 257 for v in gradient.get_flattened_data()])
    assert wide.mode == "I;16"
    stats = RenderStats()
    img = decode(by_key(render_derivatives(png_bytes(wide), sizes=(400,), stats=stats))[400, "jpeg"].data)
    assert stats.source_mode == "I;16"
    assert img.mode == "L"
    row = [img.getpixel((x, 16)) for x in (2, 128, 253)]
    expected = [gradient.getpixel((x, 16)) for x in (2, 128, 253)]
    assert row == pytest.approx(expected, abs=4)  # clipping would make everything 255


def test_corpus_16bit_tiff_brightness_is_preserved() -> None:
    path = corpus("pillow-images", "16bit.MM.cropped.tif")
    with Image.open(path) as source:
        assert source.mode == "I;16B"
        mean16 = ImageStat.Stat(source.convert("I")).mean[0]
    img = decode(by_key(render_derivatives(path))[400, "jpeg"].data)
    assert img.mode == "L"
    assert ImageStat.Stat(img).mean[0] == pytest.approx(mean16 / 256, abs=2)


CORPUS_ODD_MODES = [
    "i_trns.png",
    "apng/mode_16bit.png",
    "tiff_16bit_RGB.tiff",
    "tiff_16bit_RGBa.tiff",
    "10ct_32bit_128.tiff",
    "hopper.Lab.tif",
    "hopper.iccprofile.tif",
    "tiff_strip_cmyk_16l_jpeg.tif",
    "g4_orientation_1.tif",
    "avif/icc_profile.avif",
    "flower2.webp",
]


@pytest.mark.parametrize("name", CORPUS_ODD_MODES)
def test_corpus_modes_render_to_plain_8bit(name: str) -> None:
    path = corpus("pillow-images", name)
    derivatives = render_derivatives(path, formats=("PNG", "TIFF", "AVIF", "WEBP"))
    for derivative in derivatives:
        img = decode(derivative.data)
        assert img.mode in (("L", "RGB") if derivative.format == "jpeg" else ("RGB", "RGBA"))
        if name != "apng/mode_16bit.png":  # its first frame is one flat colour
            assert max(ImageStat.Stat(img).stddev) > 2, "not a blank image"


def test_palette_with_transparency() -> None:
    img = Image.new("P", (64, 32), 0)
    img.putpalette([0, 0, 0, 220, 20, 20] + [0] * 762)
    ImageDraw.Draw(img).rectangle((32, 0, 63, 31), fill=1)
    data = png_bytes(img, transparency=0)
    derivatives = by_key(render_derivatives(data, sizes=(400,)))
    jpeg = decode(derivatives[400, "jpeg"].data)
    assert jpeg.mode == "RGB"
    assert close(px(jpeg, (8, 16)), (255, 255, 255), 4), "transparent -> white"
    assert close(px(jpeg, (56, 16)), (220, 20, 20), 8)
    webp = decode(derivatives[400, "webp"].data)
    assert webp.mode == "RGBA"
    assert px(webp, (8, 16))[3] == 0
    assert close(px(webp, (56, 16)), (220, 20, 20, 255), 8)


def test_palette_without_transparency_and_gif() -> None:
    img = Image.new("RGB", (40, 20), (10, 120, 200)).convert("P", palette=Image.Palette.ADAPTIVE)
    webp = decode(by_key(render_derivatives(png_bytes(img), sizes=(400,)))[400, "webp"].data)
    assert webp.mode == "RGB"
    path = corpus("pillow-images", "dispose_bgnd_transparency.gif")
    derivatives = render_derivatives(path, formats=("GIF",))
    assert {d.format for d in derivatives} == {"jpeg", "webp"}


def test_alpha_flattened_on_white_for_jpeg_kept_for_webp() -> None:
    img = Image.new("RGBA", (64, 32), (255, 0, 0, 128))
    ImageDraw.Draw(img).rectangle((32, 0, 63, 31), fill=(0, 0, 255, 255))
    derivatives = by_key(render_derivatives(png_bytes(img), sizes=(400,)))
    jpeg = decode(derivatives[400, "jpeg"].data)
    assert jpeg.mode == "RGB"
    assert close(px(jpeg, (8, 16)), (255, 127, 127), 6), px(jpeg, (8, 16))
    assert close(px(jpeg, (56, 16)), (0, 0, 255), 6)
    webp = decode(derivatives[400, "webp"].data)
    assert webp.mode == "RGBA"
    assert close(px(webp, (8, 16)), (255, 0, 0, 128), 6), px(webp, (8, 16))
    assert px(webp, (56, 16))[3] == 255


def test_greyscale_alpha_and_bilevel() -> None:
    la = Image.new("LA", (32, 32), (0, 0))
    ImageDraw.Draw(la).rectangle((16, 0, 31, 31), fill=(0, 255))
    derivatives = by_key(render_derivatives(png_bytes(la), sizes=(400,)))
    jpeg = decode(derivatives[400, "jpeg"].data)
    assert jpeg.mode == "L" and px(jpeg, (4, 16))[0] >= 250 and px(jpeg, (28, 16))[0] <= 5
    assert decode(derivatives[400, "webp"].data).mode == "RGBA"
    bilevel = Image.new("1", (32, 32), 1)
    ImageDraw.Draw(bilevel).rectangle((0, 0, 15, 31), fill=0)
    jpeg = decode(by_key(render_derivatives(png_bytes(bilevel), sizes=(400,)))[400, "jpeg"].data)
    assert jpeg.mode == "L" and px(jpeg, (4, 16))[0] <= 5 and px(jpeg, (28, 16))[0] >= 250


def test_opaque_alpha_is_dropped() -> None:
    img = photo_like(300, 200).convert("RGBA")
    webp = decode(by_key(render_derivatives(png_bytes(img), sizes=(400,)))[400, "webp"].data)
    assert webp.mode == "RGB"


def test_caller_owned_image_is_accepted_and_not_closed(landscape_jpeg: bytes) -> None:
    with open_image(io.BytesIO(landscape_jpeg)) as img:
        stats = RenderStats()
        derivatives = render_derivatives(img, sizes=(400,), stats=stats)
        assert stats.draft_scale == 4  # still unloaded when passed in
        assert img.size == (750, 500)  # drafted in place; the caller's image stays usable
        img.getpixel((0, 0))
    assert len(derivatives) == 2


# --------------------------------------------------------------------------------------
# Failures


def test_undecodable_inputs_raise_derivative_error(landscape_jpeg: bytes) -> None:
    for data in (b"definitely not an image", landscape_jpeg[: len(landscape_jpeg) // 2]):
        with pytest.raises(DerivativeError) as caught:
            render_derivatives(data)
        assert isinstance(caught.value.__cause__, UndecodableImage)
        assert "could not decode image" in str(caught.value)
    with pytest.raises(DerivativeError) as caught:
        render_derivatives(corpus("pillow-images", "truncated_image.png"))
    assert isinstance(caught.value.__cause__, UndecodableImage)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_too_many_pixels_raise_derivative_error(landscape_jpeg: bytes) -> None:
    with pytest.raises(DerivativeError) as caught:
        render_derivatives(landscape_jpeg, max_pixels=1_000_000)
    cause = caught.value.__cause__
    assert isinstance(cause, TooManyPixels)
    assert (cause.width, cause.height, cause.max_pixels) == (3000, 2000, 1_000_000)


def test_encoder_failures_are_derivative_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise OSError("encoder error -2")

    monkeypatch.setattr(derivatives_module, "encode_webp", broken)
    with pytest.raises(DerivativeError, match="encoder error"):
        render_derivatives(png_bytes(photo_like(50, 50)))


def hostile_files() -> list[str]:
    manifest = PILLOW_IMAGES / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    wanted = {"bomb", "fuzz-crash", "truncated", "bad-exif", "animated", "mpo", "jpeg-variant", "tiff-misc"}
    return sorted({r["file"] for r in rows if r["category"] in wanted and not r["file"].endswith(".bin")})


@pytest.mark.parametrize("name", hostile_files() or [pytest.param("none", marks=pytest.mark.skip("no corpus"))])
def test_hostile_corpus_files_fail_cleanly(name: str) -> None:
    """Every hostile file either renders or raises DerivativeError; nothing else escapes."""
    path = corpus("pillow-images", name)
    formats = ("JPEG", "PNG", "WEBP", "TIFF", "HEIF", "AVIF", "GIF", "BMP", "ICO")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about corrupt EXIF; not our subject
        try:
            derivatives = render_derivatives(path, sizes=(64,), formats=formats)
        except DerivativeError as exc:
            assert isinstance(exc.__cause__, (UndecodableImage, TooManyPixels)), repr(exc.__cause__)
        else:
            assert derivatives and all(d.data for d in derivatives)
