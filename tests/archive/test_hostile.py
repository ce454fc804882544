"""Hostile input through the real upload API.

Every file of the shared corpus (Pillow's hostile and edge-case images, real camera files) and
generated attacks: pixel floods, compressed-text bombs, polyglots, SVG, markup / NUL /
right-to-left override / megabyte strings in EXIF, IPTC and XMP, path-traversal and Unicode file
names, 1,001 form parts, bodies over the limit, wrong Content-Length.

Each answer is a 2xx (stored safely) or a 4xx with a JSON message; never a 5xx; each within
10 s.  Afterwards storage and database agree exactly and no temporary file is left behind."""

from __future__ import annotations

import io
import json
import socket
import struct
import threading
import time
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, TiffImagePlugin
from sqlalchemy import select
from werkzeug.serving import make_server

from gallery.extensions import db
from gallery.models import Photo, PhotoStatus, Role
from tests.archive.conftest import (
    consistency_problems,
    jpeg,
    leftover_temp_files,
    make_album,
    storage_of,
)
from tests.conftest import CORPUS, make_token, make_user

LIMIT_SECONDS = 10.0
NOT_FILES = {"README", "README.rst", "SOURCE.txt", "LICENSE-Pillow.txt", "MANIFEST.tsv", ".gitignore", "dump"}


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in NOT_FILES and p.suffix not in (".txt", ".json", ".tsv")
    )


@dataclass
class Outcome:
    case: str
    status: int
    seconds: float
    body: Any


class Uploader:
    """Uploads through the API and checks the rules that hold for every answer."""

    def __init__(self, app: Flask, slug: str, token: str) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.slug = slug
        self.token = token
        self.problems: list[str] = []
        self.outcomes: list[Outcome] = []

    def post(self, case: str, **kwargs: Any) -> Outcome:
        kwargs.setdefault("headers", {})
        kwargs["headers"] = {"Authorization": f"Bearer {self.token}", **kwargs["headers"]}
        started = time.monotonic()
        response = self.client.post(f"/api/v1/albums/{self.slug}/photos", **kwargs)
        elapsed = time.monotonic() - started
        body = response.get_json(silent=True)
        outcome = Outcome(case, response.status_code, elapsed, body)
        self.outcomes.append(outcome)
        self.check(outcome)
        return outcome

    def file(self, case: str, data: bytes, filename: str = "upload.jpg", content_type: str | None = None) -> Outcome:
        part: tuple[Any, ...] = (
            (io.BytesIO(data), filename) if content_type is None else (io.BytesIO(data), filename, content_type)
        )
        return self.post(case, data={"file": part}, content_type="multipart/form-data")

    def check(self, outcome: Outcome) -> None:
        where = f"{outcome.case}: {outcome.status}"
        if outcome.seconds > LIMIT_SECONDS:
            self.problems.append(f"{where} took {outcome.seconds:.1f} s")
        if outcome.status >= 500 or not (200 <= outcome.status < 300 or 400 <= outcome.status < 500):
            self.problems.append(f"{where} {outcome.body}")
            return
        if outcome.status >= 400:
            error = (outcome.body or {}).get("error") if isinstance(outcome.body, dict) else None
            if not error or not error.get("code") or not error.get("message"):
                self.problems.append(f"{where} without a JSON error message: {outcome.body!r}"[:300])
            return
        body = outcome.body or {}
        if body.get("status") not in ("ready", "failed", "processing") or not body.get("sha256"):
            self.problems.append(f"{where} odd photo JSON {body!r}"[:300])
        if body.get("status") == "failed" and not body.get("error"):
            self.problems.append(f"{where} failed without a reason")

    def assert_clean(self) -> None:
        """No problem seen, storage and database agree, nothing half-written remains."""
        problems = list(self.problems)
        with self.app.app_context():
            problems += consistency_problems(self.app)
            problems += [f"temporary file left: {p}" for p in leftover_temp_files(self.app)]
            for photo in db.session.scalars(select(Photo)):
                with storage_of(self.app).open(photo.original_key) as handle:
                    import hashlib

                    if hashlib.sha256(handle.read()).hexdigest() != photo.sha256:
                        problems.append(f"photo {photo.id}: stored bytes differ from its sha256")
            db.session.rollback()
        assert problems == []


@pytest.fixture
def uploader(app: Flask) -> Uploader:
    token = make_token(make_user(Role.editor))
    album = make_album("hostile")
    return Uploader(app, album.slug, token)


