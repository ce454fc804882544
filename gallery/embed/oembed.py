"""What embeds show and the oEmbed (spec 1.0) answers.

Embeds are public artefacts (:meth:`gallery.catalog.visibility.Viewer.artefact`): only public
albums, and unlisted ones opened with their share token, are embeddable; private albums never
are, whoever asks.  Only ready,
non-deleted photos appear (:func:`gallery.photos.pages.photo_in_album` rules)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter

from gallery.catalog.media_access import MediaRight, media_right
from gallery.catalog.visibility import Viewer, can_view_album, presented_token, shown_photo_filter, visible_album
from gallery.core.errors import GalleryError, NotFoundError
from gallery.http.media_urls import derivative_url
from gallery.http.urls import absolute, external_url, site_path
from gallery.models import Album, Derivative, Photo
from gallery.photos import pages as albums

CACHE_AGE = 3600
DEFAULT_WIDTH = 800  # the album iframe's size when the consumer sets no limits
DEFAULT_HEIGHT = 600
MAX_DIMENSION = 10000
PROVIDER_NAME = "Gallery"
_SIZE_RE = re.compile(r"^[0-9]{1,5}$")


class OEmbedError(GalleryError):
    """An oEmbed request that cannot be answered; ``status`` per the spec (400/401/404/501)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.status = status


def embed_album(session: Session, slug: str, viewer: Viewer) -> Album:
    """The album if it may be embedded for ``viewer`` (a public artefact's: public, or unlisted
    with its share token)."""
    return visible_album(session, slug, viewer)


def embed_photo(session: Session, photo_id: int, viewer: Viewer) -> albums.PhotoContext:
    """A ready, non-deleted photo of an embeddable album, with its place in the album."""
    if not 0 < photo_id < 2**31:
        raise NotFoundError(f"no photo {photo_id}")
    album = session.scalar(
        select(Album)
        .join(Photo, Photo.album_id == Album.id)
        .where(Photo.id == photo_id, shown_photo_filter())
        .options(joinedload(Album.event))
    )
    if album is None:
        raise NotFoundError(f"no photo {photo_id}")
    album = embed_album(session, album.slug, viewer)
    return albums.photo_in_album(session, album, photo_id)


def iframe_html(*, src: str, width: int, height: int, title: str, script_src: str | None) -> str:
    """Embed code that survives WordPress's sandboxing of rich embeds: a plain iframe
    (no style attribute), optionally followed by the host-page resizer script."""
    html = (
        f'<iframe src="{escape(src)}" width="{int(width)}" height="{int(height)}" title="{escape(title)}"'
        f' loading="lazy" frameborder="0" allowfullscreen></iframe>'
    )
    if script_src:
        html += f'<script src="{escape(script_src)}" async></script>'
    return html


