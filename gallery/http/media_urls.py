"""The URLs of derivatives, built in one place.

Each URL carries the viewer's right to it, as :func:`gallery.catalog.media_access.media_right` says
for the photo's album and the viewer: a public album's URLs are plain and immutable, and point at
the CDN or public bucket when ``GALLERY_PUBLIC_MEDIA_URL`` is set (the store builds them); the
others point at the ``web.derivative`` route, which checks the visibility rule, and an unlisted
album's carry the signature of its share link (``?sig=``) for viewers who came with it or may
share it."""

from __future__ import annotations

from typing import Protocol

from flask import url_for

from gallery.catalog.media_access import MediaRight
from gallery.http import context


class Keyed(Protocol):
    """Anything with a storage key, such as a :class:`gallery.models.Derivative`."""

    @property
    def key(self) -> str: ...


class _Key:
    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key


def derivative_url(derivative: Keyed, right: MediaRight) -> str:
    """The URL a browser loads the derivative from, carrying ``right``."""
    if right.public and context.settings().public_media_url:
        url = context.storage().url(derivative.key, public=True)
        if url:
            return str(url)
    sha, name = derivative.key.split("/")[1:3]
    return url_for("web.derivative", sha256=sha, name=name) + right.query(derivative.key)


class DerivativeUrls:
    """Derivative URLs for many photos at once.

    Same result as :func:`derivative_url`; when the URLs go through Gallery the Flask route's
    prefix is worked out once instead of calling ``url_for`` for each of the ~1,200 derivatives
    of a 200-photo page."""

    def __init__(self, right: MediaRight) -> None:
        self.right = right
        self._prefix: str | None = None
        if not (right.public and context.settings().public_media_url):
            probe_sha, probe_name = "0" * 64, "1.jpg"
            probe = url_for("web.derivative", sha256=probe_sha, name=probe_name)
            suffix = f"{probe_sha}/{probe_name}"
            if probe.endswith(suffix):
                self._prefix = probe[: -len(suffix)]

    def __call__(self, derivative: Keyed) -> str:
        return self.for_key(derivative.key)

    def for_key(self, key: str) -> str:
        if self._prefix is not None and key.startswith("derivatives/"):
            return self._prefix + key[12:] + self.right.query(key)
        return derivative_url(_Key(key), self.right)