def _pages_render(up: Uploader) -> None:
    """The album's pages and JSON show whatever was stored without a server error."""
    client = up.client
    headers = {"Authorization": f"Bearer {up.token}"}
    listing = client.get(f"/api/v1/albums/{up.slug}", headers=headers)
    assert listing.status_code == 200
    page = client.get(f"/albums/{up.slug}")
    assert page.status_code == 200
    with up.app.app_context():
        ids = list(db.session.scalars(select(Photo.id).where(Photo.status == PhotoStatus.ready)))
        db.session.rollback()
    for photo_id in ids:
        for url in (f"/api/v1/photos/{photo_id}", f"/albums/{up.slug}/photos/{photo_id}"):
            answer = client.get(url, headers=headers if url.startswith("/api") else {})
            assert answer.status_code == 200, (url, answer.status_code)


# --- the corpus --------------------------------------------------------------------------------

CHUNKS = 3


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
# The corpus is about decoding and metadata; one derivative size keeps the run short (every
# size goes through the same resize and encode code, which the media tests cover).
@pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="400")
def test_every_corpus_file(uploader: Uploader, chunk: int) -> None:
    files = corpus_files()
    if not files:
        pytest.skip(f"test corpus not found at {CORPUS}")
    mine = files[chunk::CHUNKS]
    for path in mine:
        uploader.file(str(path.relative_to(CORPUS)), path.read_bytes(), path.name)
    accepted = [o for o in uploader.outcomes if o.status < 300]
    rejected = [o for o in uploader.outcomes if o.status >= 400]
    assert accepted and rejected  # the corpus has both kinds in every quarter
    _pages_render(uploader)
    uploader.assert_clean()


