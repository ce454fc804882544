"""``gallery import-bag BAG.zip``: check a zipped bag completely, then restore its album.

:func:`validate_bag` checks the whole bag before anything is written: bagit.txt, every manifest
(each algorithm present is checked), every checksum, completeness in both directions,
Payload-Oxum, the tag manifests, safe member names, ``metadata.json`` (:mod:`.schema`), that
every photo's file is listed with the SHA-256 and size the metadata claims, and that every
original is an image type the gallery accepts (judged from its bytes); and :mod:`.limits`: no
ZIP bomb, declared and actual sizes as Payload-Oxum says, every photo one the upload path would
accept.  An invalid bag is refused with :class:`InvalidBag`, whose message names what is wrong.

:func:`import_bag` then stores the originals (content-addressed, verified by the store) and
commits the event (created when missing), album and photo rows in one transaction.  The caller
then renders the derivatives.
"""

from __future__ import annotations

import hashlib
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.archive.bagit import format as fmt
from gallery.archive.bagit import limits as bag_limits
from gallery.archive.bagit.format import InvalidBag
from gallery.archive.bagit.limits import PhotoLimits
from gallery.archive.bagit.schema import PHOTO, check_metadata, load
from gallery.catalog import albums
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
from gallery.models import Album, Event, Photo, PhotoStatus
from gallery.storage import NotFound, Storage

log = logging.getLogger("gallery.bagit")

MAX_METADATA_BYTES = 64 * 1024 * 1024
MAX_TAG_FILE_BYTES = 16 * 1024 * 1024

Progress = Callable[[int], None]


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


# --- validation ---------------------------------------------------------------------------------


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, what: str) -> bytes:
    if info.file_size > limit:
        raise InvalidBag(f"{what} is {info.file_size} bytes; the limit is {limit}")
    return b"".join(bag_limits.member_chunks(zf, info, what))


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidBag(f"{what} is not UTF-8 text") from None


def _read_tag_file(zf: zipfile.ZipFile, info: zipfile.ZipInfo, what: str, limit: int) -> dict[str, list[str]]:
    return fmt.parse_tag_file(_text(_read_member(zf, info, limit, what), what), what)


def validate_bag(path: Path, *, limits: PhotoLimits, on_file: Progress | None = None) -> ValidatedBag:
    """Check a zipped bag completely (see the module docstring and :mod:`.limits`, which
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


def _members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The ZIP's files by name: no unsafe names, links or duplicates; no bomb by declared sizes."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename
        if not fmt.safe_member(name):
            raise InvalidBag(f"the ZIP holds an unsafe member name {name[:100]!r}")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise InvalidBag(f"the ZIP holds a symbolic link {name[:100]!r}")
        if info.is_dir():
            continue
        if name in members:
            raise InvalidBag(f"the ZIP holds {name[:100]!r} twice")
        members[name] = info
    bag_limits.check_ratios(members.values())
    return members


def _bag_root(members: dict[str, zipfile.ZipInfo]) -> str:
    """``""`` when bagit.txt is at the top, ``"<folder>/"`` when the bag is in one folder."""
    if "bagit.txt" in members:
        return ""
    tops = {name.split("/", 1)[0] for name in members}
    if len(tops) == 1 and f"{next(iter(tops))}/bagit.txt" in members:
        return f"{next(iter(tops))}/"
    raise InvalidBag("no bagit.txt: this is not a BagIt bag (expected bagit.txt at the top or in one folder)")


def _check_declaration(zf: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo]) -> None:
    declaration = _read_tag_file(zf, files["bagit.txt"], "bagit.txt", 4096)
    version = (declaration.get("BagIt-Version") or [""])[0]
    encoding = (declaration.get("Tag-File-Character-Encoding") or [""])[0]
    if version not in fmt.BAGIT_VERSIONS_READ:
        raise InvalidBag(f"bagit.txt: BagIt-Version {version!r} is not supported (use 1.0 or 0.97)")
    if encoding.upper().replace("_", "-") not in ("UTF-8", "UTF8"):
        raise InvalidBag(f"bagit.txt: Tag-File-Character-Encoding {encoding!r} is not supported (use UTF-8)")
    if "fetch.txt" in files:
        raise InvalidBag("the bag has a fetch.txt (files to download): only complete bags can be imported")


def _read_manifests(
    zf: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo]
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Payload manifests and tag manifests, each ``{algorithm: {path: checksum}}``."""
    manifests: dict[str, dict[str, str]] = {}
    tag_manifests: dict[str, dict[str, str]] = {}
    for name in sorted(files):
        kind = fmt.manifest_file(name)
        if kind is None:
            continue
        is_tag, alg = kind
        if alg not in fmt.SUPPORTED_ALGORITHMS:
            raise InvalidBag(f"{name}: the algorithm {alg!r} is not supported (use sha256 or sha512)")
        text = _text(_read_member(zf, files[name], MAX_TAG_FILE_BYTES, name), name)
        (tag_manifests if is_tag else manifests)[alg] = fmt.parse_manifest(text, name, alg)
    if "sha256" not in manifests:
        raise InvalidBag("the bag has no manifest-sha256.txt")
    return manifests, tag_manifests


