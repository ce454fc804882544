"""Absolute URLs of this site, built in one place.

They come from ``GALLERY_BASE_URL`` and never from the request's ``Host`` header (which an
attacker chooses, and which would end up in cached sitemaps, feeds, oEmbed answers and
``og:url``).  Only when no base URL is configured (development and testing; production
refuses to start without one) does the request's own address stand in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import has_request_context, request, url_for

from gallery.http import context


def site_url() -> str:
    """The site's root URL, without a trailing slash (e.g. ``https://photos.example.org``)."""
    base_url = context.settings().base_url
    if base_url:
        return base_url
    return str(request.url_root).rstrip("/")


def absolute(url: str) -> str:
    """The absolute URL of a URL of this site as ``url_for`` gives it (or a path from the site
    root).  An already absolute URL (a CDN's, say) is returned as it is."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return url
    root = request.script_root if has_request_context() else ""
    if root and (url == root or url.startswith(root + "/")):
        url = url[len(root) :]
    return site_url() + "/" + url.lstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL on the site (None values left out)."""
    return absolute(url_for(endpoint, **{k: v for k, v in values.items() if v is not None}))


def site_path(url: str) -> str | None:
    """The path of ``url`` from the site root when it is a URL of this site (http or https,
    same host and port, under the base URL's path), else None."""
    parts = urlsplit(url)
    site = urlsplit(site_url())
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != site.netloc.lower():
        return None
    prefix, path = site.path.rstrip("/"), parts.path or "/"
    if prefix:
        if path != prefix and not path.startswith(prefix + "/"):
            return None
        path = path[len(prefix) :] or "/"
    return path
