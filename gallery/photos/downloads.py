"""Downloads for visitors: one photo, or a whole album as a streamed ZIP.

Every album says what a download gives (``Album.original_downloads``):

* ``off`` (the default): the largest JPEG derivative ("web size"), which never carries location;
* ``without_location``: the original's bytes with location data removed and the image data left
  untouched (:mod:`gallery.media.location`); JPEG only, other formats get the web size;
* ``exact``: the original, bit for bit (location included: the editor was told so).

Everything a response needs is resolved here, inside the request, into plain values
(:class:`DownloadItem`, :class:`AlbumArchive`), so the bytes can be streamed after the database
session has been released.  Nothing is ever written to a temporary file: ZIPs are produced by
zipstream-ng while they are sent, entry by entry, from the store.
"""

from __future__ import annotations

import csv
import hmac
import io
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import tzinfo

from sqlalchemy.orm import Session
from zipstream import ZipStream

from gallery.catalog import albums
from gallery.catalog.media_access import MediaClock, media_signature
from gallery.catalog.visibility import Viewer, is_public, is_shown, visible_album
from gallery.core import formatting
from gallery.core.errors import NotFoundError, PermissionDenied
from gallery.media.location import LocationStripError, strip_location_chunks
from gallery.media.sniff import extensions, extensions_of
from gallery.models import (
    Album,
    Derivative,
    OriginalDownloads,
    Photo,
)
from gallery.photos import service as photos
from gallery.photos.capture import event_zone, reported_local_time
from gallery.storage import Storage, StorageError

log = logging.getLogger("gallery.downloads")

#: Extensions that name a picture: replaced, not kept before the right one ("a.png" -> "a.jpg").
_IMAGE_EXTENSIONS = extensions_of("photo", "raw", "image")
CAPTIONS_NAME = "captions.csv"
# taken_at: ISO 8601 with the offset that applied (for scripts); taken_at_text: the same moment in
# the downloader's language (gallery.core.formatting), "7 maja 2024, 09:31 (UTC+02:00)"
CAPTIONS_HEADER = ("file", "caption", "credit", "taken_at", "taken_at_text")
STEM_MAX_BYTES = 150
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}
)
_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*]')
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class DownloadItem:
    """One file a visitor receives.

    ``kind`` is ``original`` (stored bytes as they are), ``stripped`` (the original with location
    removed while streaming; ``size`` unknown) or ``web`` (the largest JPEG derivative).
    ``fallback`` is what to send instead if a ``stripped`` original turns out not to be strippable.
    """

    photo_id: int
    kind: str
    key: str
    content_type: str
    size: int | None
    filename: str
    etag: str
    fallback: DownloadItem | None = None


@dataclass(frozen=True)
class CaptionRow:
    filename: str
    caption: str
    credit: str
    taken_at: str
    taken_at_text: str = ""


# ---------------------------------------------------------------------------------------------
# Names


def _clip_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore")