def parse_limit(raw: str | None, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    if not _SIZE_RE.fullmatch(raw) or not 0 < int(raw) <= MAX_DIMENSION:
        raise OEmbedError(400, "bad_request", f"{name} must be a whole number of pixels from 1 to {MAX_DIMENSION}")
    return int(raw)


@dataclass(frozen=True)
class OEmbedRequest:
    url: str
    format: str
    maxwidth: int | None
    maxheight: int | None


def parse_request(args: Any) -> OEmbedRequest:
    fmt = args.get("format", "json") or "json"
    if fmt != "json":
        raise OEmbedError(501, "not_implemented", "only format=json is supported")
    url = args.get("url", "")
    if not url:
        raise OEmbedError(400, "bad_request", "the url parameter is required")
    return OEmbedRequest(
        url=url,
        format=fmt,
        maxwidth=parse_limit(args.get("maxwidth"), "maxwidth"),
        maxheight=parse_limit(args.get("maxheight"), "maxheight"),
    )


def _fits(width: int, height: int, maxwidth: int | None, maxheight: int | None) -> bool:
    return (maxwidth is None or width <= maxwidth) and (maxheight is None or height <= maxheight)


@dataclass(frozen=True)
class _Rendition:
    width: int
    height: int
    key: str


def _jpegs(photo: Any) -> list[_Rendition]:
    """JPEG derivatives, smallest first, of an ORM photo or a page's photo card."""
    found: list[_Rendition] = []
    for d in photo.derivatives:
        width, height, fmt, key = d if isinstance(d, tuple) else (d.width, d.height, d.format, d.key)
        if fmt == "jpeg":
            found.append(_Rendition(width, height, key))
    return sorted(found, key=lambda r: (r.width, r.height))


def _thumbnail(photo: Any, maxwidth: int | None, maxheight: int | None, right: MediaRight) -> dict[str, Any]:
    """The smallest JPEG derivative as the thumbnail, when it respects the limits."""
    jpegs = _jpegs(photo) if photo is not None else []
    if not right.public or not jpegs or not _fits(jpegs[0].width, jpegs[0].height, maxwidth, maxheight):
        return {}  # an unlisted album's media URLs are signed, and oEmbed JSON carries no signature
    thumb = jpegs[0]
    return {
        "thumbnail_url": absolute(derivative_url(thumb, right)),
        "thumbnail_width": thumb.width,
        "thumbnail_height": thumb.height,
    }


def _resolve(url: str, adapter: MapAdapter) -> tuple[str, Mapping[str, Any], str | None]:
    parts = urlsplit(url)
    path = site_path(url)
    if path is None:
        raise OEmbedError(404, "not_found", "not a URL of this gallery")
    try:
        endpoint, values = adapter.match(path, method="GET")
    except HTTPException:
        raise OEmbedError(404, "not_found", "not an album or photo URL") from None
    if endpoint not in ("web.album", "web.photo"):
        raise OEmbedError(404, "not_found", "not an album or photo URL")
    tokens = parse_qs(parts.query).get("token", [])
    token = tokens[0] if tokens else None  # checked by the visibility rule
    return endpoint, values, token


MakeRendition = Callable[[Photo, int | None, int | None], Derivative | None]


def oembed(
    session: Session, request_: OEmbedRequest, *, adapter: MapAdapter, make_rendition: MakeRendition | None = None
) -> dict[str, Any]:
    """The oEmbed response for an album (``rich``) or photo (``photo``) URL of this site.
    ``make_rendition(photo, maxwidth, maxheight)`` makes and keeps a photo's JPEG at exactly
    the bound when every stored size is larger (:func:`gallery.photos.rendition.bounded_rendition`)."""
    endpoint, values, token = _resolve(request_.url, adapter)
    album = session.scalar(select(Album).where(Album.slug == values["album"]).options(joinedload(Album.event)))
    if album is None:
        raise OEmbedError(404, "not_found", "no such album")
    viewer = Viewer.artefact(token)
    if not can_view_album(album, viewer):
        # Private albums, and unlisted ones without their share token, are never embeddable.
        raise OEmbedError(401, "unauthorized", "this album cannot be embedded")
    token = presented_token(viewer, album)
    right = media_right(viewer, album)
    maxwidth, maxheight = request_.maxwidth, request_.maxheight
    common: dict[str, Any] = {
        "version": "1.0",
        "provider_name": PROVIDER_NAME,
        "provider_url": external_url("web.home"),
        "cache_age": CACHE_AGE,
    }
    # oEmbed answers are public artefacts: their media URLs never carry signatures (an unlisted
    # album's photo is answered as an iframe, like an album, and without a thumbnail).
    right = right.unsigned()
    if endpoint == "web.photo":
        try:
            ctx = albums.photo_in_album(session, album, int(values["photo_id"]))
        except NotFoundError:
            raise OEmbedError(404, "not_found", "no such photo") from None
        photo = ctx.photo
        fitting = [d for d in _jpegs(photo) if _fits(d.width, d.height, maxwidth, maxheight)]
        if fitting:
            chosen = fitting[-1]
        else:
            # Every stored size is larger than asked: one is made at exactly the bound and kept.
            made = make_rendition(photo, maxwidth, maxheight) if make_rendition is not None else None
            if made is None or not _fits(made.width, made.height, maxwidth, maxheight):
                raise OEmbedError(404, "not_found", "no rendition of this photo fits maxwidth/maxheight")
            chosen = _Rendition(made.width, made.height, made.key)
        if not right.public:
            width = min(DEFAULT_WIDTH, maxwidth or DEFAULT_WIDTH)
            height = min(DEFAULT_HEIGHT, maxheight or DEFAULT_HEIGHT)
            src = external_url("embed.photo", photo_id=photo.id, token=token)
            title = photo.title or photo.caption.split("\n", 1)[0][:200] or album.title
            return {
                **common,
                "type": "rich",
                "title": title,
                "html": iframe_html(
                    src=src,
                    width=width,
                    height=height,
                    title=title,
                    script_src=external_url("static", filename="js/embed.js"),
                ),
                "width": width,
                "height": height,
            }
        result = {
            **common,
            "type": "photo",
            "title": photo.title or photo.caption.split("\n", 1)[0][:200] or album.title,
            "url": absolute(derivative_url(chosen, right)),
            "width": chosen.width,
            "height": chosen.height,
            **_thumbnail(photo, maxwidth, maxheight, right),
        }
        if photo.credit:
            result["author_name"] = photo.credit
        return result
    page = albums.album_page(session, album, page_size=24)
    width = min(DEFAULT_WIDTH, maxwidth or DEFAULT_WIDTH)
    height = min(DEFAULT_HEIGHT, maxheight or DEFAULT_HEIGHT)
    src = external_url("embed.album", album=album.slug, token=token)
    credits = list(dict.fromkeys(item.photo.credit for item in page.photos if item.photo.credit))
    result = {
        **common,
        "type": "rich",
        "title": album.title,
        "html": iframe_html(
            src=src,
            width=width,
            height=height,
            title=album.title,
            script_src=external_url("static", filename="js/embed.js"),
        ),
        "width": width,
        "height": height,
        **_thumbnail(page.cover, maxwidth, maxheight, right),
    }
    if credits:
        result["author_name"] = ", ".join(credits[:3])
    return result