def _check_complete(manifests: dict[str, dict[str, str]], payload: list[str]) -> None:
    for alg, entries in manifests.items():
        missing = sorted(set(payload) - set(entries))
        extra = sorted(set(entries) - set(payload))
        if missing:
            raise InvalidBag(f"manifest-{alg}.txt does not list {fmt.few(missing)}")
        if extra:
            raise InvalidBag(f"manifest-{alg}.txt lists file(s) the bag does not contain: {fmt.few(extra)}")


def _hash_payload(
    zf: zipfile.ZipFile,
    files: dict[str, zipfile.ZipInfo],
    payload: list[str],
    manifests: dict[str, dict[str, str]],
    on_file: Progress | None,
) -> tuple[dict[str, int], dict[str, bytes]]:
    """Every payload file, hashed once with every manifest's algorithm: sizes and first bytes."""
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
        bad.extend(f"{name} ({alg})" for alg, hasher in hashers.items() if hasher.hexdigest() != manifests[alg][name])
        if on_file:
            on_file(1)
    if bad:
        raise InvalidBag(f"checksum mismatch: {fmt.few(bad)}; the bag is damaged or was changed")
    return sizes, heads


def _check_tag_manifests(
    zf: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo], tag_manifests: dict[str, dict[str, str]]
) -> None:
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


def _bag_photos(
    metadata: dict[str, Any], root: str, sha256s: dict[str, str], sizes: dict[str, int], heads: dict[str, bytes]
) -> list[BagPhoto]:
    """The photos metadata.json lists, each checked against the file it names."""
    photos: list[BagPhoto] = []
    for i, entry in enumerate(metadata["photos"]):
        name = f"data/{entry['path']}"
        if name not in sizes or name == fmt.METADATA_PATH:
            raise InvalidBag(f"metadata.json: photos[{i}].path {entry['path']!r} is not in the bag")
        if sha256s[name] != entry["sha256"]:
            raise InvalidBag(
                f"metadata.json: photos[{i}] says sha256 {entry['sha256']}, the manifest differs for {name}"
            )
        if sizes[name] != entry["size"]:
            raise InvalidBag(f"metadata.json: photos[{i}] says {entry['size']} bytes, {name} has {sizes[name]}")
        detected = sniff.detect(heads[name])
        if not detected.accepted:
            raise InvalidBag(f"{name} is not a photo the gallery accepts (detected {detected.label})")
        if detected.mime != entry["content_type"]:
            raise InvalidBag(
                f"metadata.json: photos[{i}] says {entry['content_type']}, but {name} is a {detected.label}"
            )
        photos.append(BagPhoto(entry=entry, member=root + name, sha256=entry["sha256"], size=entry["size"]))
    return photos


def _validate(zf: zipfile.ZipFile, path: Path, on_file: Progress | None, photo_limits: PhotoLimits) -> ValidatedBag:
    members = _members(zf)
    root = _bag_root(members)
    files = {name[len(root) :]: info for name, info in members.items() if name.startswith(root)}
    if len(files) != len(members):
        raise InvalidBag("the ZIP holds files outside the bag's folder")
    _check_declaration(zf, files)
    manifests, tag_manifests = _read_manifests(zf, files)
    payload = sorted(name for name in files if name.startswith("data/"))
    _check_complete(manifests, payload)

    info_tags: dict[str, list[str]] = {}
    if "bag-info.txt" in files:
        info_tags = _read_tag_file(zf, files["bag-info.txt"], "bag-info.txt", MAX_TAG_FILE_BYTES)
    oxum = bag_limits.parse_oxum(info_tags)
    bag_limits.check_oxum(oxum, sum(files[n].file_size for n in payload), len(payload), source="the ZIP declares")
    sizes, heads = _hash_payload(zf, files, payload, manifests, on_file)
    bag_limits.check_oxum(oxum, sum(sizes.values()), len(payload), source="the payload has")
    _check_tag_manifests(zf, files, tag_manifests)

    if fmt.METADATA_PATH not in files:
        raise InvalidBag("the bag has no data/metadata.json: it was not made by `gallery export`")
    raw = _read_member(zf, files[fmt.METADATA_PATH], MAX_METADATA_BYTES, fmt.METADATA_PATH)
    metadata = check_metadata(bag_limits.load_json(_text(raw, fmt.METADATA_PATH), fmt.METADATA_PATH))
    photos = _bag_photos(metadata, root, manifests["sha256"], sizes, heads)
    bag_limits.check_photos(
        zf, [(p.member[len(root) :], files[p.member[len(root) :]], p.sha256) for p in photos], photo_limits
    )
    listed = {p.member[len(root) :] for p in photos} | {fmt.METADATA_PATH}
    warnings = [
        f"{name} is in the bag but not in metadata.json; it is not imported" for name in payload if name not in listed
    ]
    return ValidatedBag(path=path, root=root, metadata=metadata, photos=photos, info=info_tags, warnings=warnings)


# --- import -------------------------------------------------------------------------------------


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
    album = albums.create_album(
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


def _store_originals(storage: Storage, bag: ValidatedBag, on_photo: Progress | None) -> int:
    """Put every original the store does not hold yet; how many were written."""
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
    return stored


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

    stored = _store_originals(storage, bag, on_photo)

    event, created, album = _catalog_rows(session, bag, event_slug=target_event, album_slug=target_album, actor=actor)
    session.flush()
    photo_ids: list[int] = []
    cover: Photo | None = None
    for item in bag.photos:
        photo = Photo(
            album_id=album.id,
            original_key=original_key(item.sha256),
            status=PhotoStatus.processing,
            **load(PHOTO, item.entry),
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