def safe_filename(name: str | None, *, content_type: str, fallback_stem: str) -> str:
    """A file name that is safe on every desktop OS and inside a ZIP, with the right extension.

    NFC-normalised; no directories, control or format characters (bidi overrides included),
    no characters Windows forbids, no leading dots or dashes, no reserved device names; the
    extension matches ``content_type`` (an existing matching one is kept as written).
    """
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        " " if unicodedata.category(ch)[0] == "Z" else ch for ch in text if unicodedata.category(ch)[0] != "C"
    )
    text = _UNSAFE_CHARS.sub("_", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    allowed = extensions(content_type) or ("bin",)
    stem, dot, ext = text.rpartition(".")
    if dot and ext.lower() in allowed:
        extension = ext
    else:
        extension = allowed[0]
        if dot and ext.lower() in _IMAGE_EXTENSIONS:
            text = stem
        stem = text
    stem = stem.strip(" .")
    while stem and stem[0] in _FORMULA_START:
        stem = "_" + stem[1:]
    if not stem:
        stem = fallback_stem
    if stem.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        stem = "_" + stem
    stem = _clip_utf8(stem, STEM_MAX_BYTES).rstrip(" .") or fallback_stem
    return f"{stem}.{extension}"


def dedupe(names: Iterable[str], *, reserved: Iterable[str] = ()) -> list[str]:
    """Make names unique (case-insensitively, as on Windows and macOS) with " (2)" suffixes."""
    taken = {n.casefold() for n in reserved}
    out: list[str] = []
    for name in names:
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate = name
        n = 2
        while candidate.casefold() in taken:
            candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
            n += 1
        taken.add(candidate.casefold())
        out.append(candidate)
    return out


# ---------------------------------------------------------------------------------------------
# What a download gives


def largest_jpeg(photo: Photo) -> Derivative | None:
    jpegs = [d for d in photo.derivatives if d.format == "jpeg"]
    return max(jpegs, key=lambda d: (d.width * d.height, d.width), default=None)


def _web_item(photo: Photo) -> DownloadItem | None:
    derivative = largest_jpeg(photo)
    if derivative is None:
        return None
    return DownloadItem(
        photo_id=photo.id,
        kind="web",
        key=derivative.key,
        content_type="image/jpeg",
        size=derivative.size,
        filename=safe_filename(photo.original_filename, content_type="image/jpeg", fallback_stem=f"photo-{photo.id}"),
        etag=f"{photo.sha256}-{photo.media_version}-{derivative.width}",
    )


def plan_download(photo: Photo, mode: OriginalDownloads) -> DownloadItem | None:
    """What downloading ``photo`` gives under ``mode``; ``None`` if there is nothing to give.

    A blurred photo (``blur_boxes``) gives its (blurred) web size whatever the album says: its
    original shows what the blur hides."""
    web = _web_item(photo)
    if photo.blur_boxes:
        return web
    if mode == OriginalDownloads.exact:
        return DownloadItem(
            photo_id=photo.id,
            kind="original",
            key=photo.original_key,
            content_type=photo.content_type,
            size=photo.size,
            filename=safe_filename(
                photo.original_filename, content_type=photo.content_type, fallback_stem=f"photo-{photo.id}"
            ),
            etag=photo.sha256,
        )
    if mode == OriginalDownloads.without_location and photo.content_type == "image/jpeg":
        return DownloadItem(
            photo_id=photo.id,
            kind="stripped",
            key=photo.original_key,
            content_type="image/jpeg",
            size=None,
            filename=safe_filename(
                photo.original_filename, content_type="image/jpeg", fallback_stem=f"photo-{photo.id}"
            ),
            etag=f"{photo.sha256}-noloc",
            fallback=web,
        )
    return web


def open_item(storage: Storage, item: DownloadItem) -> tuple[DownloadItem, Iterator[bytes]]:
    """The bytes of ``item`` as chunks, and the item actually sent (a stripped original falls back
    to the web size when its header cannot be rewritten).  Storage errors propagate."""
    if item.kind != "stripped":
        return item, storage.iter_bytes(item.key)
    try:
        return item, strip_location_chunks(storage.iter_bytes(item.key))
    except LocationStripError as exc:
        log.warning("photo %s: cannot strip location (%s); sending the web size", item.photo_id, exc)
        if item.fallback is None:
            raise NotFoundError("this photo has no downloadable version yet") from None
        return item.fallback, storage.iter_bytes(item.fallback.key)


# ---------------------------------------------------------------------------------------------
# One photo (visibility: gallery.catalog.visibility)


def photo_download(session: Session, album_slug: str, photo_id: int, *, viewer: Viewer) -> tuple[Album, DownloadItem]:
    """The download of one photo the album shows, visible to this viewer; ``NotFoundError`` otherwise."""
    album = albums.get_album(session, album_slug)
    photo = photos.get_photo(session, photo_id, viewer=viewer)
    if photo.album_id != album.id or not is_shown(photo):
        raise NotFoundError(f"no photo {photo_id} in album {album_slug!r}")
    item = plan_download(photo, album.original_downloads)
    if item is None:
        raise NotFoundError("this photo has no downloadable version yet")
    return album, item


_SIGNATURE_RE = re.compile(r"^[0-9a-f]{32}$")
_EXPIRY_RE = re.compile(r"^[0-9]{1,12}$")


def download_signature(secret: str, item: DownloadItem, expires: int) -> str:
    """The signature of the expiring download URL of ``item`` (photo, kind and stored key), the
    same HMAC as the media URLs' (:func:`gallery.catalog.media_access.media_signature`)."""
    return media_signature(secret, f"download\n{item.photo_id}\n{item.kind}\n{item.key}", expires)


def signed_download(
    session: Session, photo_id: int, kind: str, *, expires: str | None, signature: str | None, clock: MediaClock
) -> DownloadItem:
    """The download an expiring signed URL opens (an unlisted or private album's original): 403 when
    the signature is missing, malformed, wrong or expired; 404 when the photo is gone, hidden, or its
    album no longer gives this kind of download."""
    if not (signature and expires and _SIGNATURE_RE.match(signature) and _EXPIRY_RE.match(expires)):
        raise PermissionDenied("this download link is not signed")
    if int(expires) < clock.now:
        raise PermissionDenied("this download link has expired; open the photo again for a new one")
    photo = session.get(Photo, photo_id) if 0 < photo_id < 2**31 else None
    if photo is None or not is_shown(photo):
        raise NotFoundError(f"no photo {photo_id}")
    item = plan_download(photo, photo.album.original_downloads)
    if item is None or item.kind != kind:
        raise NotFoundError("this download is no longer offered")
    if not hmac.compare_digest(download_signature(clock.secret, item, int(expires)), signature):
        raise PermissionDenied("this download link is not valid")
    return item


# ---------------------------------------------------------------------------------------------
# The album ZIP


def csv_cell(value: str) -> str:
    """A CSV cell that spreadsheet programs will not run as a formula (CSV injection)."""
    value = value.replace("\x00", "")
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def captions_csv(rows: Iterable[CaptionRow]) -> bytes:
    """``captions.csv``: UTF-8 with a byte-order mark (so Excel reads it as UTF-8), CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CAPTIONS_HEADER)
    for row in rows:
        values = (row.filename, row.caption, row.credit, row.taken_at, row.taken_at_text)
        writer.writerow([csv_cell(v) for v in values])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _taken_at(photo: Photo, zone: tzinfo, locale: str) -> tuple[str, str]:
    """The capture time as the API reports it (``taken_at_local``), and as people read it."""
    local = reported_local_time(photo, zone)
    if local is None:
        return "", ""
    return local.isoformat(), formatting.moment(local, locale)


@dataclass
class AlbumArchive:
    """A ZIP ready to stream: iterate ``chunks``; ``size`` is the exact length when known."""

    filename: str
    public: bool
    size: int | None
    entries: list[DownloadItem]
    stream: ZipStream

    @property
    def chunks(self) -> Iterator[bytes]:
        return iter(self.stream)


def _entry_chunks(storage: Storage, item: DownloadItem, opened: Iterator[bytes] | None = None) -> Iterator[bytes]:
    """The entry's bytes; a generator, so the stored object is opened only when zipstream
    reaches this entry (unless it was ``opened`` already), and released when the entry is done
    or the download is abandoned.  A storage error ends the download: the server then closes
    the connection, so the client sees an incomplete body (short against Content-Length, or a
    chunked stream without its last chunk), never a complete-looking ZIP."""
    chunks = opened if opened is not None else open_item(storage, item)[1]
    try:
        yield from chunks
    except StorageError as exc:
        log.error(
            "album ZIP broken at photo %s (%s): %s; the client gets an incomplete download",
            item.photo_id,
            item.key,
            exc,
        )
        raise
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def album_archive(
    session: Session,
    storage: Storage,
    album_slug: str,
    *,
    viewer: Viewer,
    open_first: bool = True,
    locale: str = formatting.DEFAULT_LOCALE,
) -> AlbumArchive:
    """The album's ready photos as a stored (uncompressed) ZIP, plus ``captions.csv``.

    Sized (exact ``Content-Length``) unless some entry's size is only known after streaming
    (originals stripped of their location).  With ``open_first`` (a GET, not a HEAD) the first
    stored object is opened here, before any header is sent, so a store that is down gives a
    StorageError (503), not a 200 that breaks off after the first bytes.  ``captions.csv`` writes
    capture times for people in ``locale``."""
    album = visible_album(session, album_slug, viewer)
    mode = album.original_downloads
    items: list[DownloadItem] = []
    captions: list[tuple[Photo, DownloadItem]] = []
    for photo in photos.list_photos(session, album, include_unready=False):
        item = plan_download(photo, mode)
        if item is None:
            continue
        items.append(item)
        captions.append((photo, item))
    names = dedupe((item.filename for item in items), reserved=[CAPTIONS_NAME])
    zone = event_zone(album.event)
    rows = [
        CaptionRow(name, photo.caption, photo.credit, *_taken_at(photo, zone, locale))
        for name, (photo, _item) in zip(names, captions, strict=True)
    ]
    sized = all(item.size is not None for item in items)
    stream = ZipStream(sized=sized)
    first = open_item(storage, items[0])[1] if items and open_first else None
    for i, (name, item) in enumerate(zip(names, items, strict=True)):
        stream.add(_entry_chunks(storage, item, first if i == 0 else None), name, size=item.size)
    stream.add(captions_csv(rows), CAPTIONS_NAME)
    return AlbumArchive(
        filename=f"{album.slug}.zip",
        public=is_public(album),
        size=len(stream) if sized else None,
        entries=[replace(item, filename=name) for name, item in zip(names, items, strict=True)],
        stream=stream,
    )