# --- generated attacks -------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with(width: int, height: int, *, extra: list[bytes] = (), idat: bytes | None = None) -> bytes:  # type: ignore[assignment]
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    if idat is None:
        idat = zlib.compress(b"\x00" + b"\x80" * (3 * width)) if width < 10000 else zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + b"".join(extra)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose SOF header is rewritten to claim huge dimensions."""
    data = bytearray(jpeg(1, (16, 16)))
    index = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, index + 5, height, width)
    return bytes(data)


def text_bomb(kind: bytes) -> bytes:
    payload = zlib.compress(b"A" * (64 * 1024 * 1024), 9)  # 64 MB of text in ~64 KB
    if kind == b"zTXt":
        chunk = _png_chunk(b"zTXt", b"Comment\x00\x00" + payload)
    else:
        chunk = _png_chunk(b"iTXt", b"Description\x00\x01\x00en\x00Description\x00" + payload)
    return png_with(32, 32, extra=[chunk])


def many_text_chunks() -> bytes:
    chunks = [_png_chunk(b"tEXt", b"Comment\x00" + (b"spam %d " % i) * 50) for i in range(5000)]
    return png_with(32, 32, extra=chunks)


def flat_png(side: int) -> bytes:
    """A real, decodable image of side x side pixels in a small file (one colour)."""
    row = b"\x00" + b"\x7f" * (3 * side)
    raw = zlib.compressobj(9)
    body = b"".join(raw.compress(row) for _ in range(side)) + raw.flush()
    return png_with(side, side, idat=body)


def exif_jpeg(**tags: Any) -> bytes:
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[int(tag[1:], 16)] = value
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def iptc_jpeg(caption: bytes, byline: bytes, seed: int) -> bytes:
    def dataset(number: int, value: bytes) -> bytes:
        return b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(value)) + value

    iim = b"\x1c\x01\x5a\x00\x03\x1b%G" + dataset(120, caption) + dataset(80, byline)
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + (b"\x00" if len(iim) % 2 else b"")
    app13 = b"Photoshop 3.0\x00" + resource
    base = jpeg(seed, (64, 48))
    segment = b"\xff\xed" + struct.pack(">H", len(app13) + 2) + app13
    return base[:2] + segment + base[2:]


def xmp_png(description: str) -> bytes:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt>'
        f'<rdf:li xml:lang="x-default">{description}</rdf:li></rdf:Alt></dc:description></rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()
    chunk = _png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp)
    return png_with(40, 30, extra=[chunk])


def tiff_with_description(text: str) -> bytes:
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[270] = text
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, "TIFF", tiffinfo=info)
    return out.getvalue()


MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
RLO = "\u202e"
NUL = "\x00"


def generated_cases() -> Iterator[tuple[str, bytes, str]]:
    yield "pixel flood PNG 100000x100000", png_with(100_000, 100_000), "flood.png"
    yield "pixel flood PNG 1x2147483647", png_with(1, 2_147_483_647), "tall.png"
    yield "pixel flood JPEG 65500x65500", jpeg_claiming(65_500, 65_500), "flood.jpg"
    yield "decodable 6000x6000 one-colour PNG", flat_png(6000), "big-flat.png"
    yield "zTXt bomb (64 MB)", text_bomb(b"zTXt"), "ztxt.png"
    yield "iTXt bomb (64 MB)", text_bomb(b"iTXt"), "itxt.png"
    yield "5000 tEXt chunks", many_text_chunks(), "chunks.png"
    yield (
        "JPEG + HTML polyglot",
        jpeg(50) + b"<html><body><script>alert(document.cookie)</script></body></html>",
        "poly.jpg",
    )
    yield "JPEG with HTML comment", _jpeg_with_comment(b"<script>alert(1)</script>"), "comment.jpg"
    yield "HTML named .jpg", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "evil.jpg"
    yield (
        "SVG with script",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
        "x.svg",
    )
    yield "SVG named .png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "x.png"
    yield "EXIF markup", exif_jpeg(x010E=MARKUP, x013B=MARKUP, x8298=MARKUP), "markup.jpg"
    yield "EXIF NUL", exif_jpeg(x010E=f"cap{NUL}tion{NUL}", x013B=f"Ana{NUL}Evil", x8298=NUL * 40), "nul.jpg"
    yield "EXIF right-to-left override", exif_jpeg(x010E=f"{RLO}gpj.exe photo", x013B=f"{RLO}Ana"), "rlo.jpg"
    yield "EXIF 60 KB strings", exif_jpeg(x010E="D" * 30_000, x013B="A" * 30_000), "long-exif.jpg"
    yield "IPTC markup + NUL", iptc_jpeg(MARKUP.encode() + b"\x00x", b"By\x00line" + RLO.encode(), 60), "iptc.jpg"
    # A JPEG segment holds at most 64 KB: the longest IPTC strings a JPEG can carry.
    yield "IPTC 32 KB caption", iptc_jpeg(b"C" * 32_000, b"B" * 30_000, 61), "iptc-long.jpg"
    yield "XMP 1 MB description", xmp_png("X" * 1_000_000), "xmp-long.png"
    yield (
        "XMP markup, NUL char ref, RLO",
        xmp_png("&lt;script&gt;alert(1)&lt;/script&gt; &#x202E;evil"),
        "xmp-markup.png",
    )
    yield "TIFF 2 MB description", tiff_with_description("T" * 2_000_000), "long.tif"
    yield "TIFF description with NUL and markup", tiff_with_description(f"{MARKUP}{NUL}{RLO}"), "markup.tif"
    yield "empty file", b"", "empty.jpg"
    yield "one byte", b"\xff", "one.jpg"
    yield "JPEG magic only", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "magic.jpg"
    yield "PNG magic only", b"\x89PNG\r\n\x1a\n", "magic.png"


def _jpeg_with_comment(comment: bytes) -> bytes:
    base = jpeg(51)
    return base[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + base[2:]


FILENAMES = [
    "../../../../etc/passwd.jpg",
    "..\\..\\windows\\win.ini.jpg",
    "/absolute/path/photo.jpg",
    "C:\\Users\\x\\photo.jpg",
    unicodedata.normalize("NFD", "café-Łódź.jpg"),
    unicodedata.normalize("NFC", "café-Łódź.jpg"),
    "ｐｈｏｔｏ．ｊｐｇ",
    "фото-с-конференции.jpg",
    "\u202egpj.exe",
    "a\x00b.jpg",
    "tab\tand\rcr.jpg",
    "x" * 10_000 + ".jpg",
    "",
    ".",
    "..",
    "%2e%2e%2fescape.jpg",
    "<script>alert(1)</script>.jpg",
    "CON.jpg",
]


@pytest.mark.slow
def test_generated_attacks(uploader: Uploader) -> None:
    for case, data, filename in generated_cases():
        uploader.file(case, data, filename)
    by_case = {o.case: o for o in uploader.outcomes}
    for case in ("pixel flood PNG 100000x100000", "pixel flood PNG 1x2147483647", "pixel flood JPEG 65500x65500"):
        assert by_case[case].status == 422 and by_case[case].body["error"]["code"] == "too_many_pixels", by_case[case]
    for case in ("HTML named .jpg", "SVG with script", "SVG named .png"):
        assert by_case[case].status == 415, by_case[case]
    assert by_case["empty file"].status == 400
    assert by_case["JPEG + HTML polyglot"].status == 201 and by_case["JPEG + HTML polyglot"].body["status"] == "ready"

    # What was stored is shown escaped, and PostgreSQL took every string (no NUL, fits its column).
    with uploader.app.app_context():
        photos = db.session.scalars(select(Photo)).all()
        for photo in photos:
            for field in ("caption", "credit", "copyright", "title", "original_filename"):
                value = getattr(photo, field)
                assert NUL not in value, (field, value[:80])
        ids = [photo.id for photo in photos]
        db.session.rollback()
    _pages_render(uploader)
    pages = [f"/albums/{uploader.slug}"] + [f"/albums/{uploader.slug}/photos/{i}" for i in ids]
    for url in pages:
        assert active_content(uploader.client.get(url).get_data(as_text=True)) == [], url
    uploader.assert_clean()


class _ActiveContent(HTMLParser):
    """Finds what the markup in captions could have turned into: inline scripts, event
    handler attributes, images or scripts from anywhere but the site itself."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if any(name.startswith("on") for name, _ in attrs):
            self.found.append(f"<{tag}> with an event handler")
        if (
            tag == "script"
            and not (values.get("src") or "").startswith("/static/")
            and values.get("type") != "application/ld+json"
        ):
            self.found.append("inline <script>")
        if tag == "img" and values.get("src") == "x":
            self.found.append("<img src=x>")


