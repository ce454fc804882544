"""Album export and import as a zipped BagIt bag (RFC 8493): ``gallery export`` / ``gallery import-bag``.

Layout of ``OUT.zip`` (one top-level folder named after the album, as RFC 8493 section 4.2
recommends for serialised bags)::

    <album-slug>/bagit.txt                  BagIt-Version 1.0, UTF-8
    <album-slug>/bag-info.txt               Source-Organization, Bagging-Date, Payload-Oxum,
                                            External-Identifier, External-Description, ...
    <album-slug>/manifest-sha256.txt        every payload file (sorted by path)
    <album-slug>/tagmanifest-sha256.txt     bagit.txt, bag-info.txt, manifest, gallery-instance.json
    <album-slug>/gallery-instance.json      instance-local facts (tag file, see below)
    <album-slug>/data/metadata.json         event, album and every photo field
    <album-slug>/data/originals/0001-<name>.<ext>   the originals, bit-exact, in capture order

Determinism.  ``data/metadata.json`` holds only what describes the album itself (sorted keys,
photos in capture order: dated photos by capture time, undated ones after them in upload order;
file names are the capture-order position plus an ASCII form of the original file name).  Things
that belong to one installation - database ids, processing status, upload and verification
times, the export time - are kept out of the payload, in the tag file ``gallery-instance.json``.
So exporting an album, importing the bag elsewhere and exporting it again gives the same
``metadata.json`` and therefore the same ``manifest-sha256.txt``; only the tag files differ.

Location data.  The bag is an administrator's tool for moving an archive between instances, so
it keeps the originals bit-exact, *including* any GPS position they carry, and ``metadata.json``
carries the private GPS fields under each photo's ``"private"`` key so that nothing is lost.
Treat a bag like a database backup: never publish it.  ``bag-info.txt`` says so.

Not in the bag: derivatives (rebuilt from the originals on import), deleted photos, event
reports, users and their tokens, the album's secret share link (the importing instance makes a
new one).

Import validates the whole bag before anything is written: bagit.txt, every manifest (each
algorithm present is checked), every checksum, completeness in both directions, Payload-Oxum,
the tag manifests, safe member names, ``metadata.json`` (structure, types, lengths), that every
photo's file is listed with the SHA-256 and size the metadata claims, and that every original
is an image type the gallery accepts (judged from its bytes); and :mod:`.bag_limits`: no ZIP bomb,
declared and actual sizes as Payload-Oxum says, every photo one the upload path would accept.
An invalid bag is refused with a message naming what is wrong.  Then the originals are stored (content-addressed, verified by
the store), and the event (created when missing), album and photo rows are committed in one
transaction.  The caller then renders the derivatives.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, cast

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.archive import bag_limits
from gallery.archive.bag_limits import InvalidBag, PhotoLimits
from gallery.catalog import events as catalog
from gallery.core.audit import SYSTEM, Actor, record
from gallery.core.errors import (
    ConflictError,
    GalleryError,
    NotFoundError,
    ValidationError,
)
from gallery.media import sniff
from gallery.media.derivatives import original_key
from gallery.models import (
    Album,
    Event,
    OriginalDownloads,
    Photo,
    PhotoStatus,
    SortMode,
    TakenAtSource,
    Visibility,
)
from gallery.storage import NotFound, Storage

log = logging.getLogger("gallery.bagit")

BAG_FORMAT = "gallery-album-bag"
BAG_FORMAT_VERSION = 1
BAGIT_VERSION = "1.0"
INSTANCE_TAG_FILE = "gallery-instance.json"
METADATA_PATH = "data/metadata.json"
CHUNK = 1 << 20
MAX_METADATA_BYTES = 64 * 1024 * 1024
MAX_TAG_FILE_BYTES = 16 * 1024 * 1024
SUPPORTED_ALGORITHMS = ("sha256", "sha512", "sha1", "md5")

_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/tiff": "tif",
    "image/heic": "heic",
    "image/heif": "heif",
    "image/avif": "avif",
}
_SHA256_RE = re.compile(r"[0-9a-f]{64}")

Progress = Callable[[int], None]


# ---------------------------------------------------------------------------------------------
# metadata.json <-> rows


def _iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def safe_stem(filename: str) -> str:
    """An ASCII, file-system-safe form of a file name without its extension."""
    stem = filename.rsplit(".", 1)[0] if "." in filename.strip(".") else filename
    ascii_only = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_only).strip(".-_")[:60].rstrip(".-_")
    return cleaned or "photo"


def bag_file_name(position: int, photo: Photo) -> str:
    ext = _EXTENSIONS.get(photo.content_type, "bin")
    return f"originals/{position:04d}-{safe_stem(photo.original_filename)}.{ext}"


def photo_entry(photo: Photo, path: str) -> dict[str, Any]:
    """Everything about a photo that belongs to the album (no ids, no instance times)."""
    return {
        "path": path,
        "sha256": photo.sha256,
        "size": photo.size,
        "content_type": photo.content_type,
        "original_filename": photo.original_filename,
        "width": photo.width,
        "height": photo.height,
        "orientation": photo.orientation,
        "taken_at": _iso_utc(photo.taken_at),
        "taken_at_offset_minutes": photo.taken_at_offset_minutes,
        "taken_at_source": photo.taken_at_source.value,
        "taken_at_raw": photo.taken_at_raw,
        "taken_at_flags": photo.taken_at_flags,
        "clock_offset_seconds": photo.clock_offset_seconds,
        "camera": {
            "make": photo.camera_make,
            "model": photo.camera_model,
            "serial": photo.camera_serial,
            "lens": photo.lens,
            "focal_length_mm": photo.focal_length_mm,
            "aperture": photo.aperture,
            "exposure_time": photo.exposure_time,
            "iso": photo.iso,
        },
        "metadata_error": photo.metadata_error,
        "title": photo.title,
        "caption": photo.caption,
        "alt_text": photo.alt_text,
        "credit": photo.credit,
        "copyright": photo.copyright,
        "keywords": list(photo.keywords or []),
        "position": photo.position,
        # Location is private: never shown to visitors; kept here so a move loses nothing.
        "private": {
            "gps_latitude": photo.gps_latitude,
            "gps_longitude": photo.gps_longitude,
            "gps_altitude": photo.gps_altitude,
        },
    }


def _photo_values(entry: dict[str, Any]) -> dict[str, Any]:
    """Column values for a Photo row from a validated metadata entry (inverse of photo_entry)."""
    camera = entry["camera"]
    private = entry["private"]
    taken_at = entry["taken_at"]
    return {
        "sha256": entry["sha256"],
        "size": entry["size"],
        "content_type": entry["content_type"],
        "original_filename": entry["original_filename"],
        "width": entry["width"],
        "height": entry["height"],
        "orientation": entry["orientation"],
        "taken_at": datetime.fromisoformat(taken_at).astimezone(timezone.utc) if taken_at else None,
        "taken_at_offset_minutes": entry["taken_at_offset_minutes"],
        "taken_at_source": TakenAtSource(entry["taken_at_source"]),
        "taken_at_raw": entry["taken_at_raw"],
        "taken_at_flags": entry["taken_at_flags"],
        "clock_offset_seconds": entry["clock_offset_seconds"],
        "camera_make": camera["make"],
        "camera_model": camera["model"],
        "camera_serial": camera["serial"],
        "lens": camera["lens"],
        "focal_length_mm": camera["focal_length_mm"],
        "aperture": camera["aperture"],
        "exposure_time": camera["exposure_time"],
        "iso": camera["iso"],
        "metadata_error": entry["metadata_error"],
        "title": entry["title"],
        "caption": entry["caption"],
        "alt_text": entry["alt_text"],
        "credit": entry["credit"],
        "copyright": entry["copyright"],
        "keywords": list(entry["keywords"]),
        "position": entry["position"],
        "gps_latitude": private["gps_latitude"],
        "gps_longitude": private["gps_longitude"],
        "gps_altitude": private["gps_altitude"],
    }


def capture_ordered(session: Session, album: Album) -> list[Photo]:
    """The album's photos (not deleted) in capture order; undated ones last, in upload order."""
    query = (
        select(Photo)
        .where(Photo.album_id == album.id, Photo.deleted_at.is_(None))
        .order_by(Photo.taken_at.is_(None), Photo.taken_at, Photo.id)
    )
    return list(session.scalars(query))


