"""The demo album in headless Chromium (Debian's, driven by Playwright): thumbnails
decode, the justified grid and the PhotoSwipe lightbox work (click, arrow keys,
Escape, #photo-<id> deep links), no console errors and no CSP violations.
Screenshots of the album and the lightbox at 390×844 and 1440×900 go to
``test-artifacts/``."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gallery.core.audit import SYSTEM
from gallery.demo import ALBUM_SLUG, load_demo
from gallery.extensions import db
from gallery.models import Derivative, Photo
from gallery.photos.process import process_photo
from gallery.photos.service import list_photos
from tests.conftest import make_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
VENDOR = ROOT / "gallery" / "static" / "vendor"
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORTS = [(390, 844), (1440, 900)]


@dataclass
class Demo:
    base_url: str
    photos: list[dict[str, Any]]  # in display order: id, caption, sha256
    paged: list[int]  # photo ids of the 30-photo album PAGED_SLUG, in display order


PAGE_SIZE = 12  # the demo album fits on one page; PAGED_SLUG takes three
PAGED_SLUG = "ecc-2024-paged"


def _paged_album(demo_album: Any) -> list[int]:
    """A 30-photo album whose photos reuse the demo photos' derivatives (the media
    route serves a derivative to any visible photo that refers to it)."""
    from datetime import timedelta

    from gallery.catalog.albums import create_album

    album = create_album(
        db.session, event=demo_album.event, slug=PAGED_SLUG, title="ECC 2024 — every photo", actor=SYSTEM
    )
    db.session.flush()
    sources = list_photos(db.session, demo_album, include_unready=False)
    ids = []
    for n in range(30):
        source = sources[n % len(sources)]
        photo = Photo(
            album_id=album.id,
            sha256=f"{n:064x}",
            original_key=source.original_key,
            original_filename=f"copy-{n}.jpg",
            content_type="image/jpeg",
            size=source.size,
            width=source.width,
            height=source.height,
            taken_at=source.taken_at + timedelta(days=n // 12),
            taken_at_offset_minutes=source.taken_at_offset_minutes,
            caption=f"Copy {n + 1}: {source.caption}",
            credit=source.credit,
            status=source.status,
            derivatives=[
                Derivative(width=d.width, height=d.height, format=d.format, key=d.key, size=d.size)
                for d in source.derivatives
            ],
        )
        db.session.add(photo)
        db.session.flush()
        ids.append(photo.id)
    db.session.commit()
    return [p.id for p in list_photos(db.session, album, include_unready=False)]


def _programme(event_id: int, paged: list[int]) -> None:
    """Sessions over the paged album: one across the first page break, one parallel to it, one
    on the last page (the photos between them are between sessions)."""
    from gallery.schedule.models import EventSession

    times = [db.session.get_one(Photo, photo_id).taken_at for photo_id in paged]
    for slug, first, last in (("long-session", 9, 14), ("parallel-session", 10, 13), ("late-session", 20, 25)):
        start, end = times[first], times[last]
        assert start is not None and end is not None
        db.session.add(EventSession(event_id=event_id, slug=slug, title=slug, starts_at=start, ends_at=end))
    db.session.commit()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (make browser)")
    if not (VENDOR / "photoswipe" / "photoswipe.esm.js").exists():
        message = "front-end libraries missing in gallery/static/vendor: run `make assets`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from werkzeug.serving import make_server

    tmp = tmp_path_factory.mktemp("browser")
    app = make_app(tmp, f"sqlite:///{tmp / 'browser.db'}", ALBUM_PAGE_SIZE=PAGE_SIZE)
    settings = app.config["GALLERY_SETTINGS"]
    storage = app.extensions["gallery_storage"]
    with app.app_context():
        db.create_all()
        _, album, ids = load_demo(db.session, storage, tmp_dir=tmp, max_pixels=settings.max_pixels, actor=SYSTEM)
        for photo_id in ids:
            status = process_photo(
                db.session, storage, photo_id, sizes=settings.derivative_sizes, max_pixels=settings.max_pixels
            )
            assert status == "ready"
        album = db.session.merge(album)
        photos = [
            {"id": p.id, "caption": p.caption, "sha256": p.sha256}
            for p in list_photos(db.session, album, include_unready=False)
        ]
        assert len(photos) == 12
        paged = _paged_album(album)
        _programme(album.event_id, paged)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Demo(base_url=f"http://127.0.0.1:{server.server_port}", photos=photos, paged=paged)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser(demo: Demo) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Watched:
    """A page whose console errors, page errors and CSP violations are collected."""

    def __init__(self, browser: Any, viewport: tuple[int, int], **options: Any) -> None:
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, locale="en-GB", **options
        )
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.add_init_script(
            "window.__csp = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
        )

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning") and (
            message.type == "error" or "Content Security Policy" in message.text
        ):
            self.problems.append(f"console {message.type}: {message.text}")

    def check_clean(self) -> None:
        violations = self.page.evaluate("window.__csp || []")
        assert violations == [], violations
        assert self.problems == [], self.problems

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser: Any) -> Iterator[Any]:
    opened: list[Watched] = []

    def open_page(viewport: tuple[int, int], **options: Any) -> Watched:
        page = Watched(browser, viewport, **options)
        opened.append(page)
        return page

    yield open_page
    for page in opened:
        page.close()


VISIBLE_THUMBNAILS = """() => {
  const imgs = Array.from(document.querySelectorAll('#album-grid img'));
  const visible = imgs.filter(img => {
    const r = img.getBoundingClientRect();
    return r.width > 0 && r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth;
  });
  return visible.map(img => ({src: img.currentSrc, complete: img.complete, naturalWidth: img.naturalWidth}));
}"""

ALL_THUMBNAILS_DECODED = """() => Array.from(document.querySelectorAll('#album-grid img'))
  .every(img => img.complete && img.naturalWidth > 0)"""

ROWS_FIT = """() => {
  const grid = document.getElementById('album-grid');
  if (!grid.classList.contains('is-justified')) return 'not justified';
  const width = grid.clientWidth;
  for (const list of grid.querySelectorAll('.grid')) {
    const rows = new Map();
    for (const tile of list.children) {
      const r = tile.getBoundingClientRect();
      const key = Math.round(r.top);
      rows.set(key, (rows.get(key) || 0) + r.width);
    }
    const tops = Array.from(rows.keys());
    for (const [top, total] of rows) {
      if (total > width + 1) return `row at ${top} is ${total}px wide in ${width}px`;
    }
    // every row but the last of a day is (nearly) full
    tops.sort((a, b) => a - b).slice(0, -1).forEach(top => {
      if (rows.get(top) < width * 0.9) throw new Error(`row at ${top} is only ${rows.get(top)}px`);
    });
  }
  return 'ok';
}"""


def open_album(page: Watched, demo: Demo, suffix: str = "") -> None:
    page.page.goto(f"{demo.base_url}/albums/{ALBUM_SLUG}{suffix}", wait_until="networkidle")


def lightbox_state(page: Watched) -> dict[str, Any]:
    return page.page.evaluate(
        """() => {
          const root = document.querySelector('.pswp');
          const caption = document.querySelector('.pswp__gallery-caption');
          const img = document.querySelector(
            '.pswp__item[aria-hidden="false"] .pswp__img, .pswp__zoom-wrap .pswp__img');
          return {
            open: !!root && root.classList.contains('pswp--open'),
            hash: location.hash,
            caption: caption ? caption.textContent : null,
            counter: (document.querySelector('.pswp__counter') || {}).textContent || null,
          };
        }"""
    )


def wait_for_slide(page: Watched, photo: dict[str, Any]) -> None:
    page.page.wait_for_function(
        "(id) => location.hash === '#photo-' + id && document.querySelector('.pswp--open')", arg=photo["id"]
    )
    page.page.wait_for_function(
        """(caption) => {
          const el = document.querySelector('.pswp__gallery-caption');
          return el && el.textContent.includes(caption);
        }""",
        arg=photo["caption"],
    )
    # opened (the opening animation is over: PhotoSwipe ignores keys until then)
    page.page.wait_for_function("() => window.pswp && window.pswp.opener.isOpen && !window.pswp.mainScroll.isShifted()")
    # the slide's image is loaded (not just the placeholder)
    page.page.wait_for_function(
        """(sha) => Array.from(document.querySelectorAll('img.pswp__img'))
            .some(img => (img.currentSrc || img.src || '').includes(sha) && img.complete && img.naturalWidth > 0)""",
        arg=photo["sha256"],
    )


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_album_thumbnails_lightbox_and_screenshots(demo: Demo, watched: Any, viewport: tuple[int, int]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = watched(viewport)
    open_album(page, demo)
    page.page.wait_for_function(
        """() => Array.from(document.querySelectorAll('#album-grid img')).filter(img => {
            const r = img.getBoundingClientRect();
            return r.bottom > 0 && r.top < window.innerHeight;
          }).every(img => img.complete && img.naturalWidth > 0)"""
    )
    visible = page.page.evaluate(VISIBLE_THUMBNAILS)
    assert visible, "no thumbnail is visible"
    assert all(v["complete"] and v["naturalWidth"] > 0 for v in visible), visible
    assert all(".webp" in v["src"] for v in visible), visible  # the <source type=image/webp> was chosen
    assert page.page.evaluate(ROWS_FIT) == "ok"
    page.page.screenshot(path=str(ARTIFACTS / f"album-{viewport[0]}x{viewport[1]}.png"))

    # every thumbnail, including the lazy ones, decodes once scrolled to
    page.page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.page.wait_for_function(ALL_THUMBNAILS_DECODED)
    page.page.evaluate("window.scrollTo(0, 0)")

    first, second, third = demo.photos[:3]
    page.page.click(f"#photo-{first['id']}")
    wait_for_slide(page, first)
    state = lightbox_state(page)
    assert state["open"] and state["hash"] == f"#photo-{first['id']}"
    assert "Photo: ECC 2024 / Demo" in state["caption"]
    page.page.keyboard.press("ArrowRight")
    wait_for_slide(page, second)
    page.page.keyboard.press("ArrowRight")
    wait_for_slide(page, third)
    page.page.keyboard.press("ArrowLeft")
    wait_for_slide(page, second)
    page.page.wait_for_timeout(400)  # let the slide transition settle for the screenshot
    page.page.screenshot(path=str(ARTIFACTS / f"lightbox-{viewport[0]}x{viewport[1]}.png"))
    page.page.keyboard.press("Escape")
    page.page.wait_for_function("() => !document.querySelector('.pswp')")
    page.page.wait_for_function("() => location.hash === ''")
    # focus returns to the photo the lightbox was showing
    assert page.page.evaluate("document.activeElement.id") == f"photo-{second['id']}"
    page.check_clean()


def test_deep_link_opens_that_photo(demo: Demo, watched: Any) -> None:
    page = watched(VIEWPORTS[1])
    target = demo.photos[7]
    open_album(page, demo, f"#photo-{target['id']}")
    wait_for_slide(page, target)
    assert lightbox_state(page)["counter"] == "8 of 12"
    page.page.keyboard.press("ArrowRight")
    wait_for_slide(page, demo.photos[8])
    page.page.keyboard.press("Escape")
    page.page.wait_for_function("() => !document.querySelector('.pswp') && location.hash === ''")
    # changing the hash opens the lightbox again
    page.page.evaluate(f"location.hash = '#photo-{demo.photos[3]['id']}'")
    wait_for_slide(page, demo.photos[3])
    page.check_clean()


def test_keyboard_only(demo: Demo, watched: Any) -> None:
    page = watched(VIEWPORTS[1])
    open_album(page, demo)
    page.page.focus(f"#photo-{demo.photos[0]['id']}")
    page.page.keyboard.press("ArrowRight")
    page.page.keyboard.press("ArrowRight")
    assert page.page.evaluate("document.activeElement.id") == f"photo-{demo.photos[2]['id']}"
    outline = page.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # visible focus
    page.page.keyboard.press("End")
    assert page.page.evaluate("document.activeElement.id") == f"photo-{demo.photos[-1]['id']}"
    page.page.keyboard.press("Home")
    page.page.keyboard.press("Enter")
    wait_for_slide(page, demo.photos[0])
    page.page.keyboard.press("Escape")
    page.page.wait_for_function("() => !document.querySelector('.pswp')")
    page.check_clean()


def test_without_javascript_links_open_the_photo_pages(demo: Demo, watched: Any) -> None:
    page = watched(VIEWPORTS[0], java_script_enabled=False)
    open_album(page, demo)
    assert not page.page.evaluate("document.getElementById('album-grid').classList.contains('is-justified')")
    page.page.click(f"#photo-{demo.photos[4]['id']}")
    page.page.wait_for_url(f"**/albums/{ALBUM_SLUG}/photos/{demo.photos[4]['id']}")
    assert demo.photos[4]["caption"] in page.page.content()
    page.page.click("#next-photo")
    page.page.wait_for_url(f"**/photos/{demo.photos[5]['id']}")
    natural = page.page.evaluate("document.querySelector('.photo-large').naturalWidth")
    assert natural > 0
    page.check_clean()


def test_other_pages_are_clean(demo: Demo, watched: Any) -> None:
    page = watched(VIEWPORTS[0])
    for path in (
        "/",
        "/events",
        "/events/european-cluster-conference-2024",
        "/events/european-cluster-conference-2024/reports/conference-report",
        f"/albums/{ALBUM_SLUG}/photos/{demo.photos[0]['id']}",
    ):
        page.page.goto(demo.base_url + path, wait_until="networkidle")
        broken = page.page.evaluate(
            "Array.from(document.images)"
            ".filter(i => i.loading !== 'lazy' && !(i.complete && i.naturalWidth > 0)).length"
        )
        assert broken == 0, path
    # the photo page's arrow keys follow previous/next
    page.page.keyboard.press("ArrowRight")
    page.page.wait_for_url(f"**/photos/{demo.photos[1]['id']}")
    page.check_clean()


def test_further_pages_load_while_scrolling(demo: Demo, watched: Any) -> None:
    page = watched(VIEWPORTS[0])
    page.page.goto(f"{demo.base_url}/albums/{PAGED_SLUG}", wait_until="networkidle")
    ids = lambda: page.page.evaluate(  # noqa: E731
        "Array.from(document.querySelectorAll('#album-grid a.tile-link')).map(a => Number(a.id.slice(6)))"
    )
    assert len(ids()) in (PAGE_SIZE, 2 * PAGE_SIZE, 30)  # the observer may already have fetched more
    for _ in range(20):
        if len(ids()) == 30:
            break
        page.page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.page.wait_for_timeout(300)
    assert ids() == demo.paged
    assert page.page.evaluate("document.querySelector('.pager a[rel=next]')") is None
    assert page.page.evaluate("document.getElementById('page-range').hidden")
    # one group per day, with unique heading ids
    headings = page.page.evaluate("Array.from(document.querySelectorAll('.day-heading')).map(h => h.id)")
    assert len(headings) == len(set(headings)) == 3
    assert page.page.evaluate(ROWS_FIT) == "ok"
    # the lightbox spans the photos loaded so far
    page.page.click(f"#photo-{demo.paged[-1]}")
    page.page.wait_for_function("() => window.pswp && window.pswp.opener.isOpen")
    assert lightbox_state(page)["counter"] == "30 of 30"
    page.page.keyboard.press("Escape")
    page.page.wait_for_function("() => !document.querySelector('.pswp')")
    page.check_clean()


def _sections_by_http(url: str) -> list[tuple[str, list[int]]]:
    """The album grouped by session as the server pages it (no JavaScript), each section's photos
    from every page joined under its first heading."""
    import re
    import urllib.request

    merged: dict[str, list[int]] = {}
    next_url: str | None = url
    while next_url:
        with urllib.request.urlopen(next_url) as answer:
            html = answer.read().decode()
        for key, body in re.findall(r'<section class="day[^"]*"[^>]*data-group="([^"]+)">(.*?)</section>', html, re.S):
            merged.setdefault(key, []).extend(int(i) for i in re.findall(r'href="[^"]*/photos/(\d+)', body))
        found = re.search(r'<a href="([^"]+)" rel="next">', html)
        next_url = url.split("/albums/")[0] + found.group(1).replace("&amp;", "&") if found else None
    return list(merged.items())


def test_grouped_by_session_pages_join_while_scrolling(demo: Demo, watched: Any) -> None:
    url = f"{demo.base_url}/albums/{PAGED_SLUG}?group=session"
    expected = _sections_by_http(url)
    keys = [key for key, _ in expected]
    assert sum(k.startswith("session-") for k in keys) >= 3 and any(k.startswith("between-") for k in keys)
    page = watched(VIEWPORTS[1])
    page.page.goto(url, wait_until="networkidle")
    for _ in range(20):
        if page.page.evaluate("document.querySelector('.pager a[rel=next]')") is None:
            break
        page.page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.page.wait_for_timeout(300)
    shown = page.page.evaluate(
        """Array.from(document.querySelectorAll('#album-grid section.day')).map(s => [s.dataset.group,
           Array.from(s.querySelectorAll('a.tile-link'))
             .map(a => Number(new URL(a.href).pathname.split('/').pop()))])"""
    )
    # One section per session and gap, across pages; a photo of parallel sessions under each.
    assert [(key, ids) for key, ids in shown] == expected
    headings = page.page.evaluate("Array.from(document.querySelectorAll('.day-heading')).map(h => h.id)")
    assert len(headings) == len(set(headings))
    assert page.page.evaluate(ROWS_FIT) == "ok"
    page.page.screenshot(path=str(ARTIFACTS / "album-by-session-1440.png"), full_page=True)
    page.check_clean()