def active_content(html: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(html)
    return parser.found


@pytest.mark.slow
def test_hostile_file_names(uploader: Uploader, tmp_path: Path) -> None:
    for i, name in enumerate(FILENAMES):
        outcome = uploader.file(f"name {name[:40]!r}", jpeg(200 + i, (32, 32)), name)
        if "\r" in name or "\n" in name:
            # A line break ends the part's header: the part is not a file any more.
            assert outcome.status == 400, (name, outcome)
            continue
        assert outcome.status == 201, (name[:80], outcome)
        stored = outcome.body["filename"]
        assert "/" not in stored and "\\" not in stored and "\x00" not in stored, stored
        assert all(unicodedata.category(c)[0] != "C" for c in stored), repr(stored)
        assert stored == unicodedata.normalize("NFC", stored) and len(stored) <= 255
    with uploader.app.app_context():
        keys = [p.original_key for p in db.session.scalars(select(Photo))]
        db.session.rollback()
    assert all(k.startswith("originals/sha256/") for k in keys)
    # Nothing was written outside the store: no file anywhere is named after an upload.
    everything = [p.name for p in tmp_path.rglob("*")]
    assert not any(n in ("passwd.jpg", "win.ini.jpg", "escape.jpg") for n in everything)
    _pages_render(uploader)
    uploader.assert_clean()


@pytest.mark.slow
def test_malformed_requests(uploader: Uploader) -> None:
    parts = {f"field{i}": "x" for i in range(1000)}
    parts["file"] = (io.BytesIO(jpeg(300)), "a.jpg")  # type: ignore[assignment]
    too_many = uploader.post("1,001 form parts", data=parts, content_type="multipart/form-data")
    assert too_many.status == 413, too_many
    uploader.post("no file field", data={"photo": (io.BytesIO(jpeg(301)), "a.jpg")}, content_type="multipart/form-data")
    uploader.post("JSON instead of multipart", json={"file": "aGVsbG8="})
    uploader.post("form without file", data={"file": "just text"}, content_type="multipart/form-data")
    uploader.post(
        "broken multipart",
        data=b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n\xff\xd8',
        content_type="multipart/form-data; boundary=xx",
    )
    uploader.post("multipart without boundary", data=b"garbage", content_type="multipart/form-data")
    two = {"file": [(io.BytesIO(jpeg(302)), "one.jpg"), (io.BytesIO(jpeg(303)), "two.jpg")]}
    uploader.post("two file parts", data=two, content_type="multipart/form-data")
    assert all(o.status < 500 for o in uploader.outcomes)
    assert [o.status for o in uploader.outcomes[1:6]] == [400, 400, 400, 400, 400], uploader.outcomes
    uploader.assert_clean()


# --- limits and broken requests over a real HTTP connection -------------------------------------


@pytest.fixture
def small_limit_server(make_instance) -> Iterator[tuple[Flask, str, str, int]]:
    app = make_instance(GALLERY_MAX_UPLOAD_MB="1")
    with app.app_context():
        token = make_token(make_user(Role.editor))
        slug = make_album("limits").slug
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield app, slug, token, server.server_port
    finally:
        server.shutdown()
        server.server_close()


def _raw(
    port: int, head: bytes, body: bytes, *, half_close: bool = False, chunked: bool = False
) -> tuple[int, bytes, float]:
    """Send a raw HTTP request and read the answer while sending (a server may answer before it
    has read the body, as it should for a body over the limit).  Returns the status, the
    response body and the seconds until the complete answer was there."""
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=LIMIT_SECONDS)

    def send() -> None:
        try:
            sock.sendall(head)
            if chunked:
                for start in range(0, len(body), 65536):
                    piece = body[start : start + 65536]
                    sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                sock.sendall(b"0\r\n\r\n")
            else:
                sock.sendall(body)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered and closed before reading everything: fine

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    data = b""
    try:
        while True:
            header_end = data.find(b"\r\n\r\n")
            if header_end >= 0:
                headers = data[:header_end].decode("latin-1").lower()
                length = next(
                    (
                        int(line.split(":", 1)[1])
                        for line in headers.split("\r\n")
                        if line.startswith("content-length:")
                    ),
                    None,
                )
                if length is not None and len(data) - header_end - 4 >= length:
                    break
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    elapsed = time.monotonic() - started
    sock.close()
    sender.join(5)
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data.split(b"\r\n\r\n", 1)[-1], elapsed


