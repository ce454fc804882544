"""``/feed.atom`` (new reports and albums) and ``/sitemap.xml`` (public pages).

Both list only what an anonymous visitor may see (see :mod:`gallery.reports.feeds`), whoever
asks, so they can be cached publicly.  XML is built with ``xml.etree`` (text is escaped by the
serializer; characters XML 1.0 cannot carry are removed first)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from flask import Response, current_app, request, url_for
from flask_babel import gettext as _

from gallery.http import context, urls
from gallery.http.formatting import ngettext
from gallery.reports import feeds
from gallery.web.blueprint import bp

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
FEED_ID_DATE = "2024-01-01"
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def xml_text(value: str) -> str:
    return _XML_INVALID.sub("", value or "")


def absolute(path: str) -> str:
    """An absolute URL on this site for an absolute path (non-ASCII percent-encoded)."""
    return urls.absolute(quote(path, safe="/?&=%:@-._~"))


def _tag_authority() -> str:
    """The host name for tag: URIs (RFC 4151), without the port."""
    return (urlsplit(urls.site_url()).hostname or "localhost").lower()


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def render_atom(entries: list[feeds.FeedEntry]) -> bytes:
    authority = _tag_authority()
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(root, "title", _("Gallery: event reports and photo albums"))
    _sub(root, "subtitle", _("New event reports and photo albums"))
    _sub(root, "id", f"tag:{authority},{FEED_ID_DATE}:feed")
    updated = max((e.updated for e in entries), default=_EPOCH)
    _sub(root, "updated", _timestamp(updated))
    _sub(root, "link", rel="self", type="application/atom+xml", href=absolute(url_for("web.feed")))
    _sub(root, "link", rel="alternate", type="text/html", href=absolute("/"))
    author = _sub(root, "author")
    _sub(author, "name", "Gallery")
    _sub(root, "generator", "Gallery")
    for entry in entries:
        item = _sub(root, "entry")
        _sub(item, "title", entry.title, type="text")
        _sub(item, "id", f"tag:{authority},{entry.created.date().isoformat()}:{entry.kind}/{entry.key}")
        _sub(item, "link", rel="alternate", type="text/html", href=absolute(entry.path))
        _sub(item, "published", _timestamp(entry.published))
        _sub(item, "updated", _timestamp(entry.updated))
        if entry.kind == "album":
            label = _("Photo album")
            count = entry.photo_count or 0
            summary = ngettext("%(num)d photo", "%(num)d photos", count) + " · " + entry.event_title
            if entry.summary:
                summary += " — " + entry.summary
        else:
            label = _("Event report")
            summary = entry.summary or entry.event_title
        _sub(item, "category", term=entry.kind, label=label)
        _sub(item, "summary", summary, type="text")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def render_sitemap(result: feeds.Sitemap) -> bytes:
    if result.kind == "index":
        root = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
        for url in result.urls:
            _sub(_sub(root, "sitemap"), "loc", absolute(url.path))
    else:
        root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
        for url in result.urls:
            node = _sub(root, "url")
            _sub(node, "loc", absolute(url.path))
            if url.lastmod is not None:
                _sub(node, "lastmod", url.lastmod.isoformat())
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _cacheable(body: bytes, mimetype: str, max_age: int) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.add_etag()
    response.make_conditional(request)
    return response


@bp.get("/feed.atom")
def feed() -> Response:
    response = _cacheable(render_atom(feeds.feed_entries(context.db_session())), "application/atom+xml", 300)
    response.vary.update(("Accept-Language", "Cookie"))  # titles and summaries are translated
    return response


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    result = feeds.sitemap(
        context.db_session(),
        part=request.args.get("part"),
        start=request.args.get("from"),
        max_urls=int(current_app.config.get("SITEMAP_MAX_URLS", feeds.SITEMAP_MAX_URLS)),
    )
    return _cacheable(render_sitemap(result), "application/xml", 3600)
