"""Decoding memory is bounded per process (GALLERY_DECODE_BUDGET_MP), against real server processes.

Six small PNGs of 12000x12000 (144 MP each, under the 150 MP pixel limit, ~0.5 MB each) uploaded
at once must not take a server process past 1 GB: decodes beyond the budget wait their turn (or
get 503 with Retry-After), and the memory is given back afterwards."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.ingest.servers import (
    gunicorn_server,
    memory_kb,
    post_photo,
    prepare_instance,
    settled_rss_kb,
    werkzeug_server,
    with_text_chunk,
)

pytestmark = pytest.mark.slow

GB_KB = 1024 * 1024


def big_png(side: int) -> bytes:
    """A side x side RGB PNG that deflates to almost nothing (a few shapes on a flat colour)."""
    img = Image.new("RGB", (side, side), (40, 90, 160))
    draw = ImageDraw.Draw(img)
    for i in range(8):
        draw.rectangle(
            (i * side // 9, i * side // 11, i * side // 9 + side // 7, i * side // 11 + side // 5),
            fill=(200, 30 * i, 60),
        )
    del draw
    out = io.BytesIO()
    img.save(out, "PNG", compress_level=6)
    img.close()
    return out.getvalue()


@pytest.fixture(scope="module")
def png_144mp() -> bytes:
    return big_png(12_000)


def _burst(url: str, instance, pngs: list[bytes]) -> list[tuple[int, dict[str, str], dict, float]]:
    with ThreadPoolExecutor(len(pngs)) as pool:
        return list(pool.map(lambda item: post_photo(url, instance, item[1], f"big-{item[0]}.png"), enumerate(pngs)))


def _check_answers(answers: list[tuple[int, dict[str, str], dict, float]]) -> None:
    for status, headers, body, elapsed in answers:
        assert elapsed <= 60, f"an answer took {elapsed:.1f} s"
        if status == 503:
            assert int(headers["Retry-After"]) >= 1
            assert body["error"]["code"] == "decoder_busy", body
        else:
            assert status == 201, (status, body)
            assert body["status"] == "ready", body


def test_six_concurrent_144mp_pngs_stay_under_1gb_in_one_threaded_server(tmp_path: Path, png_144mp: bytes) -> None:
    instance = prepare_instance(tmp_path)
    pngs = [with_text_chunk(png_144mp, f"upload {n}") for n in range(6)]
    assert len(pngs[0]) < 1_000_000
    with werkzeug_server(instance) as (pid, url):
        idle = memory_kb(pid)["VmRSS"]
        started = time.monotonic()
        answers = _burst(url, instance, pngs)
        took = time.monotonic() - started
        peak = memory_kb(pid)["VmHWM"]
        settled = settled_rss_kb(pid, seconds=5)
    print(
        f"\nsix 144 MP PNGs: {took:.1f} s, statuses {sorted(a[0] for a in answers)}, slowest answer "
        f"{max(a[3] for a in answers):.1f} s (all: {sorted(round(a[3], 1) for a in answers)}); "
        f"server RSS idle {idle // 1024} MB, peak {peak // 1024} MB, "
        f"after {settled // 1024} MB"
    )
    _check_answers(answers)
    assert sum(a[0] == 201 for a in answers) >= 1
    assert peak <= GB_KB, f"peak RSS {peak // 1024} MB"
    # Memory is given back after the burst: well below the peak, near where it started.
    assert settled <= idle + (peak - idle) // 3, f"RSS after the burst {settled // 1024} MB (peak {peak // 1024} MB)"


def test_gunicorn_workers_each_keep_their_own_budget(tmp_path: Path) -> None:
    """Two gthread workers, each with a budget of 40 MP and 36 MP images: per worker at most one
    decode at a time, so each worker's peak stays far below what three at once would take."""
    png = big_png(6_000)
    instance = prepare_instance(tmp_path, GALLERY_MAX_PIXELS="40000000", GALLERY_DECODE_BUDGET_MP="40")
    pngs = [with_text_chunk(png, f"upload {n}") for n in range(8)]
    with gunicorn_server(instance, workers=2, threads=4) as (pids, url):
        idle = {pid: memory_kb(pid)["VmRSS"] for pid in pids}
        answers = _burst(url, instance, pngs)
        peaks = {pid: memory_kb(pid)["VmHWM"] for pid in pids}
    print(
        f"\ngunicorn -w 2 --threads 4, eight 36 MP PNGs: statuses {sorted(a[0] for a in answers)}; "
        + ", ".join(f"worker {pid} idle {idle[pid] // 1024} MB peak {peaks[pid] // 1024} MB" for pid in pids)
    )
    _check_answers(answers)
    # One 36 MP decode is 144 MB of pixels (Pillow keeps RGB at 4 bytes per pixel), plus the
    # first resize; three at once (what four threads allow without a budget) would be 430+ MB.
    for pid in pids:
        assert peaks[pid] - idle[pid] <= 300 * 1024, f"worker {pid} grew by {(peaks[pid] - idle[pid]) // 1024} MB"