def _multipart(data: bytes, boundary: str = "limit-boundary") -> bytes:
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )


@pytest.mark.slow
def test_limits_and_wrong_content_length_over_http(small_limit_server) -> None:
    app, slug, token, port = small_limit_server
    boundary = "limit-boundary"
    big = jpeg(400, (1600, 1200))  # noise: ~1.2 MB, over the 1 MB limit
    assert 1024 * 1024 < len(big) < 2 * 1024 * 1024
    huge = big * 3

    def head(length: int | str | None, *, extra: str = "") -> bytes:
        lines = [
            f"POST /api/v1/albums/{slug}/photos HTTP/1.1",
            "Host: 127.0.0.1",
            f"Authorization: Bearer {token}",
            f"Content-Type: multipart/form-data; boundary={boundary}",
            "Connection: close",
        ]
        if length is not None:
            lines.append(f"Content-Length: {length}")
        if extra:
            lines.append(extra)
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    results: dict[str, tuple[int, bytes, float]] = {}
    body = _multipart(big)
    results["over the limit (app check)"] = _raw(port, head(len(body)), body)
    body = _multipart(huge)
    results["over the request limit (Content-Length)"] = _raw(port, head(len(body)), body)
    results["over the limit, chunked"] = _raw(port, head(None, extra="Transfer-Encoding: chunked"), body, chunked=True)
    small = _multipart(jpeg(401))
    results["Content-Length larger than the body"] = _raw(port, head(len(small) + 5000), small, half_close=True)
    results["Content-Length smaller than the body"] = _raw(port, head(len(small) - 500), small)
    results["Content-Length not a number"] = _raw(port, head("lots"), small)
    results["Content-Length negative"] = _raw(port, head(-5), small)

    problems = []
    for case, (status, answer, seconds) in results.items():
        if not 400 <= status < 500 or seconds > LIMIT_SECONDS:
            problems.append(f"{case}: {status} in {seconds:.1f} s: {answer[:200]!r}")
            continue
        if status in (413,) or answer.startswith(b"{"):
            try:
                error = json.loads(answer)["error"]
                assert error["code"] and error["message"]
            except (ValueError, KeyError, AssertionError):
                problems.append(f"{case}: {status} without a JSON error: {answer[:200]!r}")
    for case in ("over the limit (app check)", "over the request limit (Content-Length)", "over the limit, chunked"):
        if results[case][0] != 413:
            problems.append(f"{case}: expected 413, got {results[case][0]}")
    # The limit is stated in the message.
    assert b"1 MB" in results["over the limit (app check)"][1], results["over the limit (app check)"]
    assert problems == []
    time.sleep(0.2)  # let the server threads finish their cleanup
    with app.app_context():
        assert db.session.scalar(select(Photo.id)) is None
        assert consistency_problems(app) == []
        assert leftover_temp_files(app) == []
