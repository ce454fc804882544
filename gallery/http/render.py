"""Helpers shared by the visitors' pages: conditional responses, image sets
(``srcset`` over every derivative), sharing tags and localised dates."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import current_app, make_response, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from gallery.catalog.media_access import MediaRight
from gallery.core import formatting as core_formatting
from gallery.core.formatting import utc_offset_label
from gallery.http import formatting
from gallery.http.formatting import locale_name
from gallery.http.media_urls import DerivativeUrls
from gallery.http.urls import absolute
from gallery.models import Event, Photo
from gallery.photos.capture import event_zone, page_time

OG_IMAGE_EDGE = 1024
GRID_ROW_PX = 220  # keep in step with --row in gallery.css (desktop)
GRID_ROW_SMALL_PX = 130  # and on narrow screens


# --- responses ------------------------------------------------------------------------------------


def page_response(body: str, status: int = 200) -> Response:
    """A page that browsers and proxies may keep but must revalidate: weak ETag over
    the body, 304 for a matching ``If-None-Match``."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Cookie", "Accept-Language"))
    if status == 200:
        response.add_etag(weak=True)
        response.make_conditional(request)
    return response


# --- image sets ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Rendition:
    url: str
    width: int
    height: int


@dataclass(slots=True)
class ImageSet:
    """Everything a ``<picture>`` needs for one photo."""

    jpeg_srcset: str
    webp_srcset: str
    src: Rendition  # the <img src> fallback (and its width/height attributes)
    largest: Rendition  # largest JPEG: the lightbox's image
    share: Rendition  # the ~1024 px JPEG for og:image
    aspect_class: str  # "rN": flex-grow in proportion to the aspect ratio (no-JS grid)
    sizes: str  # ``sizes`` for a grid tile: its width at the row height


def _width(rendition: tuple[str, int, int]) -> int:
    return rendition[1]


def derivative_tuples(photo: Photo) -> list[tuple[int, int, str, str]]:
    """(width, height, format, key) of an ORM photo's derivatives, as :func:`image_set` takes them."""
    return [(d.width, d.height, d.format, d.key) for d in photo.derivatives]


def image_set(
    derivatives: Iterable[tuple[int, int, str, str]], urls: DerivativeUrls, *, fallback_edge: int = 400
) -> ImageSet | None:
    """Srcsets over every derivative width; ``None`` without a JPEG derivative."""
    jpeg: list[tuple[str, int, int]] = []
    webp: list[tuple[str, int, int]] = []
    for width, height, fmt, key in derivatives:
        if fmt == "jpeg":
            jpeg.append((urls.for_key(key), width, height))
        elif fmt == "webp":
            webp.append((urls.for_key(key), width, height))
    if not jpeg:
        return None
    # Rows usually come ordered by (format, width) already.
    jpeg.sort(key=_width)
    webp.sort(key=_width)
    src = next((r for r in jpeg if max(r[1], r[2]) >= fallback_edge), jpeg[-1])
    share = next((r for r in reversed(jpeg) if max(r[1], r[2]) <= OG_IMAGE_EDGE), jpeg[0])
    ratio = src[1] / max(1, src[2])
    # Justified rows grow a little past the target row height: ask for ~25% more.
    sizes = f"(max-width: 40em) {round(GRID_ROW_SMALL_PX * ratio * 1.25)}px, {round(GRID_ROW_PX * ratio * 1.25)}px"
    return ImageSet(
        jpeg_srcset=", ".join([f"{url} {width}w" for url, width, _ in jpeg]),
        webp_srcset=", ".join([f"{url} {width}w" for url, width, _ in webp]),
        src=Rendition(*src),
        largest=Rendition(*jpeg[-1]),
        share=Rendition(*share),
        aspect_class=f"r{min(30, max(3, round(ratio * 10)))}",
        sizes=sizes,
    )


def image_sets(photos: Iterable[Any], rights: Mapping[int, MediaRight], **kwargs: Any) -> dict[int, ImageSet]:
    """Image sets of page photos (:class:`gallery.photos.pages.PhotoCard`), by photo id; ``rights``
    maps the id of each photo's album to the viewer's right to its media
    (:func:`gallery.catalog.media_access.media_rights`)."""
    urls: dict[MediaRight, DerivativeUrls] = {}
    result: dict[int, ImageSet] = {}
    for photo in photos:
        right = rights[photo.album_id]
        if right not in urls:
            urls[right] = DerivativeUrls(right)
        found = image_set(photo.derivatives, urls[right], **kwargs)
        if found is not None:
            result[photo.id] = found
    return result


# --- text for photos --------------------------------------------------------------------------


def photo_alt(photo: Any, number: int, album_title: str) -> str:
    """Alt text: the editor's alt text, else the caption, else "Photo N of album X"."""
    if photo.alt_text.strip():
        return photo.alt_text.strip()
    if photo.caption.strip():
        return photo.caption.strip()
    return _("Photo %(number)s of album %(album)s", number=number, album=album_title)


def photo_heading(photo: Any, number: int, album_title: str) -> str:
    """A photo page's heading and title: the photo's title, else the first line of its caption,
    else "Photo N of album X"."""
    first_line = photo.caption.strip().split("\n", 1)[0].strip()[:120]
    return (
        photo.title.strip() or first_line or _("Photo %(number)s of album %(album)s", number=number, album=album_title)
    )


def credit_labels() -> Callable[[str], str]:
    """``credit → "Photo: credit"``, translated once per distinct credit (a page repeats them)."""
    return functools.lru_cache(maxsize=256)(lambda credit: _("Photo: %(credit)s", credit=credit))


