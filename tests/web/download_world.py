"""A small world for the download, feed and visibility tests: photos go through the real upload
API (so originals and derivatives are really in storage), carrying GPS in EXIF, XMP and IPTC."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import exifread
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, IptcImagePlugin

from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import Album, Event, OriginalDownloads, Photo

GPS = {1: "N", 2: (50.0, 50.0, 30.0), 3: "E", 4: (4.0, 21.0, 0.0), 5: 0, 6: 56.5}
CITY = "Brussels"
XMP_NS = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
    'xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"'
)
XMP = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    f'<rdf:Description rdf:about="" {XMP_NS} exif:GPSLatitude="50,50.5N" exif:GPSLongitude="4,21.0E">'
    '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">CC BY 4.0</rdf:li></rdf:Alt></dc:rights>'
    f"<photoshop:City>{CITY}</photoshop:City><photoshop:Country>Belgium</photoshop:Country>"
    "<Iptc4xmpCore:Location>Square Meeting Centre</Iptc4xmpCore:Location>"
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def _iptc_segment() -> bytes:
    datasets = [(2, 90, CITY.encode()), (2, 101, b"Belgium"), (2, 80, b"Anna Kowalska")]
    iim = b"".join(b"\x1c" + bytes([r, d]) + struct.pack(">H", len(v)) + v for r, d, v in datasets)
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + (b"\x00" if len(iim) % 2 else b"")
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def noisy(size: tuple[int, int], seed: int) -> Image.Image:
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (size[0] // 8, size[1] // 8), rng.randbytes(size[0] // 8 * size[1] // 8 * 3))
    return small.resize(size, Image.Resampling.BILINEAR)


def located_jpeg(seed: int, size: tuple[int, int] = (640, 480), when: str = "2024:05:07 09:30:00") -> bytes:
    """A JPEG whose EXIF, XMP and IPTC all say where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS R6"
    exif.get_ifd(0x8769)[0x9003] = when
    exif.get_ifd(0x8825).update(GPS)
    out = io.BytesIO()
    noisy(size, seed).save(out, "JPEG", quality=88, exif=exif.tobytes(), xmp=XMP.encode())
    data = out.getvalue()
    return data[:2] + _iptc_segment() + data[2:]


def located_png(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8825).update(GPS)
    out = io.BytesIO()
    noisy(size, seed).save(out, "PNG", exif=exif.tobytes())
    return out.getvalue()


def upload(client: FlaskClient, token: str, album: str, data: bytes, filename: str) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/albums/{album}/photos",
        data={"file": (io.BytesIO(data), filename)},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert body["status"] == "ready", body
    return body


def edit(client: FlaskClient, token: str, photo_id: int, **changes: Any) -> None:
    response = client.patch(f"/api/v1/photos/{photo_id}", json=changes, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)


def make_event(slug: str = "ecc-2024") -> Event:
    event = catalog.create_event(
        db.session,
        slug=slug,
        title="European Cluster Conference 2024",
        starts_on="2024-05-07",
        ends_on="2024-05-08",
        timezone="Europe/Brussels",
        location="Brussels",
        actor=SYSTEM,
    )
    db.session.commit()
    return event


def make_album(
    event: Event, slug: str, *, visibility: str = "public", downloads: str = "off", title: str = ""
) -> Album:
    album = albums.create_album(
        db.session,
        event=event,
        slug=slug,
        title=title or f"Album {slug}",
        visibility=visibility,
        original_downloads=downloads,
        actor=SYSTEM,
    )
    db.session.commit()
    return album


def set_downloads(album: Album, mode: str) -> None:
    album.original_downloads = OriginalDownloads(mode)
    db.session.commit()


@dataclass
class World:
    event: Event
    albums: dict[str, Album] = field(default_factory=dict)  # by visibility
    photos: dict[str, list[int]] = field(default_factory=dict)  # album slug -> photo ids
    originals: dict[int, bytes] = field(default_factory=dict)


def build_world(client: FlaskClient, token: str, *, per_album: int = 1) -> World:
    """Albums ``pub`` (public), ``unl`` (unlisted) and ``priv`` (private), each with photos."""
    world = World(event=make_event())
    seed = 0
    for visibility, slug in (("public", "pub"), ("unlisted", "unl"), ("private", "priv")):
        world.albums[visibility] = make_album(world.event, slug, visibility=visibility)
        world.photos[slug] = []
        for _ in range(per_album):
            seed += 1
            data = located_jpeg(seed)
            body = upload(client, token, slug, data, f"IMG_{seed:04d}.jpg")
            world.photos[slug].append(body["id"])
            world.originals[body["id"]] = data
    return world


def stored(app: Flask, key: str) -> bytes:
    storage = app.extensions["gallery_storage"]
    with storage.open(key) as handle:
        return bytes(handle.read())


def largest_jpeg_bytes(app: Flask, photo_id: int) -> bytes:
    photo = db.session.get(Photo, photo_id)
    assert photo is not None
    jpeg = max((d for d in photo.derivatives if d.format == "jpeg"), key=lambda d: d.width)
    return stored(app, jpeg.key)


def gps_tags(data: bytes) -> list[str]:
    tags = exifread.process_file(io.BytesIO(data), details=True)
    return sorted(k for k in tags if k.startswith("GPS") or "GPSInfo" in k)


def location_leaks(data: bytes) -> list[str]:
    """Every trace of the world's location data found in ``data`` (EXIF GPS, XMP, IPTC)."""
    found = gps_tags(data)
    for needle in (CITY.encode(), b"Belgium", b"Square Meeting Centre", b"GPSLatitude", b"50,50.5N"):
        if needle in data:
            found.append(needle.decode())
    with Image.open(io.BytesIO(data)) as img:
        if img.getexif().get_ifd(0x8825):
            found.append("Pillow GPS IFD")
        if img.format == "JPEG":
            iptc = IptcImagePlugin.getiptcinfo(img) or {}
            found += [f"IPTC {k}" for k in iptc if k[0] == 2 and k[1] in (26, 27, 90, 92, 95, 100, 101)]
    return found


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return img.tobytes()


def unzip(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_STORED, info.filename
        return {name: archive.read(name) for name in archive.namelist()}


def insert_photos(album: Album, count: int, *, status: str = "ready", deleted: bool = False) -> list[int]:
    """Photo rows without stored bytes (for listings: feeds and sitemaps never read storage)."""
    import hashlib
    from datetime import datetime

    from gallery.models import PhotoStatus, TakenAtSource

    ids = []
    for _ in range(count):
        sha = hashlib.sha256(f"{album.slug}/{len(ids)}/{random.random()}".encode()).hexdigest()
        photo = Photo(
            album_id=album.id,
            sha256=sha,
            original_key=f"originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}",
            original_filename="IMG.jpg",
            content_type="image/jpeg",
            size=1000,
            width=640,
            height=480,
            taken_at_source=TakenAtSource.upload,
            status=PhotoStatus(status),
            deleted_at=datetime.now(UTC) if deleted else None,
        )
        db.session.add(photo)
        db.session.flush()
        ids.append(photo.id)
    db.session.commit()
    return ids


def make_report(event: Event, slug: str, *, title: str = "", body: str = "", published_at: Any = None) -> Any:
    from gallery.models import Report, ReportStatus

    report = Report(
        event_id=event.id,
        slug=slug,
        title=title or f"Report {slug}",
        body=body,
        status=ReportStatus.published if published_at is not None else ReportStatus.draft,
        published_at=published_at,
    )
    db.session.add(report)
    db.session.commit()
    return report
