"""Search in headless Chromium: a visitor types in the header's search box, narrows the results to a
session of the programme, and opens a result in the lightbox (the album page's PhotoSwipe).
Screenshot in ``test-artifacts/``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from gallery.core.audit import SYSTEM
from gallery.demo import EVENT_SLUG, load_demo
from gallery.extensions import db
from gallery.models import Event, Photo
from gallery.photos.process import process_photo
from gallery.schedule.models import EventSession
from tests.conftest import make_app
from tests.web.test_browser import ARTIFACTS, CHROMIUM, VENDOR, Watched

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not CHROMIUM.exists() or not (VENDOR / "photoswipe" / "photoswipe.esm.js").exists():
        pytest.skip("chromium or the front-end libraries are missing (make browser, make assets)")
    from werkzeug.serving import make_server

    tmp = tmp_path_factory.mktemp("search-browser")
    app = make_app(tmp, f"sqlite:///{tmp / 'browser.db'}")
    settings = app.config["GALLERY_SETTINGS"]
    storage = app.extensions["gallery_storage"]
    with app.app_context():
        db.create_all()
        _, _album, ids = load_demo(db.session, storage, tmp_dir=tmp, max_pixels=settings.max_pixels, actor=SYSTEM)
        for photo_id in ids:
            process_photo(
                db.session, storage, photo_id, sizes=settings.derivative_sizes, max_pixels=settings.max_pixels
            )
        event = db.session.scalar(select(Event).where(Event.slug == EVENT_SLUG))
        assert event is not None
        # 14:00-15:00 in Brussels on 7 May: holds "Sesja o kompetencjach / Skills session" (14:20)
        db.session.add(
            EventSession(
                event_id=event.id,
                slug="skills-workshop",
                title="Skills workshop",
                starts_at=datetime(2024, 5, 7, 12, 0, tzinfo=UTC),
                ends_at=datetime(2024, 5, 7, 13, 0, tzinfo=UTC),
                speakers=["Ewa Łoś"],
            )
        )
        db.session.commit()
        skills = db.session.scalar(select(Photo).where(Photo.caption.like("Sesja o kompetencjach%")))
        assert skills is not None
        wanted = {"id": skills.id, "caption": skills.caption}
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"base_url": f"http://127.0.0.1:{server.server_port}", "photo": wanted}
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser(site: dict[str, Any]) -> Iterator[Any]:
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


def tile_ids(page: Any) -> list[int]:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('#album-grid a.tile-link')).map(a => Number(a.id.slice(6)))"
    )


def test_header_search_session_filter_and_lightbox(site: dict[str, Any], browser: Any) -> None:
    watched = Watched(browser, (1280, 900))
    page = watched.page
    try:
        page.goto(site["base_url"] + "/", wait_until="networkidle")
        page.fill("#site-search-q", "KLASTR")  # folded and a prefix: "klastrowej", case ignored
        page.press("#site-search-q", "Enter")
        page.wait_for_url("**/search?q=KLASTR")
        assert page.locator("#album-grid mark").first.inner_text().lower().startswith("klastr")
        page.fill("#search-q", "cluster")  # the event's title: every photo
        page.select_option("#search-event", EVENT_SLUG)
        page.click(".search-form button[type=submit]")
        page.wait_for_selector("#search-session")
        assert len(tile_ids(page)) == 12
        page.select_option("#search-session", "skills-workshop")
        page.click(".search-form button[type=submit]")
        page.wait_for_url("**session=skills-workshop**")
        assert tile_ids(page) == [site["photo"]["id"]]

        page.wait_for_load_state("networkidle")  # album.js and the lightbox are ready
        page.wait_for_function("() => document.getElementById('album-grid').classList.contains('is-justified')")
        page.click(f"#photo-{site['photo']['id']}")
        page.wait_for_function(
            "(id) => location.hash === '#photo-' + id && document.querySelector('.pswp--open')",
            arg=site["photo"]["id"],
        )
        page.wait_for_function(
            "(caption) => (document.querySelector('.pswp__gallery-caption') || {}).textContent?.includes(caption)",
            arg="Sesja o kompetencjach",
        )
        page.wait_for_function("() => window.pswp && window.pswp.opener.isOpen && !window.pswp.mainScroll.isShifted()")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "search-lightbox-1280x900.png"))
        page.keyboard.press("Escape")
        page.wait_for_function("() => !document.querySelector('.pswp--open')")
        watched.check_clean()
    finally:
        watched.close()
