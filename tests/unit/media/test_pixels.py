"""Pixels of a derivative (gallery.media.pixels): 8 bits, sRGB, resize, alpha.

The colour-managed renders (ICC profiles written from their published primaries) are tested
end to end in test_derivatives.py; these are the functions on their own.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw

from gallery.media.pixels import BAND_ROWS, TRANSPOSE, drop_opaque_alpha, flatten_on_white, resize, to_8bit, to_srgb


def test_16bit_grey_is_divided_by_256_not_clipped() -> None:
    wide = Image.new("I;16", (2, 1))
    wide.putpixel((0, 0), 65535)
    wide.putpixel((1, 0), 32768)
    grey = to_8bit(wide)
    assert grey.mode == "L" and grey.getpixel((0, 0)) == 255 and grey.getpixel((1, 0)) == 128


def test_float_values_in_0_1_are_scaled_to_white() -> None:
    img = Image.new("F", (1, 1), 1.0)
    assert to_8bit(img).getpixel((0, 0)) == 255


@pytest.mark.parametrize(("mode", "expected"), [("1", "L"), ("P", "RGB"), ("RGBX", "RGB"), ("YCbCr", "RGB")])
def test_modes_become_8bit(mode: str, expected: str) -> None:
    assert to_8bit(Image.new(mode, (2, 2))).mode == expected


def test_palette_transparency_becomes_alpha() -> None:
    img = Image.new("P", (2, 2), 0)
    img.info["transparency"] = 0
    assert to_8bit(img).mode == "RGBA"


def test_opaque_alpha_is_dropped_and_real_alpha_kept() -> None:
    assert drop_opaque_alpha(Image.new("RGBA", (2, 2), (1, 2, 3, 255))).mode == "RGB"
    assert drop_opaque_alpha(Image.new("LA", (2, 2), (9, 10))).mode == "LA"


def test_flatten_on_white() -> None:
    flat = flatten_on_white(Image.new("RGBA", (1, 1), (0, 0, 0, 0)))
    assert flat.mode == "RGB" and flat.getpixel((0, 0)) == (255, 255, 255)
    grey = Image.new("L", (1, 1), 7)
    assert flatten_on_white(grey) is grey


def test_to_srgb_without_profile_and_with_srgb_profile() -> None:
    img = Image.new("RGB", (1, 1), (10, 20, 30))
    assert to_srgb(img, None) == (img, "none")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    converted, note = to_srgb(img, srgb)
    assert converted.getpixel((0, 0)) == (10, 20, 30) and note in ("srgb-profile", "icc:sRGB built-in")


def test_to_srgb_ignores_a_profile_of_the_wrong_colour_space_and_garbage() -> None:
    img = Image.new("L", (1, 1), 100)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    kept, note = to_srgb(img, srgb)
    assert kept.getpixel((0, 0)) == 100 and note.startswith("ignored:RGB profile on L")
    _, note = to_srgb(Image.new("RGB", (1, 1)), b"not a profile")
    assert note.startswith("ignored:unreadable profile")


def test_cmyk_without_profile_uses_pillow() -> None:
    converted, note = to_srgb(Image.new("CMYK", (1, 1), (0, 0, 0, 0)), None)
    assert converted.mode == "RGB" and converted.getpixel((0, 0)) == (255, 255, 255) and note == "cmyk"


def test_resize_keeps_the_same_size_object_and_transposes_cover_orientations() -> None:
    img = Image.new("RGB", (40, 20))
    assert resize(img, (40, 20)) is img
    assert resize(img, (20, 10)).size == (20, 10)
    assert sorted(TRANSPOSE) == [2, 3, 4, 5, 6, 7, 8]


def detailed(mode: str, size: tuple[int, int]) -> Image.Image:
    """Gradients, hard edges and a partly transparent corner: what a resize can get wrong at band seams."""
    width, height = size
    img = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize(size),
            Image.radial_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
        ),
    ).convert("RGBA")
    draw = ImageDraw.Draw(img)
    for y in range(0, height, 37):
        draw.line((0, y, width, height - y), fill=(255, 255, 255, 255), width=3)
    draw.rectangle((0, 0, width // 3, height // 3), fill=(200, 30, 30, 90))
    return img.convert(mode)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "CMYK"])
@pytest.mark.parametrize(("source", "target"), [((1500, 1000), (1024, 683)), ((1000, 1500), (683, 1024))])
def test_resize_in_bands_is_pillows_whole_image_resize(
    mode: str, source: tuple[int, int], target: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    img = detailed(mode, source)
    img.info["note"] = "kept"
    whole = img.resize(target, Image.Resampling.BICUBIC, reducing_gap=3.0)
    calls: list[tuple[int, int]] = []
    original = Image.Image.resize

    def recording(self: Image.Image, size: tuple[int, int], *args: object, **kwargs: object) -> Image.Image:
        if self.mode == mode:  # not Pillow's own inner call on premultiplied alpha (RGBa, La)
            calls.append((size[0], size[1]))
        return original(self, size, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Image.Image, "resize", recording)
    banded = resize(img, target)
    assert len(calls) == -(-target[1] // BAND_ROWS) and all(h <= BAND_ROWS for _, h in calls), "made in bands"
    assert (banded.mode, banded.size, banded.info.get("note")) == (mode, target, "kept")
    # The same picture: the seams do not show; rounding differs by one level at most.
    extrema = ImageChops.difference(banded, whole).getextrema()
    bands = [extrema] if len(banded.getbands()) == 1 else list(extrema)
    assert max(int(high) for _, high in bands) <= 1  # type: ignore[misc]


def test_resize_along_one_axis_or_to_few_rows_is_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    original = Image.Image.resize

    def recording(self: Image.Image, size: tuple[int, int], *args: object, **kwargs: object) -> Image.Image:
        calls.append((size[0], size[1]))
        return original(self, size, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Image.Image, "resize", recording)
    img = Image.new("RGB", (1000, 800))
    assert resize(img, (500, 800)).size == (500, 800)  # no intermediate: one pass
    assert resize(img, (1000, 400)).size == (1000, 400)
    assert resize(img, (200, BAND_ROWS)).size == (200, BAND_ROWS)
    assert calls == [(500, 800), (1000, 400), (200, BAND_ROWS)]
