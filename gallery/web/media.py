"""Derivative delivery (URLs built by :mod:`gallery.http.media_urls`).

With ``GALLERY_PUBLIC_MEDIA_URL`` a public album's URLs point at a CDN or public bucket and Flask
is not in the path at all; otherwise Flask streams them from the store with year-long immutable
caching.  The path carries the photo's media version (``/media/derivatives/<sha256>/<version>/<name>``,
:mod:`gallery.photos.versions`): hiding, blurring, restoring a photo or making its album non-public
gives it a new one, and the old URLs answer 404.  A derivative is served only while some photo
using it is visible to the viewer (:func:`gallery.catalog.media_access.derivative_access`): a public
album's to everyone, an unlisted one's to those whose URL carries the signature of its share link
(``?sig=``), a private one's to staff (and their own uploads to photographers).  Only public ones
may be cached by shared caches."""

from __future__ import annotations

import re

from flask import Response, abort, request, send_file, stream_with_context

from gallery.catalog.media_access import MEDIA_EXPIRY_PARAM, MEDIA_SIGNATURE_PARAM, derivative_access
from gallery.http import context
from gallery.http.media_urls import media_clock
from gallery.models import Visibility
from gallery.storage import NotFound
from gallery.web.blueprint import bp

IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE_NO_STORE = "private, no-store"
_NAME_RE = re.compile(r"^(\d{1,5})\.(jpg|webp)$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_VERSION_RE = re.compile(r"^[0-9a-f]{8,32}$")


@bp.route("/media/derivatives/<sha256>/<version>/<name>")
def derivative(sha256: str, version: str, name: str) -> Response:
    if not _SHA_RE.match(sha256) or not _VERSION_RE.match(version) or not _NAME_RE.match(name):
        abort(404)
    key = f"derivatives/{sha256}/{version}/{name}"
    expires, signature = request.args.get(MEDIA_EXPIRY_PARAM), request.args.get(MEDIA_SIGNATURE_PARAM)
    seen_as = derivative_access(context.db_session(), key, expires, signature, media_clock())
    if seen_as is None:
        abort(404)
    storage = context.storage()
    mimetype = "image/jpeg" if name.endswith(".jpg") else "image/webp"
    try:
        local = storage.local_path(key)
        if local is not None:
            response = send_file(
                local, mimetype=mimetype, conditional=True, etag=sha256 + version + name, max_age=31536000
            )
        else:
            info = storage.stat(key)
            chunks = storage.iter_bytes(key)
            response = Response(stream_with_context(chunks), mimetype=mimetype)
            response.content_length = info.size
            response.set_etag(sha256 + version + name)
    except NotFound:
        abort(404)
    # Only a public album's media may be kept by caches (CDN, proxies); the rest answer an
    # expiring signed URL and are kept by no one.
    response.headers["Cache-Control"] = IMMUTABLE if seen_as == Visibility.public else PRIVATE_NO_STORE
    if seen_as != Visibility.public:
        response.headers.pop("Expires", None)
    return response
