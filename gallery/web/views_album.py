"""The album grid's tiles, the hot path of the album page.

A page holds up to ``PAGE_SIZE`` tiles of about 1.4 KB each, and a Jinja loop with
two dozen expressions per tile made the tiles cost several times the rest of the
request.  So each tile is one f-string here, every value in it escaped with
markupsafe (the same escaping Jinja's autoescape applies), and the template
(``web/album.html``) places the ready groups.  The markup:

``<li class="tile rN">`` (rN: aspect-ratio class for the no-JS rows) holding a
``<figure>`` with ``<a class="tile-link" id="photo-ID" href=photo page
data-pswp-src/width/height=largest JPEG>`` around a ``<picture>`` (WebP
``<source srcset sizes>`` and JPEG ``<img src srcset sizes width height alt
loading decoding [fetchpriority]>``), then ``<figcaption class="tile-caption">``
with the caption and the credit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from flask import url_for
from markupsafe import Markup, escape

from gallery.catalog.media_access import media_right
from gallery.catalog.visibility import Viewer, is_public, presented_token, shareable
from gallery.http import context
from gallery.http.render import (
    ImageSet,
    Sharing,
    credit_labels,
    event_dates,
    image_sets,
    photo_alt,
)
from gallery.http.urls import external_url
from gallery.models import Album
from gallery.photos.pages import AlbumPage, PagePhoto, PhotoCard, album_credits
from gallery.schedule.grouping import Grouping, Section, by_day
from gallery.web.sessions import session_span

EAGER_TILES = 12  # the first rows load at once; the rest when scrolled near
HIGH_PRIORITY_TILES = 1  # the first photo: the page's largest contentful paint


def _tile(
    item: PagePhoto,
    image: ImageSet | None,
    *,
    index: int,
    album_title: str,
    photo_prefix: str,
    token_query: str,
    credit_label: Callable[[str], str],
    repeat: bool = False,
    alt_text: str | None = None,
) -> str:
    photo = item.photo
    # A photo shown again (under a second parallel session) carries no id: #photo-ID names one tile.
    anchor = "" if repeat else f' id="photo-{photo.id}"'
    alt = escape(alt_text if alt_text is not None else photo_alt(photo, item.number, album_title))
    href = escape(f"{photo_prefix}{photo.id}{token_query}")
    caption = f'<span class="caption">{escape(photo.caption)}</span>' if photo.caption else ""
    credit = f'<span class="credit">{escape(credit_label(photo.credit))}</span>' if photo.credit else ""
    figcaption = f'<figcaption class="tile-caption">{caption}{credit}</figcaption>'
    if image is None:
        return (
            f'<li class="tile r15"><figure><a class="tile-link"{anchor} href="{href}">'
            f'<span class="tile-missing">{alt}</span></a>{figcaption}</figure></li>'
        )
    if index < HIGH_PRIORITY_TILES:
        loading = 'loading="eager" fetchpriority="high"'
    elif index < EAGER_TILES:
        loading = 'loading="eager"'
    else:
        loading = 'loading="lazy"'
    sizes = escape(image.sizes)
    source = (
        f'<source type="image/webp" srcset="{escape(image.webp_srcset)}" sizes="{sizes}">' if image.webp_srcset else ""
    )
    largest = image.largest
    return (
        f'<li class="tile {image.aspect_class}"><figure>'
        f'<a class="tile-link"{anchor} href="{href}" data-pswp-src="{escape(largest.url)}"'
        f' data-pswp-width="{largest.width}" data-pswp-height="{largest.height}">'
        f"<picture>{source}"
        f'<img src="{escape(image.src.url)}" srcset="{escape(image.jpeg_srcset)}" sizes="{sizes}"'
        f' width="{image.src.width}" height="{image.src.height}" alt="{alt}" {loading} decoding="async">'
        f"</picture></a>{figcaption}</figure></li>"
    )


def tile_html(
    card: PhotoCard,
    image: ImageSet,
    *,
    alt_text: str,
    photo_prefix: str,
    token_query: str,
    credit_label: Callable[[str], str],
) -> str:
    """One tile outside the page's grid (a photo uploaded since the page was opened: ``web/live.py``);
    it carries no ``id`` (the grid may hold the same photo after a reload)."""
    return _tile(
        PagePhoto(card, 0),
        image,
        index=HIGH_PRIORITY_TILES,
        album_title="",
        photo_prefix=photo_prefix,
        token_query=token_query,
        credit_label=credit_label,
        repeat=True,
        alt_text=alt_text,
    )


def grid_groups(
    sections: list[Section],
    images: Mapping[int, ImageSet],
    *,
    album_title: str,
    photo_prefix: str,
    token_query: str,
    credit_label: Callable[[str], str],
) -> list[tuple[Section, Markup]]:
    """Each section of the page (a day, a session, ...) with the HTML of its tiles (the ``<li>`` elements)."""
    result: list[tuple[Section, Markup]] = []
    index = 0
    shown: set[int] = set()
    for group in sections:
        tiles: list[str] = []
        for item in group.items:
            tiles.append(
                _tile(
                    item,
                    images.get(item.photo.id),
                    index=index,
                    album_title=album_title,
                    photo_prefix=photo_prefix,
                    token_query=token_query,
                    credit_label=credit_label,
                    repeat=item.photo.id in shown,
                )
            )
            shown.add(item.photo.id)
            index += 1
        result.append((group, Markup("".join(tiles))))
    return result


def album_context(
    album: Album,
    page: AlbumPage,
    *,
    viewer: Viewer,
    sections: list[Section] | None = None,
    grouping: Grouping = Grouping.day,
    has_programme: bool = False,
) -> dict[str, Any]:
    """What ``web/album.html`` needs for one page of ``album`` seen by ``viewer``.  Links within
    the album carry the share token the viewer came with (unlisted albums), media URLs the
    viewer's right to them, and the grouping (``group=session``) the page is shown in;
    ``sections`` are the page's headings (default: its days)."""
    group = grouping.value if grouping is Grouping.session else None
    token = presented_token(viewer, album)
    photos = [item.photo for item in page.photos]
    if page.cover is not None:
        photos.append(page.cover)
    images = image_sets(photos, {album.id: media_right(viewer, album)})
    sharing = None
    if shareable(album):
        cover = images.get(page.cover.id) if page.cover is not None else None
        sharing = Sharing(
            title=album.title,
            description=album.description or f"{album.event.title} · {event_dates(album.event)}",
            url=external_url("web.album", album=album.slug, token=token),
            image=cover.share if cover else None,
            image_alt=photo_alt(page.cover, 1, album.title) if page.cover is not None else "",
        )
    prev_url = (
        url_for("web.album", album=album.slug, before=page.prev_cursor, token=token, group=group)
        if page.prev_cursor
        else None
    )
    next_url = (
        url_for("web.album", album=album.slug, after=page.next_cursor, token=token, group=group)
        if page.next_cursor
        else None
    )
    photo_prefix = url_for("web.photo", album=album.slug, photo_id=0)[:-1]
    token_query = "?" + urlencode({"token": token}) if token else ""
    groups = grid_groups(
        sections if sections is not None else by_day(page),
        images,
        album_title=album.title,
        photo_prefix=photo_prefix,
        token_query=token_query,
        credit_label=credit_labels(),
    )
    return {
        "album": album,
        "event": album.event,
        "page": page,
        "groups": groups,
        "photo_prefix": photo_prefix,
        "token_query": token_query,
        "token": token,
        "sharing": sharing,
        "public": is_public(album),  # search engines may index it
        "prev_url": prev_url,
        "next_url": next_url,
        "grouping": grouping.value,
        "session_span": session_span,
        "has_programme": has_programme,
        "cover_image": images.get(page.cover.id) if page.cover is not None else None,
        "credits": album_credits(context.db_session(), album),
        "group_urls": {
            "day": url_for("web.album", album=album.slug, token=token),
            "session": url_for("web.album", album=album.slug, token=token, group=Grouping.session.value),
        },
    }
