"""``gallery export ALBUM OUT.zip``: write an album as a zipped BagIt bag (see :mod:`gallery.archive.bagit`)."""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from gallery.archive.bagit import format as fmt
from gallery.archive.bagit.schema import ALBUM, EVENT, PHOTO, dump
from gallery.core.errors import ConflictError, GalleryError, NotFoundError
from gallery.models import Album, Photo
from gallery.photos.order import bag_photos
from gallery.storage import NotFound, Storage

log = logging.getLogger("gallery.bagit")

CHUNK = 1 << 20

Progress = Callable[[int], None]


@dataclass
class ExportResult:
    path: Path
    photos: int
    payload_bytes: int
    manifest: dict[str, str]


@dataclass(frozen=True)
class _Original:
    photo_id: int
    key: str
    sha256: str
    size: int
    path: str  # in the bag, under data/


def album_metadata(album: Album, photos: list[Photo], paths: dict[int, str]) -> dict[str, Any]:
    """``data/metadata.json``: what describes the album itself (no ids, no instance times)."""
    cover = paths.get(album.cover_photo_id) if album.cover_photo_id else None
    return {
        "format": fmt.BAG_FORMAT,
        "format_version": fmt.BAG_FORMAT_VERSION,
        "event": dump(EVENT, album.event),
        "album": dump(ALBUM, album, cover=cover),
        "photos": [dump(PHOTO, photo, path=paths[photo.id]) for photo in photos],
    }


def instance_facts(album: Album, photos: list[Photo], paths: dict[int, str], storage: Storage, **about: Any) -> bytes:
    """``gallery-instance.json``: what belongs to this installation (ids, status, times), kept
    out of the payload so that the payload of a re-exported album stays the same."""
    return fmt.dumps(
        {
            **about,
            "source_storage": storage.describe(),
            "event_id": album.event.id,
            "album_id": album.id,
            "album_created_at": fmt.iso_utc(album.created_at),
            "photos": {
                paths[p.id]: {
                    "id": p.id,
                    "status": p.status.value,
                    "error": p.error,
                    "created_at": fmt.iso_utc(p.created_at),
                    "updated_at": fmt.iso_utc(p.updated_at),
                    "last_verified_at": fmt.iso_utc(p.last_verified_at),
                    "uploaded_by_id": p.uploaded_by_id,
                }
                for p in photos
            },
        }
    )


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

    def copy_original(self, storage: Storage, original: _Original) -> str:
        """Stream one original into the bag, re-hashing it; a mismatch with its row aborts."""
        digest = hashlib.sha256()
        written = 0
        try:
            chunks = storage.iter_bytes(original.key, chunk_size=CHUNK)
        except NotFound:
            raise GalleryError(
                f"the original of photo {original.photo_id} ({original.key}) is missing from storage; "
                "run `gallery verify` and restore it before exporting",
                code="original_missing",
            ) from None
        zinfo = self.info(f"data/{original.path}", compress=False)
        with self.zf.open(zinfo, "w", force_zip64=original.size >= 2**31) as target:
            for chunk in chunks:
                digest.update(chunk)
                written += len(chunk)
                target.write(chunk)
        actual = digest.hexdigest()
        if actual != original.sha256 or written != original.size:
            raise GalleryError(
                f"the original of photo {original.photo_id} ({original.key}) does not match the database "
                f"(expected sha256 {original.sha256}, {original.size} bytes; read {actual}, {written} bytes); "
                "run `gallery verify`",
                code="original_changed",
            )
        return actual


def bag_info(
    album: Album, *, organization: str, software: str, when: datetime, photos: int, payload_bytes: int, files: int
) -> list[tuple[str, str]]:
    """The lines of bag-info.txt (RFC 8493 2.2.2), in order."""
    event = album.event
    dates = f"{event.starts_on.isoformat()} - {event.ends_on.isoformat()}"
    return [
        ("Source-Organization", organization),
        ("Bagging-Date", when.date().isoformat()),
        ("Payload-Oxum", f"{payload_bytes}.{files}"),
        ("External-Identifier", f"gallery-album:{album.slug}"),
        (
            "External-Description",
            (
                f"Album '{album.title}' of the event '{event.title}' ({dates}): "
                f"{photos} original(s), bit-exact, and data/metadata.json with every caption, "
                "credit and capture time. The originals and metadata.json keep location (GPS) data: "
                "treat this bag like a database backup and never publish it."
            ),
        ),
        ("Bag-Group-Identifier", f"gallery-event:{event.slug}"),
        ("Bag-Software-Agent", software),
        ("Bag-Size", fmt.human_size(payload_bytes)),
    ]


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
    when = (now or datetime.now(UTC)).astimezone(UTC)
    photos = list(session.scalars(bag_photos(album)))  # capture order, whatever the album's order
    paths = {p.id: fmt.bag_file_name(i, p.original_filename, p.content_type) for i, p in enumerate(photos, 1)}
    metadata = fmt.dumps(album_metadata(album, photos, paths))
    instance = instance_facts(album, photos, paths, storage, exported_at=fmt.iso_utc(when), software=software)
    originals = [_Original(p.id, p.original_key, p.sha256, p.size, paths[p.id]) for p in photos]
    payload_bytes = sum(o.size for o in originals) + len(metadata)  # every original is checked while copied
    info = fmt.tag_file(
        bag_info(
            album,
            organization=organization,
            software=software,
            when=when,
            photos=len(originals),
            payload_bytes=payload_bytes,
            files=len(originals) + 1,
        )
    )
    root = album.slug
    session.rollback()  # hold no transaction while streaming

    partial = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")
    checksums: dict[str, str] = {}
    try:
        with zipfile.ZipFile(partial, "w", allowZip64=True) as zf:
            z = _ZipOut(zf, root, when)
            tags = {"bagit.txt": z.write_bytes("bagit.txt", fmt.bagit_declaration())}
            for original in originals:
                checksums[f"data/{original.path}"] = z.copy_original(storage, original)
                if on_photo:
                    on_photo(1)
            checksums[fmt.METADATA_PATH] = z.write_bytes(fmt.METADATA_PATH, metadata)
            tags["manifest-sha256.txt"] = z.write_bytes("manifest-sha256.txt", fmt.manifest(checksums))
            tags["bag-info.txt"] = z.write_bytes("bag-info.txt", info)
            tags[fmt.INSTANCE_TAG_FILE] = z.write_bytes(fmt.INSTANCE_TAG_FILE, instance)
            z.write_bytes("tagmanifest-sha256.txt", fmt.manifest(tags))
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    log.info("exported album %s: %d photos, %d bytes to %s", root, len(originals), payload_bytes, out)
    return ExportResult(path=out, photos=len(originals), payload_bytes=payload_bytes, manifest=checksums)
