"""XSS payloads in every editable or uploaded text field render inert wherever the
text appears: visitor pages, management pages, alt/title attributes, the Atom feed,
the ZIP's captions.csv, and the JSON API."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime

from PIL import Image
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import Photo, Report, ReportStatus, report_albums
from tests.conftest import login

SCRIPT = "<script>alert('xss')</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "<svg/onload=alert(2)>"
JS_LINK = "[klik](javascript:alert(3))"
PAYLOADS = (SCRIPT, IMG, SVG)

# Markup that must never reach a page as markup (escaped forms are fine).
DANGEROUS = re.compile(r"<script>alert|<img src=x|<svg/onload|onerror=alert\(1\)>|href=\"javascript:", re.I)


def exif_jpeg() -> bytes:
    """A JPEG whose EXIF and XMP text fields carry markup."""
    exif = Image.Exif()
    exif[0x010E] = SCRIPT  # ImageDescription
    exif[0x013B] = IMG  # Artist
    exif[0x8298] = SVG  # Copyright
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2024:05:07 10:00:00"
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt>'
        '<rdf:li xml:lang="x-default">&lt;b onmouseover=alert(4)&gt;tytuł&lt;/b&gt;</rdf:li>'
        "</rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 40, 200)).save(out, "JPEG", exif=exif.tobytes(), xmp=xmp)
    return out.getvalue()


def assert_inert(name: str, html: str) -> None:
    found = DANGEROUS.search(html)
    assert found is None, (
        f"{name}: live markup {found.group(0)!r} in {html[max(0, found.start() - 80) : found.end() + 80]!r}"
    )


def test_payloads_render_inert_everywhere(app, client, tokens, users):
    editor = {"Authorization": f"Bearer {tokens['editor']}"}
    event = client.post(
        "/api/v1/events",
        json={
            "title": f"Konferencja {SCRIPT}",
            "slug": "xss-event",
            "starts_on": "2024-05-07",
            "ends_on": "2024-05-08",
            "timezone": "Europe/Brussels",
            "location": IMG,
            "description": SVG,
        },
        headers=editor,
    )
    assert event.status_code == 201
    album = client.post(
        "/api/v1/events/xss-event/albums",
        json={"title": f"Album {IMG}", "slug": "xss-album", "description": SCRIPT, "original_downloads": "exact"},
        headers=editor,
    )
    assert album.status_code == 201

    uploaded = client.post(
        "/api/v1/albums/xss-album/photos",
        data={"file": (io.BytesIO(exif_jpeg()), f'{SVG}".jpg')},
        headers=editor,
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    photo = uploaded.get_json()
    # EXIF/XMP text arrives as plain text, markup and all (escaping is the renderer's job).
    assert photo["caption"] == SCRIPT and photo["credit"] == IMG
    second = client.post(
        "/api/v1/albums/xss-album/photos",
        data={"file": (io.BytesIO(exif_jpeg()[:-2] + b"\xff\xd9"), "second.jpg")},
        headers=editor,
        content_type="multipart/form-data",
    )
    assert second.status_code in (200, 201)
    patched = client.patch(
        f"/api/v1/photos/{photo['id']}",
        json={"caption": f"{SCRIPT} {JS_LINK}", "alt_text": IMG, "credit": SVG},
        headers=editor,
    )
    assert patched.status_code == 200

    # A published report whose title and Markdown body carry payloads.
    db.session.rollback()
    album_row_id = db.session.scalar(select(Photo.album_id).where(Photo.id == photo["id"]))
    event_id = db.session.scalar(select(Report.event_id).limit(1))  # None: no report yet
    assert event_id is None
    from gallery.models import Event

    ev = db.session.scalar(select(Event).where(Event.slug == "xss-event"))
    report = Report(
        event_id=ev.id,
        slug="relacja",
        title=f"Relacja {IMG}",
        language="pl",
        body=f"# {SCRIPT}\n\n{IMG}\n\n{JS_LINK}\n\n<iframe src=https://evil.example></iframe>\n\n[album xss-album]\n",
        status=ReportStatus.published,
        published_at=datetime(2024, 5, 9, tzinfo=UTC),
    )
    db.session.add(report)
    db.session.flush()
    db.session.execute(report_albums.insert().values(report_id=report.id, album_id=album_row_id, position=0))
    db.session.commit()

    pages = {
        "home": "/",
        "event": "/events/xss-event",
        "report": "/events/xss-event/reports/relacja",
        "album": "/albums/xss-album",
        "photo": f"/albums/xss-album/photos/{photo['id']}",
        "feed": "/feed.atom",
        "embed album": "/embed/albums/xss-album",
        "embed photo": f"/embed/photos/{photo['id']}",
        "sitemap": "/sitemap.xml",
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        body = response.get_data(as_text=True)
        assert_inert(name, body)
        if name in ("album", "photo"):
            # Alt and title attributes carry the escaped text, not markup.
            assert (
                "&lt;img src=x onerror=alert(1)&gt;" in body
                or "&#34;&gt;&lt;img" in body
                or "&quot;&gt;&lt;img" in body
            )
        if name == "report":
            assert "<iframe" not in body and "evil.example" not in body

    # oEmbed JSON: titles and credits are plain strings, and the iframe markup it hands
    # to consumers escapes them.
    for target in ("http://localhost/albums/xss-album", f"http://localhost/albums/xss-album/photos/{photo['id']}"):
        response = client.get("/oembed", query_string={"url": target, "format": "json"})
        assert response.status_code == 200, response.get_data(as_text=True)
        data = response.get_json()
        assert "<" not in data.get("author_name", "") or data["author_name"] in (SCRIPT, IMG, SVG)
        assert_inert(f"oembed html {target}", data.get("html", ""))

    # Management pages show the same fields to editors.
    login(client, users["editor"].email)
    for url in ("/manage/", "/manage/albums/xss-album/photos", "/manage/albums/xss-album/edit", "/manage/events"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(url, response.get_data(as_text=True))

    # The ZIP's captions.csv: text, never formulas or markup interpreted as such.
    archive = client.get("/albums/xss-album/download.zip")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zf:
        names = zf.namelist()
        assert all("<" not in n and "/" not in n.strip("/") for n in names), names
        text = zf.read("captions.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert any(SCRIPT in cell for row in rows for cell in row)  # kept as plain text in a CSV cell
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell

    # JSON: the API returns the text as JSON strings (consumers escape), with a JSON content type.
    api = client.get("/api/v1/albums/xss-album", headers=editor)
    assert api.headers["Content-Type"].startswith("application/json")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
