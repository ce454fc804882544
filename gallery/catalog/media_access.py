"""Media URLs, derived from THE visibility rule (:mod:`gallery.catalog.visibility`).

* A **public** album's media URLs carry nothing: immutable, cacheable by anyone, and they may point
  at a CDN (``GALLERY_PUBLIC_MEDIA_URL``).
* An **unlisted** or **private** album's media URLs are **signed and expire**: ``?exp=<unix
  time>&sig=<hex>``, an HMAC-SHA256 under the app's secret key of the storage key, the expiry and,
  for an unlisted album, its share token -- so a new share link voids the old URLs at once.  They
  are made only for viewers the rule lets see the album (with its share token, or staff), last
  ``GALLERY_PRIVATE_MEDIA_TTL`` seconds, and work for anyone who holds them until then (that is
  what a signed URL is).  A URL opens the one image it was made for.
* The media route answers **404** to a missing, malformed, wrong or expired signature, the same as
  to an unknown key: what a viewer may not fetch does not exist for them.  The logged-in session
  does not count there; the signature does.
* Public artefacts (feed, sitemap, oEmbed JSON) never carry signatures (:meth:`MediaRight.unsigned`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from gallery.catalog.visibility import (
    ANONYMOUS,
    Viewer,
    album_filter,
    can_view_album,
    is_public,
    live_photo_filter,
    photo_filter,
    shareable_token,
)
from gallery.models import Album, Derivative, Photo, Visibility

#: The query parameters of signed media URLs, and the signature's length in hex digits.
MEDIA_SIGNATURE_PARAM = "sig"
MEDIA_EXPIRY_PARAM = "exp"
MEDIA_SIGNATURE_CHARS = 32
_SIGNATURE_RE = re.compile(rf"^[0-9a-f]{{{MEDIA_SIGNATURE_CHARS}}}$")
_EXPIRY_RE = re.compile(r"^[0-9]{1,12}$")


@dataclass(frozen=True)
class MediaClock:
    """The secret key, the lifetime of signed URLs (``GALLERY_PRIVATE_MEDIA_TTL``) and the time now
    (Unix seconds): what signing and checking need, handed in by the views."""

    secret: str
    ttl: int
    now: float

    @property
    def expires(self) -> int:
        """The expiry of URLs signed now: at least ``ttl`` seconds away."""
        return math.ceil(self.now) + self.ttl


def media_signature(secret: str, key: str, expires: int, share_token: str | None = None) -> str:
    """The signature of the media URL of ``key`` until ``expires``; bound to ``share_token`` for an
    unlisted album (a new share link voids it)."""
    message = f"{key}\n{expires}\n{share_token or ''}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()[:MEDIA_SIGNATURE_CHARS]


@dataclass(frozen=True)
class MediaRight:
    """How the media URLs of one album, made for one viewer, carry the viewer's right.

    ``public``: anyone may fetch them (public album): plain, immutable URLs, served by a CDN when
    one is configured.  ``signed``: expiring signed URLs (bound to ``share_token`` for an unlisted
    album).  Neither: plain URLs that the media route refuses (viewers who may not see the album)."""

    public: bool = False
    signed: bool = False
    share_token: str | None = None

    def query(self, key: str, clock: MediaClock) -> str:
        """The query string to append to the media URL of ``key`` ("" or ``?exp=…&sig=…``)."""
        if self.public or not self.signed:
            return ""
        expires = clock.expires
        signature = media_signature(clock.secret, key, expires, self.share_token)
        return f"?{MEDIA_EXPIRY_PARAM}={expires}&{MEDIA_SIGNATURE_PARAM}={signature}"

    def unsigned(self) -> MediaRight:
        """The same right without signatures, for public artefacts (feed, sitemap, oEmbed JSON)."""
        return replace(self, signed=False, share_token=None)


PUBLIC_MEDIA = MediaRight(public=True)


def media_right(viewer: Viewer, album: Album) -> MediaRight:
    """The right that the media URLs of ``album`` built for ``viewer`` carry: public for a public
    album; signed for those the rule lets see the album -- bound to the share token of an unlisted
    album when the viewer came with it or may share it -- and for the staff who upload (their own
    photos in albums they cannot open); nothing otherwise."""
    if is_public(album):
        return PUBLIC_MEDIA
    token = shareable_token(viewer, album)
    if token:
        return MediaRight(signed=True, share_token=album.share_token)
    if can_view_album(album, viewer) or viewer.sees_unready:
        return MediaRight(signed=True)
    return MediaRight()


def photo_media_right(viewer: Viewer, photo: Photo) -> MediaRight:
    """:func:`media_right` for one photo: a hidden photo (seen by editors only) is never served by
    a public, cacheable URL, whatever its album -- its web sizes go through signed URLs."""
    right = media_right(viewer, photo.album)
    if photo.hidden_reason is not None and right.public:
        return MediaRight(signed=True) if viewer.sees_hidden else MediaRight()
    return right


def media_rights(viewer: Viewer, albums: Iterable[Album]) -> dict[int, MediaRight]:
    """album id → :func:`media_right`, for pages that show photos of several albums."""
    return {album.id: media_right(viewer, album) for album in albums}


def _visibilities(session: Session, key: str, where: ColumnElement[bool]) -> set[Visibility]:
    return set(
        session.scalars(
            select(Album.visibility)
            .join(Photo, Photo.album_id == Album.id)
            .join(Derivative, Derivative.photo_id == Photo.id)
            .where(Derivative.key == key, where)
            .distinct()
        )
    )


def derivative_access(
    session: Session, key: str, expires: str | None, signature: str | None, clock: MediaClock
) -> Visibility | None:
    """Whether the derivative stored under ``key`` may be fetched with the ``?exp=&sig=`` the URL
    carried: None (404) when no photo using it is public and the signature is missing, malformed,
    wrong or expired; else ``public`` (anyone may cache it) or the visibility of the album the
    signature opens (answered ``private, no-store``)."""
    if _visibilities(session, key, photo_filter(ANONYMOUS)):
        return Visibility.public
    if not (signature and expires and _SIGNATURE_RE.match(signature) and _EXPIRY_RE.match(expires)):
        return None
    until = int(expires)
    if until < clock.now:
        return None
    if hmac.compare_digest(media_signature(clock.secret, key, until), signature):
        # Signed for a viewer who could see the photo: opens it while the photo is not deleted.
        found = _visibilities(session, key, live_photo_filter())
        if found and not _visibilities(session, key, and_(live_photo_filter(), Photo.hidden_reason.is_(None))):
            return Visibility.private  # hidden: for editors only, never kept by shared caches
        return Visibility.private if Visibility.private in found else next(iter(found), None)
    tokens = session.scalars(
        select(Album.share_token)
        .join(Photo, Photo.album_id == Album.id)
        .join(Derivative, Derivative.photo_id == Photo.id)
        .where(Derivative.key == key, Album.share_token.is_not(None))
    )
    for token in tokens:
        if not token:
            continue
        # Bound to a share token: opens what that token opens, now.
        opened = hmac.compare_digest(media_signature(clock.secret, key, until, token), signature)
        if opened and _visibilities(session, key, and_(live_photo_filter(), album_filter(Viewer(tokens=(token,))))):
            return Visibility.unlisted
    return None