def album_metadata(album: Album, entries: list[dict[str, Any]], cover_path: str | None) -> dict[str, Any]:
    event = album.event
    return {
        "format": BAG_FORMAT,
        "format_version": BAG_FORMAT_VERSION,
        "event": {
            "slug": event.slug,
            "title": event.title,
            "starts_on": event.starts_on.isoformat(),
            "ends_on": event.ends_on.isoformat(),
            "timezone": event.timezone,
            "location": event.location,
            "description": event.description,
        },
        "album": {
            "slug": album.slug,
            "title": album.title,
            "description": album.description,
            "visibility": album.visibility.value,
            "sort_mode": album.sort_mode.value,
            "original_downloads": album.original_downloads.value,
            "cover": cover_path,
        },
        "photos": entries,
    }


def dumps(document: Any) -> bytes:
    return (json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# export


def encode_manifest_path(path: str) -> str:
    """RFC 8493 2.1.3: CR, LF and % in a manifest path are percent-encoded."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_manifest_path(path: str) -> str:
    return re.sub(r"%(0[dDaA]|25)", lambda m: {"0d": "\r", "0a": "\n", "25": "%"}[m.group(1).lower()], path)


def _tag_value(value: str) -> str:
    return " ".join(str(value).split())


@dataclass
class ExportResult:
    path: Path
    photos: int
    payload_bytes: int
    manifest: dict[str, str]


class _ZipOut:
    def __init__(self, zf: zipfile.ZipFile, root: str, when: datetime) -> None:
        self.zf = zf
        self.root = root
        self.date_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)

    def info(self, name: str, *, compress: bool) -> zipfile.ZipInfo:
        zinfo = zipfile.ZipInfo(f"{self.root}/{name}", date_time=self.date_time)
        zinfo.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        zinfo.external_attr = 0o644 << 16
        return zinfo

    def write_bytes(self, name: str, data: bytes) -> str:
        self.zf.writestr(self.info(name, compress=True), data)
        return hashlib.sha256(data).hexdigest()


def export_album(
    session: Session,
    storage: Storage,
    *,
    album: Album,
    out: Path,
    organization: str = "Gallery",
    software: str = "Gallery",
    overwrite: bool = False,
    on_photo: Progress | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write ``album`` as a zipped BagIt bag to ``out`` (streamed: constant memory).

    The bag is written to a temporary file beside ``out`` and renamed into place at the end,
    so a failure never leaves a half-written ``out``.  Every original is re-hashed while it is
    copied; a mismatch with the database aborts the export."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise ConflictError(f"{out} exists; choose another name or pass --overwrite")
    if not out.parent.is_dir():
        raise NotFoundError(f"the folder {out.parent} does not exist")
    when = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    photos = capture_ordered(session, album)
    paths = {photo.id: bag_file_name(i, photo) for i, photo in enumerate(photos, 1)}
    entries = [photo_entry(photo, paths[photo.id]) for photo in photos]
    cover = paths.get(album.cover_photo_id) if album.cover_photo_id else None
    metadata = dumps(album_metadata(album, entries, cover))
    instance = dumps(
        {
            "exported_at": _iso_utc(when),
            "software": software,
            "source_storage": storage.describe(),
            "event_id": album.event.id,
            "album_id": album.id,
            "album_created_at": _iso_utc(album.created_at),
            "photos": {
                paths[p.id]: {
                    "id": p.id,
                    "status": p.status.value,
                    "error": p.error,
                    "created_at": _iso_utc(p.created_at),
                    "updated_at": _iso_utc(p.updated_at),
                    "last_verified_at": _iso_utc(p.last_verified_at),
                    "uploaded_by_id": p.uploaded_by_id,
                }
                for p in photos
            },
        }
    )
    targets = [(photo.id, photo.original_key, photo.sha256, photo.size, paths[photo.id]) for photo in photos]
    album_slug, album_title = album.slug, album.title
    event_slug, event_title = album.event.slug, album.event.title
    event_dates = f"{album.event.starts_on.isoformat()} - {album.event.ends_on.isoformat()}"
    session.rollback()  # hold no transaction while streaming

    partial = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")
    manifest: dict[str, str] = {}
    payload_bytes = 0
    try:
        with zipfile.ZipFile(partial, "w", allowZip64=True) as zf:
            z = _ZipOut(zf, album_slug, when)
            tags: dict[str, str] = {}
            tags["bagit.txt"] = z.write_bytes(
                "bagit.txt", f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode()
            )
            for photo_id, key, sha256, size, path in targets:
                digest = hashlib.sha256()
                written = 0
                try:
                    chunks = storage.iter_bytes(key, chunk_size=CHUNK)
                except NotFound:
                    raise GalleryError(
                        f"the original of photo {photo_id} ({key}) is missing from storage; "
                        "run `gallery verify` and restore it before exporting",
                        code="original_missing",
                    ) from None
                with zf.open(z.info(f"data/{path}", compress=False), "w", force_zip64=size >= 2**31) as target:
                    for chunk in chunks:
                        digest.update(chunk)
                        written += len(chunk)
                        target.write(chunk)
                actual = digest.hexdigest()
                if actual != sha256 or written != size:
                    raise GalleryError(
                        f"the original of photo {photo_id} ({key}) does not match the database "
                        f"(expected sha256 {sha256}, {size} bytes; read {actual}, {written} bytes); "
                        "run `gallery verify`",
                        code="original_changed",
                    )
                manifest[f"data/{path}"] = actual
                payload_bytes += written
                if on_photo:
                    on_photo(1)
            manifest[METADATA_PATH] = z.write_bytes(METADATA_PATH, metadata)
            payload_bytes += len(metadata)
            manifest_text = "".join(
                f"{manifest[p]}  {encode_manifest_path(p)}\n" for p in sorted(manifest)
            ).encode("utf-8")
            tags["manifest-sha256.txt"] = z.write_bytes("manifest-sha256.txt", manifest_text)
            info_lines = [
                ("Source-Organization", organization),
                ("Bagging-Date", when.date().isoformat()),
                ("Payload-Oxum", f"{payload_bytes}.{len(manifest)}"),
                ("External-Identifier", f"gallery-album:{album_slug}"),
                (
                    "External-Description",
                    f"Album '{album_title}' of the event '{event_title}' ({event_dates}): "
                    f"{len(targets)} original(s), bit-exact, and data/metadata.json with every caption, "
                    "credit and capture time. The originals and metadata.json keep location (GPS) data: "
                    "treat this bag like a database backup and never publish it.",
                ),
                ("Bag-Group-Identifier", f"gallery-event:{event_slug}"),
                ("Bag-Software-Agent", software),
                ("Bag-Size", _human_size(payload_bytes)),
            ]
            info_text = "".join(f"{k}: {_tag_value(v)}\n" for k, v in info_lines).encode("utf-8")
            tags["bag-info.txt"] = z.write_bytes("bag-info.txt", info_text)
            tags[INSTANCE_TAG_FILE] = z.write_bytes(INSTANCE_TAG_FILE, instance)
            tag_text = "".join(f"{tags[name]}  {name}\n" for name in sorted(tags)).encode("utf-8")
            z.write_bytes("tagmanifest-sha256.txt", tag_text)
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    log.info("exported album %s: %d photos, %d bytes to %s", album_slug, len(targets), payload_bytes, out)
    return ExportResult(path=out, photos=len(targets), payload_bytes=payload_bytes, manifest=manifest)


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


# ---------------------------------------------------------------------------------------------
# validation


@dataclass(frozen=True)
class BagPhoto:
    entry: dict[str, Any]
    member: str  # name inside the zip
    sha256: str
    size: int


@dataclass
class ValidatedBag:
    path: Path
    root: str  # "" or "<folder>/"
    metadata: dict[str, Any]
    photos: list[BagPhoto]
    info: dict[str, list[str]]
    warnings: list[str] = field(default_factory=list)


def _safe_member(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return False
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        return False
    return not re.match(r"^[A-Za-z]:", parts[0])


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, what: str) -> bytes:
    if info.file_size > limit:
        raise InvalidBag(f"{what} is {info.file_size} bytes; the limit is {limit}")
    return b"".join(bag_limits.member_chunks(zf, info, what))


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidBag(f"{what} is not UTF-8 text") from None


def parse_tag_file(text: str, what: str) -> dict[str, list[str]]:
    """``Label: value`` lines; continuation lines start with whitespace (RFC 8493 2.2.2)."""
    tags: dict[str, list[str]] = {}
    last: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line[0] in " \t" and last is not None:
            tags[last][-1] += " " + line.strip()
            continue
        label, sep, value = line.partition(":")
        if not sep or not label.strip() or label != label.strip():
            raise InvalidBag(f"{what} line {number} is not 'Label: value': {line[:80]!r}")
        last = label
        tags.setdefault(label, []).append(value.strip())
    return tags


def _parse_manifest(text: str, what: str, alg: str) -> dict[str, str]:
    width = hashlib.new(alg).digest_size * 2
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise InvalidBag(f"{what} line {number} is not '<checksum> <path>'")
        checksum, raw_path = parts[0].lower(), decode_manifest_path(parts[1].strip())
        if len(checksum) != width or not re.fullmatch(r"[0-9a-f]+", checksum):
            raise InvalidBag(f"{what} line {number}: {parts[0][:80]!r} is not a {alg} checksum")
        path = raw_path[2:] if raw_path.startswith("./") else raw_path
        if not _safe_member(path):
            raise InvalidBag(f"{what} line {number}: unsafe path {raw_path[:80]!r}")
        if path in entries:
            raise InvalidBag(f"{what} lists {path!r} twice")
        entries[path] = checksum
    return entries


def _few(items: list[str]) -> str:
    shown = ", ".join(items[:5])
    return shown + (f" and {len(items) - 5} more" if len(items) > 5 else "")


# metadata.json structure: field -> (accepted types, nullable)
Spec = dict[str, tuple[tuple[type, ...], bool]]
_STR: tuple[type, ...] = (str,)
_INT: tuple[type, ...] = (int,)
_NUM: tuple[type, ...] = (int, float)
_EVENT_FIELDS: Spec = {
    "slug": (_STR, False), "title": (_STR, False), "starts_on": (_STR, False), "ends_on": (_STR, False),
    "timezone": (_STR, False), "location": (_STR, False), "description": (_STR, False),
}
_ALBUM_FIELDS: Spec = {
    "slug": (_STR, False), "title": (_STR, False), "description": (_STR, False), "visibility": (_STR, False),
    "sort_mode": (_STR, False), "original_downloads": (_STR, False), "cover": (_STR, True),
}
_PHOTO_FIELDS: Spec = {
    "path": (_STR, False), "sha256": (_STR, False), "size": (_INT, False), "content_type": (_STR, False),
    "original_filename": (_STR, False), "width": (_INT, False), "height": (_INT, False),
    "orientation": (_INT, True), "taken_at": (_STR, True), "taken_at_offset_minutes": (_INT, True),
    "taken_at_source": (_STR, False), "taken_at_raw": (_STR, True), "taken_at_flags": (_STR, False),
    "clock_offset_seconds": (_INT, False), "camera": ((dict,), False), "metadata_error": (_STR, True),
    "title": (_STR, False), "caption": (_STR, False), "alt_text": (_STR, False), "credit": (_STR, False),
    "copyright": (_STR, False), "keywords": ((list,), False), "position": (_INT, True),
    "private": ((dict,), False),
}
_CAMERA_FIELDS: Spec = {
    "make": (_STR, True), "model": (_STR, True), "serial": (_STR, True), "lens": (_STR, True),
    "focal_length_mm": (_NUM, True), "aperture": (_NUM, True), "exposure_time": (_STR, True), "iso": (_INT, True),
}
_PRIVATE_FIELDS: Spec = {"gps_latitude": (_NUM, True), "gps_longitude": (_NUM, True), "gps_altitude": (_NUM, True)}


def _check_fields(obj: Any, spec: Spec, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise InvalidBag(f"metadata.json: {where} must be an object")
    missing = sorted(set(spec) - set(obj))
    if missing:
        raise InvalidBag(f"metadata.json: {where} lacks {', '.join(missing)}")
    for name, (types, nullable) in spec.items():
        value = obj[name]
        if value is None and nullable:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            kind = " or ".join(t.__name__ for t in types) + (" or null" if nullable else "")
            raise InvalidBag(f"metadata.json: {where}.{name} must be {kind}")
        if isinstance(value, str) and "\x00" in value:
            raise InvalidBag(f"metadata.json: {where}.{name} contains a NUL character")
    return obj


def _check_lengths(values: dict[str, Any], where: str) -> None:
    """String values must fit their columns (PostgreSQL would refuse them at commit)."""
    columns = Photo.__table__.columns
    for name, value in values.items():
        column = columns.get(name)
        if column is None or not isinstance(value, str):
            continue
        length = getattr(column.type, "length", None)
        if length is not None and len(value) > length:
            raise InvalidBag(f"metadata.json: {where}: {name} is longer than {length} characters")


def _check_photo(entry: Any, where: str) -> dict[str, Any]:
    _check_fields(entry, _PHOTO_FIELDS, where)
    _check_fields(entry["camera"], _CAMERA_FIELDS, f"{where}.camera")
    _check_fields(entry["private"], _PRIVATE_FIELDS, f"{where}.private")
    if not _SHA256_RE.fullmatch(entry["sha256"]):
        raise InvalidBag(f"metadata.json: {where}.sha256 is not 64 lower-case hex digits")
    if not all(isinstance(k, str) for k in entry["keywords"]):
        raise InvalidBag(f"metadata.json: {where}.keywords must be a list of strings")
    for name in ("size", "width", "height"):
        if not 0 < entry[name] < 2**62:
            raise InvalidBag(f"metadata.json: {where}.{name} must be positive")
    for name in ("orientation", "taken_at_offset_minutes", "clock_offset_seconds", "position", "iso"):
        value = entry["camera"][name] if name == "iso" else entry[name]
        if value is not None and not -(2**31) < value < 2**31:
            raise InvalidBag(f"metadata.json: {where}.{name} is out of range")
    try:
        TakenAtSource(entry["taken_at_source"])
    except ValueError:
        raise InvalidBag(f"metadata.json: {where}.taken_at_source {entry['taken_at_source']!r} is unknown") from None
    if entry["taken_at"] is not None:
        try:
            parsed = datetime.fromisoformat(entry["taken_at"])
        except ValueError:
            raise InvalidBag(f"metadata.json: {where}.taken_at is not an ISO 8601 time") from None
        if parsed.tzinfo is None:
            raise InvalidBag(f"metadata.json: {where}.taken_at has no UTC offset")
    _check_lengths(_photo_values(entry), where)
    return entry


def _check_metadata(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise InvalidBag("metadata.json must hold a JSON object")
    if document.get("format") != BAG_FORMAT:
        raise InvalidBag(f"metadata.json is not a Gallery album bag (format must be {BAG_FORMAT!r})")
    if document.get("format_version") != BAG_FORMAT_VERSION:
        raise InvalidBag(
            f"metadata.json format_version {document.get('format_version')!r} is not supported "
            f"(this Gallery reads version {BAG_FORMAT_VERSION})"
        )
    event = _check_fields(document.get("event"), _EVENT_FIELDS, "event")
    album = _check_fields(document.get("album"), _ALBUM_FIELDS, "album")
    for name, value in (("starts_on", event["starts_on"]), ("ends_on", event["ends_on"])):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise InvalidBag(f"metadata.json: event.{name} {value!r} is not a date") from None
    for name, enum in (("visibility", Visibility), ("sort_mode", SortMode), ("original_downloads", OriginalDownloads)):
        try:
            enum(album[name])
        except ValueError:
            raise InvalidBag(f"metadata.json: album.{name} {album[name]!r} is not valid") from None
    photos = document.get("photos")
    if not isinstance(photos, list):
        raise InvalidBag("metadata.json: photos must be a list")
    seen_sha: set[str] = set()
    seen_path: set[str] = set()
    for i, entry in enumerate(photos):
        _check_photo(entry, f"photos[{i}]")
        if entry["sha256"] in seen_sha:
            raise InvalidBag(f"metadata.json: photos[{i}] repeats the sha256 of an earlier photo")
        if entry["path"] in seen_path:
            raise InvalidBag(f"metadata.json: photos[{i}] repeats the path of an earlier photo")
        seen_sha.add(entry["sha256"])
        seen_path.add(entry["path"])
    if album["cover"] is not None and album["cover"] not in seen_path:
        raise InvalidBag("metadata.json: album.cover names no photo of the bag")
    return document


def validate_bag(path: Path, *, limits: PhotoLimits, on_file: Progress | None = None) -> ValidatedBag:
    """Check a zipped bag completely (see the module docstring and :mod:`.bag_limits`, which
    ``limits`` are for); raise :class:`InvalidBag`."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidBag(f"{path.name} is not a readable ZIP file: {exc}") from None
    with zf:
        return _validate(zf, path, on_file, limits)


def _validate(zf: zipfile.ZipFile, path: Path, on_file: Progress | None, limits: PhotoLimits) -> ValidatedBag:
    members: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename
        if not _safe_member(name):
            raise InvalidBag(f"the ZIP holds an unsafe member name {name[:100]!r}")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise InvalidBag(f"the ZIP holds a symbolic link {name[:100]!r}")
        if info.is_dir():
            continue
        if name in members:
            raise InvalidBag(f"the ZIP holds {name[:100]!r} twice")
        members[name] = info
    bag_limits.check_ratios(members.values())

    if "bagit.txt" in members:
        root = ""
    else:
        tops = {name.split("/", 1)[0] for name in members}
        if len(tops) == 1 and f"{next(iter(tops))}/bagit.txt" in members:
            root = f"{next(iter(tops))}/"
        else:
            raise InvalidBag("no bagit.txt: this is not a BagIt bag (expected bagit.txt at the top or in one folder)")
    files = {name[len(root) :]: info for name, info in members.items() if name.startswith(root)}
    if len(files) != len(members):
        raise InvalidBag("the ZIP holds files outside the bag's folder")

    declaration = parse_tag_file(_text(_read_member(zf, files["bagit.txt"], 4096, "bagit.txt"), "bagit.txt"), "bagit.txt")
    version = (declaration.get("BagIt-Version") or [""])[0]
    encoding = (declaration.get("Tag-File-Character-Encoding") or [""])[0]
    if version not in ("0.97", "1.0"):
        raise InvalidBag(f"bagit.txt: BagIt-Version {version!r} is not supported (use 1.0 or 0.97)")
    if encoding.upper().replace("_", "-") not in ("UTF-8", "UTF8"):
        raise InvalidBag(f"bagit.txt: Tag-File-Character-Encoding {encoding!r} is not supported (use UTF-8)")
    if "fetch.txt" in files:
        raise InvalidBag("the bag has a fetch.txt (files to download): only complete bags can be imported")

    manifests: dict[str, dict[str, str]] = {}
    tag_manifests: dict[str, dict[str, str]] = {}
    for name in sorted(files):
        match = re.fullmatch(r"(tag)?manifest-([a-z0-9]+)\.txt", name)
        if not match:
            continue
        alg = match.group(2)
        if alg not in SUPPORTED_ALGORITHMS:
            raise InvalidBag(f"{name}: the algorithm {alg!r} is not supported (use sha256 or sha512)")
        text = _text(_read_member(zf, files[name], MAX_TAG_FILE_BYTES, name), name)
        (tag_manifests if match.group(1) else manifests)[alg] = _parse_manifest(text, name, alg)
    if "sha256" not in manifests:
        raise InvalidBag("the bag has no manifest-sha256.txt")

    payload = sorted(name for name in files if name.startswith("data/"))
    for alg, entries in manifests.items():
        missing = sorted(set(payload) - set(entries))
        extra = sorted(set(entries) - set(payload))
        if missing:
            raise InvalidBag(f"manifest-{alg}.txt does not list {_few(missing)}")
        if extra:
            raise InvalidBag(f"manifest-{alg}.txt lists file(s) the bag does not contain: {_few(extra)}")

    info_tags: dict[str, list[str]] = {}
    if "bag-info.txt" in files:
        info_tags = parse_tag_file(
            _text(_read_member(zf, files["bag-info.txt"], MAX_TAG_FILE_BYTES, "bag-info.txt"), "bag-info.txt"),
            "bag-info.txt",
        )
    oxum = bag_limits.parse_oxum(info_tags)
    bag_limits.check_oxum(oxum, sum(files[n].file_size for n in payload), len(payload), source="the ZIP declares")

    # Every payload file, hashed once with every manifest's algorithm.
    sizes: dict[str, int] = {}
    heads: dict[str, bytes] = {}
    bad: list[str] = []
    for name in payload:
        hashers = {alg: hashlib.new(alg) for alg in manifests}
        size = 0
        head = b""
        for chunk in bag_limits.member_chunks(zf, files[name], name):
            size += len(chunk)
            if len(head) < sniff.SNIFF_BYTES:
                head += chunk[: sniff.SNIFF_BYTES - len(head)]
            for hasher in hashers.values():
                hasher.update(chunk)
        sizes[name] = size
        heads[name] = head
        for alg, hasher in hashers.items():
            if hasher.hexdigest() != manifests[alg][name]:
                bad.append(f"{name} ({alg})")
        if on_file:
            on_file(1)
    if bad:
        raise InvalidBag(f"checksum mismatch: {_few(bad)}; the bag is damaged or was changed")

    bag_limits.check_oxum(oxum, sum(sizes.values()), len(payload), source="the payload has")

    for alg, entries in tag_manifests.items():
        for name, checksum in entries.items():
            if name.startswith("data/"):
                raise InvalidBag(f"tagmanifest-{alg}.txt lists a payload file {name!r}")
            if name not in files:
                raise InvalidBag(f"tagmanifest-{alg}.txt lists {name!r}, which the bag does not contain")
            hasher = hashlib.new(alg)
            for chunk in bag_limits.member_chunks(zf, files[name], name):
                hasher.update(chunk)
            if hasher.hexdigest() != checksum:
                raise InvalidBag(f"checksum mismatch: {name} ({alg}, tag file); the bag is damaged or was changed")

    if METADATA_PATH not in files:
        raise InvalidBag("the bag has no data/metadata.json: it was not made by `gallery export`")
    raw = _read_member(zf, files[METADATA_PATH], MAX_METADATA_BYTES, METADATA_PATH)
    metadata = _check_metadata(bag_limits.load_json(_text(raw, METADATA_PATH), METADATA_PATH))

    photos: list[BagPhoto] = []
    listed: set[str] = set()
    for i, entry in enumerate(metadata["photos"]):
        name = f"data/{entry['path']}"
        if name not in sizes or name == METADATA_PATH:
            raise InvalidBag(f"metadata.json: photos[{i}].path {entry['path']!r} is not in the bag")
        if manifests["sha256"][name] != entry["sha256"]:
            raise InvalidBag(f"metadata.json: photos[{i}] says sha256 {entry['sha256']}, the manifest differs for {name}")
        if sizes[name] != entry["size"]:
            raise InvalidBag(f"metadata.json: photos[{i}] says {entry['size']} bytes, {name} has {sizes[name]}")
        detected = sniff.detect(heads[name])
        if not detected.accepted:
            raise InvalidBag(f"{name} is not a photo the gallery accepts (detected {detected.label})")
        if detected.mime != entry["content_type"]:
            raise InvalidBag(
                f"metadata.json: photos[{i}] says {entry['content_type']}, but {name} is a {detected.label}"
            )
        listed.add(name)
        photos.append(BagPhoto(entry=entry, member=root + name, sha256=entry["sha256"], size=entry["size"]))
    bag_limits.check_photos(zf, [(p.member[len(root):], files[p.member[len(root):]], p.sha256) for p in photos], limits)
    warnings = [f"{name} is in the bag but not in metadata.json; it is not imported" for name in payload
                if name not in listed and name != METADATA_PATH]
    return ValidatedBag(path=path, root=root, metadata=metadata, photos=photos, info=info_tags, warnings=warnings)


# ---------------------------------------------------------------------------------------------
# import


@dataclass
class ImportResult:
    event: Event
    event_created: bool
    album: Album
    photo_ids: list[int]
    stored_objects: int


def _catalog_rows(
    session: Session, bag: ValidatedBag, *, event_slug: str, album_slug: str, actor: Actor
) -> tuple[Event, bool, Album]:
    meta_event = bag.metadata["event"]
    meta_album = bag.metadata["album"]
    event = session.scalar(select(Event).where(Event.slug == event_slug))
    created = False
    if event is None:
        event = catalog.create_event(
            session,
            slug=event_slug,
            title=meta_event["title"],
            starts_on=meta_event["starts_on"],
            ends_on=meta_event["ends_on"],
            timezone=meta_event["timezone"],
            location=meta_event["location"],
            description=meta_event["description"],
            actor=actor,
        )
        created = True
    album = catalog.create_album(
        session,
        event=event,
        slug=album_slug,
        title=meta_album["title"],
        description=meta_album["description"],
        visibility=meta_album["visibility"],
        sort_mode=meta_album["sort_mode"],
        original_downloads=meta_album["original_downloads"],
        actor=actor,
    )
    return event, created, album


def import_bag(
    session: Session,
    storage: Storage,
    bag: ValidatedBag,
    *,
    event_slug: str | None = None,
    album_slug: str | None = None,
    actor: Actor = SYSTEM,
    on_photo: Progress | None = None,
) -> ImportResult:
    """Restore a validated bag.  Event and album are checked (in a transaction that is rolled
    back) before any original is stored; the rows are committed together at the end."""
    target_event = event_slug or bag.metadata["event"]["slug"]
    target_album = album_slug or bag.metadata["album"]["slug"]
    if session.scalar(select(Album.id).where(Album.slug == target_album)) is not None:
        session.rollback()
        raise ConflictError(
            f"an album {target_album!r} already exists; import under another slug with --album-slug NEW-SLUG",
            field="slug",
        )
    try:  # dry run of the catalog rows: the bag's event and album values must be acceptable
        _catalog_rows(session, bag, event_slug=target_event, album_slug=target_album, actor=actor)
        session.flush()
    except GalleryError as exc:
        raise ValidationError(f"the bag's event or album cannot be created: {exc.message}") from None
    finally:
        session.rollback()

    stored = 0
    with zipfile.ZipFile(bag.path) as zf:
        for item in bag.photos:
            key = original_key(item.sha256)
            try:
                existing = storage.stat(key)
            except NotFound:
                existing = None
            if existing is None or existing.size != item.size:
                with zf.open(item.member) as stream:
                    storage.put(
                        key,
                        cast(BinaryIO, stream),
                        sha256=item.sha256,
                        content_type=item.entry["content_type"],
                        size=item.size,
                    )
                stored += 1
            if on_photo:
                on_photo(1)

    event, created, album = _catalog_rows(session, bag, event_slug=target_event, album_slug=target_album, actor=actor)
    session.flush()
    photo_ids: list[int] = []
    cover: Photo | None = None
    for item in bag.photos:
        photo = Photo(
            album_id=album.id,
            original_key=original_key(item.sha256),
            status=PhotoStatus.processing,
            **_photo_values(item.entry),
        )
        session.add(photo)
        session.flush()
        photo_ids.append(photo.id)
        if item.entry["path"] == bag.metadata["album"]["cover"]:
            cover = photo
    if cover is not None:
        album.cover_photo_id = cover.id
    record(
        session,
        "album.import",
        actor=actor,
        obj=album,
        details={"bag": bag.path.name, "photos": len(photo_ids), "event": event.slug, "event_created": created},
    )
    try:
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"the album could not be saved: {exc.orig}") from None
    log.info("imported bag %s into album %s (%d photos)", bag.path.name, album.slug, len(photo_ids))
    return ImportResult(event=event, event_created=created, album=album, photo_ids=photo_ids, stored_objects=stored)


__all__ = [
    "BAG_FORMAT",
    "ExportResult",
    "ImportResult",
    "InvalidBag",
    "PhotoLimits",
    "ValidatedBag",
    "export_album",
    "import_bag",
    "validate_bag",
]
