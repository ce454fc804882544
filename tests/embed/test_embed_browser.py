"""In Chromium: a page on a second origin embeds an album (iframe + embed.js); the frame
shows its thumbnails and is resized to its content; an ordinary album page framed by
the same origin is refused by the browser (frame-ancestors / X-Frame-Options)."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.photos.ingest import ingest
from gallery.photos.process import process_photo
from gallery.photos.received import Received
from tests.conftest import make_app
from tests.web.helpers import make_album, make_event

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
INITIAL_HEIGHT = 150
COLOURS = ((200, 60, 40), (40, 120, 200), (60, 160, 80), (220, 180, 40))


@dataclass
class World:
    app_base: str
    host_base: str


def _jpeg(path: Path, colour: tuple[int, int, int], size: tuple[int, int]) -> Received:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    data = buffer.getvalue()
    path.write_bytes(data)
    return Received(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data), head=data[:64])


def _host_handler(pages: dict[str, str]) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return None

    return Handler


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from werkzeug.serving import make_server

    pages: dict[str, str] = {}
    host = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _host_handler(pages))
    host_base = f"http://localhost:{host.server_port}"
    tmp = tmp_path_factory.mktemp("embed-browser")
    app = make_app(tmp, f"sqlite:///{tmp / 'embed.db'}", GALLERY_EMBED_ALLOWED_ORIGINS=host_base)
    settings = app.config["GALLERY_SETTINGS"]
    storage = app.extensions["gallery_storage"]
    with app.app_context():
        db.create_all()
        event = make_event(db.session, "embed-browser-event")
        album = make_album(db.session, event, "embed-browser", title="Embedded album")
        for i, colour in enumerate(COLOURS):
            size = (640, 480) if i % 2 == 0 else (480, 640)
            received = _jpeg(tmp / f"photo-{i}.jpg", colour, size)
            outcome = ingest(
                db.session,
                storage,
                album=album,
                received=received,
                filename=f"photo-{i}.jpg",
                actor=SYSTEM,
                max_pixels=settings.max_pixels,
            )
            status = process_photo(
                db.session, storage, outcome.photo.id, sizes=settings.derivative_sizes, max_pixels=settings.max_pixels
            )
            assert status == "ready"
            album = db.session.merge(album)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app_base = f"http://127.0.0.1:{server.server_port}"
    pages["/host.html"] = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Host page</title></head><body>"
        "<h1>A club website</h1>"
        f"<iframe id='album-frame' src='{app_base}/embed/albums/embed-browser' width='640'"
        f" height='{INITIAL_HEIGHT}' title='Embedded album' frameborder='0'></iframe>"
        f"<script src='{app_base}/static/js/embed.js' async></script>"
        "</body></html>"
    )
    pages["/framed-album.html"] = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Framing</title></head><body>"
        f"<iframe id='plain-frame' src='{app_base}/albums/embed-browser' "
        "width='640' height='300' title='Album'></iframe>"
        "</body></html>"
    )
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (server, host)]
    for thread in threads:
        thread.start()
    try:
        yield World(app_base=app_base, host_base=host_base)
    finally:
        server.shutdown()
        host.shutdown()
        for thread in threads:
            thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser(world: World) -> Iterator[Any]:
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


def test_embedded_album_renders_and_resizes(world: World, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 900, "height": 700})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{world.host_base}/host.html")
        frame_element = page.wait_for_selector("#album-frame")
        frame = frame_element.content_frame()
        assert frame is not None
        frame.wait_for_load_state("load")
        assert frame.url.startswith(f"{world.app_base}/embed/albums/embed-browser")
        frame.wait_for_function(
            "() => { const imgs = [...document.querySelectorAll('#album-grid img')];"
            " return imgs.length === 4 && imgs.every(i => i.complete && i.naturalWidth > 0); }",
            timeout=15000,
        )
        # embed.js set the iframe's height to the frame's content height.
        page.wait_for_function(
            f"() => document.getElementById('album-frame').getAttribute('height') !== '{INITIAL_HEIGHT}'",
            timeout=15000,
        )
        content_height = frame.evaluate("() => document.body.scrollHeight")
        frame_height = int(frame_element.get_attribute("height"))
        assert frame_height > INITIAL_HEIGHT
        assert abs(frame_height - content_height) <= 2, (frame_height, content_height)
        assert frame_element.bounding_box()["height"] == pytest.approx(frame_height, abs=2)
        # Links open the full pages in a new tab.
        assert frame.evaluate("() => document.querySelector('base').target") == "_blank"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "embed-host.png"), full_page=True)
        assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    finally:
        page.close()


def test_ordinary_album_page_is_refused_in_a_frame(world: World, browser: Any) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{world.host_base}/framed-album.html")
        frame_element = page.wait_for_selector("#plain-frame")
        page.wait_for_timeout(1000)
        frame = frame_element.content_frame()
        assert frame is not None
        # Chromium replaces a refused frame with an error page: no album in it.
        assert not frame.url.startswith(world.app_base) or frame.evaluate(
            "() => document.getElementById('album-grid') === null"
        ), frame.url
        assert frame.url.startswith("chrome-error:") or frame.url in ("about:blank", "")
        # The same page on its own loads (the refusal is about framing).
        direct = browser.new_page()
        try:
            direct.goto(f"{world.app_base}/albums/embed-browser")
            assert direct.locator("#album-grid img").count() == 4
        finally:
            direct.close()
    finally:
        page.close()
