"""The process-wide decoding budget (gallery.media.budget) and how images.py charges it."""

from __future__ import annotations

import io
import threading
import time
import zlib

import pytest
from PIL import Image

from gallery.media import budget, images
from gallery.media.budget import BudgetWaitExceeded, DecodeBudget


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def jpeg(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def process_budget():
    """The process's budget, restored afterwards."""
    current = budget.current()
    saved = current.capacity_mp, current.wait_seconds
    yield current
    current.configure(*saved)


def until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_reservations_beyond_the_budget_wait_their_turn() -> None:
    pool = DecodeBudget(100, wait_seconds=5)
    order: list[str] = []

    def second() -> None:
        with pool.reserve(60):
            order.append("second")

    with pool.reserve(60):
        thread = threading.Thread(target=second)
        thread.start()
        until(lambda: pool.waiting == 1)  # 60 + 60 > 100: it waits
        time.sleep(0.1)
        assert order == []
        order.append("first done")
    thread.join(5)
    assert order == ["first done", "second"]
    assert pool.in_use_mp == 0


def test_past_the_wait_limit_a_typed_error_with_retry_after() -> None:
    pool = DecodeBudget(100, wait_seconds=0.2)
    with pool.reserve(100):
        started = time.monotonic()
        with pytest.raises(BudgetWaitExceeded) as caught, pool.reserve(1):
            pass
        assert 0.2 <= time.monotonic() - started < 2
    assert caught.value.retry_after >= 1
    assert pool.in_use_mp == 0 and pool.waiting == 0


def test_a_reservation_larger_than_the_budget_runs_alone() -> None:
    pool = DecodeBudget(100, wait_seconds=0.2)
    with pool.reserve(500) as charge:
        assert charge == 100
    with pool.reserve(10), pytest.raises(BudgetWaitExceeded), pool.reserve(500):
        pass


def test_priority_goes_first_and_waits_without_limit() -> None:
    pool = DecodeBudget(100, wait_seconds=0.3)
    order: list[str] = []

    def run(name: str, priority: bool) -> None:
        try:
            with pool.reserve(100, priority=priority):
                order.append(name)
        except BudgetWaitExceeded:
            order.append(name + " refused")

    with pool.reserve(100):
        upload = threading.Thread(target=run, args=("upload", False))
        upload.start()
        until(lambda: pool.waiting == 1)
        render = threading.Thread(target=run, args=("render", True))
        render.start()
        until(lambda: pool.waiting == 2)
        upload.join(5)  # past its wait limit: the upload gives up, the render waits on
        assert order == ["upload refused"] and pool.waiting == 1
    render.join(5)
    assert order == ["upload refused", "render"]


def test_priority_is_served_before_earlier_ordinary_waiters() -> None:
    pool = DecodeBudget(100, wait_seconds=5)
    order: list[str] = []

    def run(name: str, priority: bool) -> None:
        with pool.reserve(100, priority=priority):
            order.append(name)

    with pool.reserve(100):
        threads = []
        for count, (name, priority) in enumerate((("upload", False), ("render", True)), start=1):
            threads.append(threading.Thread(target=run, args=(name, priority)))
            threads[-1].start()
            until(lambda count=count: pool.waiting == count)
    for thread in threads:
        thread.join(5)
    assert order == ["render", "upload"]


def test_a_big_waiter_is_not_starved_by_small_ones() -> None:
    pool = DecodeBudget(100, wait_seconds=5)
    order: list[str] = []

    def run(name: str, megapixels: float) -> None:
        with pool.reserve(megapixels):
            order.append(name)

    with pool.reserve(50):
        big = threading.Thread(target=run, args=("big", 100))
        big.start()
        until(lambda: pool.waiting == 1)
        small = threading.Thread(target=run, args=("small", 10))
        small.start()
        until(lambda: pool.waiting == 2)
        time.sleep(0.1)
        assert order == []  # 50 + 10 would fit, but the big one came first
    big.join(5)
    small.join(5)
    assert order == ["big", "small"]


def test_without_limit_waits_past_the_wait_limit() -> None:
    pool = DecodeBudget(10, wait_seconds=0.1)
    done = threading.Event()

    def patient() -> None:
        with budget.waiting_without_limit(), pool.reserve(10):
            done.set()

    with pool.reserve(10):
        thread = threading.Thread(target=patient)
        thread.start()
        until(lambda: pool.waiting == 1)
        time.sleep(0.4)
        assert not done.is_set() and pool.waiting == 1
    thread.join(5)
    assert done.is_set()


def test_decode_cost_counts_what_is_decoded() -> None:
    with images.open_image(io.BytesIO(png((1000, 1000)))) as rgb:
        assert images.decode_cost_mp(rgb) == pytest.approx(1.0)  # Pillow holds RGB at 4 bytes
    with images.open_image(io.BytesIO(png((1000, 1000), "L"))) as grey:
        assert images.decode_cost_mp(grey) == pytest.approx(0.25)
    with images.open_image(io.BytesIO(jpeg((4000, 2000)))) as photo:
        assert images.decode_cost_mp(photo) == pytest.approx(8.0)
        photo.draft("RGB", (500, 250))  # DCT scaling: 1/8 of each side is decoded
        assert images.decode_cost_mp(photo) == pytest.approx(8.0 / 64)
        assert images.decode_cost_mp(photo, working_bytes=4_000_000) == pytest.approx(1 + 8.0 / 64)


def test_decoding_waits_for_the_budget_and_says_so(process_budget) -> None:
    process_budget.configure(10, 0.2)
    data = png((1000, 1000))
    with process_budget.reserve(10), images.open_image(io.BytesIO(data)) as img, pytest.raises(BudgetWaitExceeded):
        images.decode_check(img)
    with images.open_image(io.BytesIO(data)) as img:
        images.decode_check(img)
    assert process_budget.in_use_mp == 0


def test_reading_a_png_header_decodes_no_pixels() -> None:
    """Pillow's PNG getexif() decodes the whole image to look for a late eXIf chunk: probing a
    PNG's orientation must not (that decode would escape the budget)."""
    with images.open_image(io.BytesIO(png((2000, 1000)))) as img:
        assert images.pending_orientation(img) == 1
        assert images.source_orientation(img) == 1
        assert img.tile, "the pixels were decoded"
    # An eXIf chunk after the image data is still read once the pixels are decoded.
    exif = Image.Exif()
    exif[0x0112] = 6
    body = exif.tobytes()
    chunk = len(body).to_bytes(4, "big") + b"eXIf" + body + zlib.crc32(b"eXIf" + body).to_bytes(4, "big")
    data = png((20, 10))
    end = data.rindex(b"IEND") - 4
    with images.open_image(io.BytesIO(data[:end] + chunk + data[end:])) as img:
        assert images.pending_orientation(img) == 1  # not known from the headers
        images.decode_check(img)
        assert images.pending_orientation(img) == 6
