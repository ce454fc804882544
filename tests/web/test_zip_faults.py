"""The album ZIP when S3 fails, on a real HTTP server with S3 served by moto over HTTP (through a
proxy the test can stop): S3 down before the request gives a 503 page, never a 200; S3 failing
mid-stream gives a body the client sees is incomplete (short against Content-Length, or a chunked
stream without its last chunk), never a complete-looking ZIP."""

from __future__ import annotations

import http.client
import io
import random
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from werkzeug.serving import make_server

from gallery.extensions import db
from gallery.models import Photo
from gallery.storage import S3Storage
from tests.archive.faults import CuttableProxy
from tests.conftest import DATABASES, make_app, make_token, make_user
from tests.storage.s3server import make_s3_storage, moto_env, moto_server
from tests.web.download_world import located_jpeg, make_album, make_event, upload

S3_LIMITS = {
    "GALLERY_S3_CONNECT_TIMEOUT": "0.5",
    "GALLERY_S3_READ_TIMEOUT": "2",
    "GALLERY_S3_MAX_ATTEMPTS": "2",
    "GALLERY_S3_TOTAL_TIMEOUT": "3",
}


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@dataclass
class World:
    app: Flask
    proxy: CuttableProxy  # between the app and moto: stop() is "S3 is down"
    direct: S3Storage  # the same bucket, straight to moto
    port: int
    token: str


@pytest.fixture
def world(tmp_path: Path, database_url: str, moto: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    from tests.conftest import _empty_tables, _pg_tables_ready

    for name, value in moto_env(moto).items():
        monkeypatch.setenv(name, value)
    direct = make_s3_storage(moto, prefix="media")
    proxy = CuttableProxy(moto)
    proxy.start()
    app = make_app(
        tmp_path,
        database_url,
        GALLERY_STORAGE_URL=f"s3://{direct.bucket}/media",
        GALLERY_S3_ENDPOINT_URL=proxy.url,
        GALLERY_DERIVATIVE_SIZES="200",
        **S3_LIMITS,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        elif database_url not in _pg_tables_ready:
            db.drop_all()
            db.create_all()
            _pg_tables_ready.add(database_url)
        try:
            yield World(app, proxy, direct, server.server_port, make_token(make_user("editor")))
        finally:
            server.shutdown()
            server.server_close()
            proxy.stop()
            db.session.remove()
            if not database_url.startswith("sqlite"):
                _empty_tables()
            db.engine.dispose()


def big_jpeg(seed: int, size: tuple[int, int] = (3400, 2500)) -> bytes:
    """About 8 MB: more than the server's socket send buffer (4 MB) can take at once."""
    w, h = size
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2024:05:07 08:00:00"
    out = io.BytesIO()
    Image.frombytes("RGB", size, random.Random(seed).randbytes(w * h * 3)).save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def album_with_photos(world: World, mode: str, first: bytes | None = None) -> tuple[str, list[int]]:
    album = make_album(make_event(), f"zip-{mode.replace('_', '-')}", downloads=mode)
    client = world.app.test_client()
    photos = [first] if first is not None else []
    photos += [located_jpeg(10 + i, when=f"2024:05:07 09:0{i}:00") for i in range(3 - len(photos))]
    ids = [upload(client, world.token, album.slug, data, f"p{i}.jpg")["id"] for i, data in enumerate(photos)]
    return album.slug, ids  # in capture order: the order of the ZIP


@dataclass
class Fetched:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    error: Exception | None  # what the client library raised while reading the body

    @property
    def looks_complete(self) -> bool:
        if self.error is not None:
            return False
        length = self.headers.get("Content-Length")
        if length is not None and int(length) != len(self.body):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(self.body)) as zf:
                return zf.testzip() is None
        except zipfile.BadZipFile:
            return False


def fetch(
    port: int, path: str, *, receive_buffer: int | None = None, after_headers: Callable[[], None] | None = None
) -> Fetched:
    """GET ``path`` with http.client; ``after_headers`` runs once the status line and headers are in."""
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)  # a slow reader
    sock.settimeout(60)
    sock.connect(("127.0.0.1", port))
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.sock = sock
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        if after_headers is not None:
            after_headers()
        try:
            return Fetched(response.status, response.headers, response.read(), None)
        except http.client.IncompleteRead as exc:
            return Fetched(response.status, response.headers, exc.partial, exc)
        except (ConnectionError, http.client.HTTPException) as exc:
            return Fetched(response.status, response.headers, b"", exc)
    finally:
        conn.close()


MODES = [("exact", "sized"), ("without_location", "chunked")]


@pytest.mark.parametrize(("mode", "framing"), MODES, ids=[m for m, _ in MODES])
def test_s3_down_before_the_request_gives_503_not_a_200(world: World, mode: str, framing: str) -> None:
    slug, _ids = album_with_photos(world, mode)
    assert fetch(world.port, f"/albums/{slug}/download.zip").looks_complete  # while S3 is up
    world.proxy.stop()
    started = time.monotonic()
    answer = fetch(world.port, f"/albums/{slug}/download.zip")
    assert time.monotonic() - started < 3 + 1.5  # within the request's storage time budget
    assert answer.status == 503, (answer.status, answer.body[:200])
    assert answer.headers.get_content_type() == "text/html"
    page = answer.body.decode()
    assert "Service unavailable" in page and "Photo storage is unavailable" in page
    assert not answer.looks_complete
    world.proxy.start()
    assert fetch(world.port, f"/albums/{slug}/download.zip").looks_complete  # and back


@pytest.mark.parametrize(("mode", "framing"), MODES, ids=[m for m, _ in MODES])
def test_an_object_gone_mid_stream_gives_an_incomplete_body(world: World, mode: str, framing: str) -> None:
    slug, ids = album_with_photos(world, mode)
    second = db.session.get(Photo, ids[1])
    world.direct.delete(second.original_key)  # the first file streams, the second is missing
    answer = fetch(world.port, f"/albums/{slug}/download.zip")
    assert answer.status == 200  # the headers went out with the first file
    assert ("Content-Length" in answer.headers) == (framing == "sized")
    if framing == "chunked":
        assert answer.headers["Transfer-Encoding"] == "chunked"
    assert isinstance(answer.error, http.client.IncompleteRead), answer.error
    if framing == "sized":
        assert len(answer.body) < int(answer.headers["Content-Length"])
    assert not answer.looks_complete
    assert len(answer.body) > 40  # the first photo did arrive: only the rest is missing


@pytest.mark.parametrize("database_url", [DATABASES[-1]], indirect=True)  # about S3 and HTTP, not the database
def test_s3_stopped_after_the_first_file_gives_an_incomplete_body(world: World) -> None:
    """The client reads slowly, so the server is still sending the first (8 MB) photo when the
    S3 endpoint goes away; the next file cannot be read."""
    slug, _ids = album_with_photos(world, "exact", first=big_jpeg(1))
    answer = fetch(world.port, f"/albums/{slug}/download.zip", receive_buffer=32 * 1024, after_headers=world.proxy.stop)
    assert answer.status == 200
    assert isinstance(answer.error, http.client.IncompleteRead), answer.error
    assert len(answer.body) < int(answer.headers["Content-Length"])
    assert not answer.looks_complete
