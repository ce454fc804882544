"""Live photos in headless Chromium: an open album page shows a photo uploaded after it was opened,
without a reload, and the hall slideshow (/albums/<album>/live) shows the newest photo first with its
caption, advances by itself, jumps to a photo that arrives, and keeps a bounded DOM (two slides).
No console errors, no CSP violations; screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import io
import json
import random
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from gallery.extensions import db
from tests.conftest import make_app, make_token, make_user
from tests.ingest.conftest import make_album
from tests.web.test_browser import ARTIFACTS, CHROMIUM, VENDOR, Watched

pytestmark = pytest.mark.browser


@dataclass
class Site:
    base_url: str
    token: str
    album: str


def photo_bytes(seed: int) -> bytes:
    rng = random.Random(seed)
    img = Image.new("RGB", (800, 533), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    img.save(out, "JPEG")
    return out.getvalue()


def upload(site: Site, seed: int, caption: str) -> int:
    boundary = "----live-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="IMG_{seed}.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + photo_bytes(seed)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Authorization": f"Bearer {site.token}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    request = urllib.request.Request(
        f"{site.base_url}/api/v1/albums/{site.album}/photos", data=body, headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        photo_id = int(json.load(response)["id"])
    patch = urllib.request.Request(
        f"{site.base_url}/api/v1/photos/{photo_id}",
        data=json.dumps({"caption": caption}).encode(),
        headers={"Authorization": f"Bearer {site.token}", "Content-Type": "application/json"},
        method="PATCH",
    )
    urllib.request.urlopen(patch, timeout=30).close()
    return photo_id


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (make browser)")
    if not (VENDOR / "photoswipe" / "photoswipe.esm.js").exists():
        pytest.skip("front-end libraries missing in gallery/static/vendor: run `make assets`")
    from werkzeug.serving import make_server

    tmp = tmp_path_factory.mktemp("live-browser")
    app = make_app(tmp, f"sqlite:///{tmp / 'live.db'}", LIVE_POLL_SECONDS=1)
    with app.app_context():
        db.create_all()
        token = make_token(make_user("editor"))
        album = make_album("hall").slug
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", token, album)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
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


def test_album_page_and_slideshow_pick_up_new_photos(site: Site, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    first = upload(site, 1, "Opening keynote")
    album_page = Watched(browser, (1440, 900))
    show = Watched(browser, (1280, 720))
    try:
        album_page.page.goto(f"{site.base_url}/albums/{site.album}", wait_until="networkidle")
        assert album_page.page.locator("#live-new").is_hidden()
        album_page.page.evaluate("window.__marker = 'not reloaded'")

        show.page.goto(f"{site.base_url}/albums/{site.album}/live?interval=3", wait_until="networkidle")
        current = "document.querySelector('.slide.is-current')"
        show.page.wait_for_function(f"() => {current} && {current}.dataset.photoId === '{first}'")
        assert "Opening keynote" in show.page.locator(".slide.is-current figcaption").inner_text()

        second = upload(site, 2, "Panel: regional clusters")
        # The album page shows it without a reload ...
        album_page.page.wait_for_function(
            f"() => !document.getElementById('live-new').hidden"
            f" && document.querySelector('#live-new [data-live-id=\"{second}\"] img')?.naturalWidth > 0",
            timeout=15000,
        )
        assert album_page.page.evaluate("window.__marker") == "not reloaded"
        assert "Panel: regional clusters" in album_page.page.locator("#live-new").inner_text()
        album_page.page.screenshot(path=str(ARTIFACTS / "live-album-page.png"))
        # ... and the slideshow jumps to it, then goes on by itself to the older one.
        show.page.wait_for_function(f"() => {current}.dataset.photoId === '{second}'", timeout=15000)
        assert "Panel: regional clusters" in show.page.locator(".slide.is-current figcaption").inner_text()
        show.page.wait_for_timeout(1000)  # the cross-fade
        show.page.screenshot(path=str(ARTIFACTS / "live-slideshow.png"))
        show.page.wait_for_function(f"() => {current}.dataset.photoId === '{first}'", timeout=15000)
        show.page.wait_for_function(f"() => {current}.dataset.photoId === '{second}'", timeout=15000)
        # Bounded: still two slides and one image each, whatever has been shown.
        assert show.page.evaluate("document.querySelectorAll('.slide').length") == 2
        assert show.page.evaluate("document.querySelectorAll('#live img').length") == 2
        album_page.check_clean()
        show.check_clean()
    finally:
        album_page.close()
        show.close()