# --- dates ----------------------------------------------------------------------------------------
# The formats themselves live once, in gallery.core.formatting; gallery.http.formatting binds them
# to the visitor's locale.


def day_label(day: date) -> str:
    return formatting.day(day)


def event_dates(event: Event) -> str:
    return formatting.date_range(event.starts_on, event.ends_on)


@dataclass(frozen=True)
class CaptureTime:
    iso: str  # for <time datetime>
    text: str  # "7 maja 2024, 09:31 (UTC+02:00)"


def capture_time(photo: Photo, event: Event, *, seconds: bool = False) -> CaptureTime | None:
    """The capture time as pages show it (the zone is chosen by :func:`gallery.photos.capture.page_time`):
    on the event's clock with its UTC offset, and the camera's own offset after it when that differs,
    "7 May 2024, 11:46 (UTC+02:00; camera UTC+05:45)"."""
    shown = page_time(photo, event_zone(event))
    if shown is None:
        return None
    local = shown.local
    text = core_formatting.moment(local, locale_name(), seconds=seconds, with_zone=False)
    offsets = utc_offset_label(local.utcoffset())
    if shown.camera_offset is not None:
        offsets = _("%(zone)s; camera %(camera)s", zone=offsets, camera=utc_offset_label(shown.camera_offset))
    return CaptureTime(iso=local.isoformat(), text=f"{text} ({offsets})")


def _number(value: float) -> str:
    return formatting.number(value)


def camera_summary(photo: Photo) -> list[str]:
    """Make/model, lens, focal length, f-number, exposure, ISO; never the serial number
    or anything about the place."""
    parts: list[str] = []
    make = (photo.camera_make or "").strip()
    model = (photo.camera_model or "").strip()
    if model:
        first_word = make.split(" ")[0].lower() if make else ""
        parts.append(model if not make or (first_word and model.lower().startswith(first_word)) else f"{make} {model}")
    elif make:
        parts.append(make)
    if photo.lens and photo.lens.strip():
        parts.append(photo.lens.strip())
    if photo.focal_length_mm:
        parts.append(f"{_number(photo.focal_length_mm)} mm")
    if photo.aperture:
        parts.append(f"f/{_number(photo.aperture)}")
    if photo.exposure_time and photo.exposure_time.strip():
        parts.append(f"{photo.exposure_time.strip()} s")
    if photo.iso:
        parts.append(f"ISO {photo.iso}")
    return parts


# --- sharing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sharing:
    """OpenGraph and Twitter card tags (``None`` fields are left out)."""

    title: str
    description: str
    url: str
    type: str = "website"
    image: Rendition | None = None
    image_alt: str = ""

    def tags(self) -> list[tuple[str, str, str]]:
        """(attribute, name, content) triples for <meta> elements."""
        description = " ".join(self.description.split())
        if len(description) > 300:
            description = description[:299].rsplit(" ", 1)[0] + "…"
        tags = [
            ("property", "og:type", self.type),
            ("property", "og:site_name", "Gallery"),
            ("property", "og:title", self.title),
            ("property", "og:url", self.url),
            ("property", "og:locale", {"pl": "pl_PL", "en": "en_GB"}.get(locale_name(), "en_GB")),
        ]
        if description:
            tags.append(("property", "og:description", description))
        if self.image is not None:
            tags += [
                ("property", "og:image", absolute(self.image.url)),
                ("property", "og:image:type", "image/jpeg"),
                ("property", "og:image:width", str(self.image.width)),
                ("property", "og:image:height", str(self.image.height)),
            ]
            if self.image_alt:
                tags.append(("property", "og:image:alt", self.image_alt))
        tags += [
            ("name", "twitter:card", "summary_large_image" if self.image is not None else "summary"),
            ("name", "twitter:title", self.title),
        ]
        if description:
            tags.append(("name", "twitter:description", description))
        if self.image is not None:
            tags.append(("name", "twitter:image", absolute(self.image.url)))
            if self.image_alt:
                tags.append(("name", "twitter:image:alt", self.image_alt))
        return tags


def route_exists(path_pattern: str) -> str | None:
    """The endpoint serving a URL rule such as ``/albums/<album>/download.zip`` (converters
    and variable names ignored), or None; lets pages link to routes that other parts of
    Gallery add."""
    wanted = re.sub(r"<[^>]+>", "<>", path_pattern)
    for rule in current_app.url_map.iter_rules():
        if re.sub(r"<[^>]+>", "<>", rule.rule) == wanted:
            return rule.endpoint
    return None


# Where the download of one photo's original may live (the download feature adds one of them).
ORIGINAL_ROUTES = (
    "/albums/<album>/photos/<id>/original",
    "/albums/<album>/photos/<id>/download",
    "/photos/<id>/original",
    "/photos/<id>/download",
)


def download_links(album_slug: str, photo_id: int | None, token: str | None) -> dict[str, str]:
    """URLs of the album ZIP and of the photo's original download, for the routes that exist."""
    links: dict[str, str] = {}
    query = "?" + urlencode({"token": token}) if token else ""
    if route_exists("/albums/<album>/download.zip"):
        links["zip"] = f"/albums/{album_slug}/download.zip{query}"
    if photo_id is not None:
        for pattern in ORIGINAL_ROUTES:
            if route_exists(pattern):
                links["original"] = pattern.replace("<album>", album_slug).replace("<id>", str(photo_id)) + query
                break
    return links


def template_exists(name: str) -> bool:
    from jinja2 import TemplateNotFound

    try:
        current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return False
    return True
