"""The URLs of derivatives, built in one place.

Each URL carries the viewer's right to it, as :func:`gallery.catalog.media_access.media_right` says
for the photo's album and the viewer: a public album's URLs are plain and immutable, and point at
the CDN or public bucket when ``GALLERY_PUBLIC_MEDIA_URL`` is set (the store builds them); the
others point at the ``web.derivative`` route, which checks the visibility rule, and an unlisted
album's and a private album's carry an expiring signature (``?exp=…&sig=…``, see
:mod:`gallery.catalog.media_access`) for viewers the rule lets see them."""

from __future__ import annotations

import time
from typing import Protocol

from flask import has_request_context, url_for

from gallery.catalog.media_access import MediaClock, MediaRight
from gallery.http import context, urls
from gallery.photos.versions import NO_PURGE, CdnPurge


class Keyed(Protocol):
    """Anything with a storage key, such as a :class:`gallery.models.Derivative`."""

    @property
    def key(self) -> str: ...


class _Key:
    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key


def media_clock() -> MediaClock:
    """The secret key, ``GALLERY_PRIVATE_MEDIA_TTL`` and the time now, for signing and checking."""
    settings = context.settings()
    return MediaClock(secret=settings.secret_key, ttl=settings.private_media_ttl, now=time.time())


def derivative_url(derivative: Keyed, right: MediaRight, clock: MediaClock | None = None) -> str:
    """The URL a browser loads the derivative from, carrying ``right``."""
    if right.public and context.settings().public_media_url:
        url = context.storage().url(derivative.key, public=True)
        if url:
            return str(url)
    sha, version, name = derivative.key.split("/")[1:4]
    url = url_for("web.derivative", sha256=sha, version=version, name=name)
    return url + right.query(derivative.key, clock or media_clock())


class DerivativeUrls:
    """Derivative URLs for many photos at once.

    Same result as :func:`derivative_url`; when the URLs go through Gallery the Flask route's
    prefix is worked out once instead of calling ``url_for`` for each of the ~1,200 derivatives
    of a 200-photo page."""

    def __init__(self, right: MediaRight) -> None:
        self.right = right
        self.clock = media_clock()  # one expiry for the whole page
        self._prefix: str | None = None
        if not (right.public and context.settings().public_media_url):
            probe_sha, probe_version, probe_name = "0" * 64, "0" * 16, "1.jpg"
            probe = url_for("web.derivative", sha256=probe_sha, version=probe_version, name=probe_name)
            suffix = f"{probe_sha}/{probe_version}/{probe_name}"
            if probe.endswith(suffix):
                self._prefix = probe[: -len(suffix)]

    def __call__(self, derivative: Keyed) -> str:
        return self.for_key(derivative.key)

    def for_key(self, key: str) -> str:
        if self._prefix is not None and key.startswith("derivatives/"):
            return self._prefix + key[12:] + self.right.query(key, self.clock)
        return derivative_url(_Key(key), self.right, self.clock)


def cdn_purge() -> CdnPurge:
    """Where retired media URLs are purged (``GALLERY_CDN_PURGE_URL``; none: a no-op) and the public
    URL prefixes of a derivative key: the app's media route and, with ``GALLERY_PUBLIC_MEDIA_URL``,
    the CDN or public bucket."""
    settings = context.settings()
    endpoint = settings.consent.cdn_purge_url
    if not endpoint:
        return NO_PURGE
    prefixes: list[str] = []
    probe = "derivatives/" + "0" * 64 + "/" + "0" * 16 + "/1.jpg"
    if has_request_context():
        sha, version, name = probe.split("/")[1:4]
        route = urls.absolute(url_for("web.derivative", sha256=sha, version=version, name=name))
        if route.endswith(probe):
            prefixes.append(route[: -len(probe)])
    elif settings.base_url:  # a command or a task: the media route under the base URL
        prefixes.append(settings.base_url.rstrip("/") + "/media/")
    if settings.public_media_url:
        public = context.storage().url(probe, public=True)
        if public and public.endswith(probe):
            prefixes.append(public[: -len(probe)])
    return CdnPurge(endpoint, tuple(prefixes))
