"""Media URLs, derived from THE visibility rule (:mod:`gallery.catalog.visibility`).

Media URLs carry the viewer's right to an unlisted album without handing out its share token:
each derivative URL of such an album ends in ``?sig=`` -- an HMAC of the derivative's key under
the album's share token (:func:`media_signature`).  It opens that one image only, and stops
working when the editor makes a new share link.  Public albums' URLs carry nothing, so they stay
immutable and cacheable by anyone (and can point at a CDN); private albums' media are served to
the logged-in staff only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.catalog.visibility import Viewer, is_public, photo_filter, shareable_token
from gallery.models import Album, Derivative, Photo, Visibility

#: The query parameter of signed media URLs, and the signature's length in hex digits.
MEDIA_SIGNATURE_PARAM = "sig"
MEDIA_SIGNATURE_CHARS = 32
_SIGNATURE_RE = re.compile(rf"^[0-9a-f]{{{MEDIA_SIGNATURE_CHARS}}}$")


# --- media URLs -----------------------------------------------------------------------------------------


def media_signature(share_token: str, key: str) -> str:
    """What a media URL of an unlisted album carries instead of its share token: an HMAC of the
    derivative's storage key under the token (opens that image only; a new share link voids it)."""
    digest = hmac.new(share_token.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:MEDIA_SIGNATURE_CHARS]


@dataclass(frozen=True)
class MediaRight:
    """How the derivative URLs of one album, made for one viewer, carry the viewer's right.

    ``public``: anyone may fetch them (public album): plain, immutable URLs, served by a CDN when
    one is configured.  Otherwise the URLs go through Gallery, which checks the rule; with
    ``share_token`` (an unlisted album the viewer opened with its token, or may share) each URL
    is signed with it (:func:`media_signature`)."""

    public: bool = False
    share_token: str | None = None

    def query(self, key: str) -> str:
        """The query string to append to the derivative URL of ``key`` ("" or ``?sig=…``)."""
        if self.share_token is None:
            return ""
        return f"?{MEDIA_SIGNATURE_PARAM}={media_signature(self.share_token, key)}"


PUBLIC_MEDIA = MediaRight(public=True)


def media_right(viewer: Viewer, album: Album) -> MediaRight:
    """The right that the media URLs of ``album`` built for ``viewer`` carry."""
    if is_public(album):
        return PUBLIC_MEDIA
    token = shareable_token(viewer, album)
    return MediaRight(public=False, share_token=album.share_token if token else None)


def media_rights(viewer: Viewer, albums: Iterable[Album]) -> dict[int, MediaRight]:
    """album id → :func:`media_right`, for pages that show photos of several albums."""
    return {album.id: media_right(viewer, album) for album in albums}


def derivative_access(session: Session, viewer: Viewer, key: str, signature: str | None) -> Visibility | None:
    """Whether ``viewer`` may fetch the derivative stored under ``key``, with the ``?sig=`` the URL
    carried: None when no photo using it is visible to them (404), else the most open visibility
    among the albums that show it to them (``public``: anyone may cache it)."""
    if signature and _SIGNATURE_RE.match(signature):
        # The share tokens the signature proves (the rule then decides what each one opens).
        tokens = [
            token
            for token in session.scalars(
                select(Album.share_token)
                .join(Photo, Photo.album_id == Album.id)
                .join(Derivative, Derivative.photo_id == Photo.id)
                .where(Derivative.key == key, Album.share_token.is_not(None))
            )
            if token and hmac.compare_digest(media_signature(token, key), signature)
        ]
        viewer = viewer.with_tokens(tokens)
    found = set(
        session.scalars(
            select(Album.visibility)
            .join(Photo, Photo.album_id == Album.id)
            .join(Derivative, Derivative.photo_id == Photo.id)
            .where(Derivative.key == key, photo_filter(viewer))
            .distinct()
        )
    )
    if not found:
        return None
    return next(v for v in (Visibility.public, Visibility.unlisted, Visibility.private) if v in found)
