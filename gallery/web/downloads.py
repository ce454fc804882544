"""Download routes: one photo, and the album ZIP.

``GET /albums/<album>/photos/<id>/download`` and ``GET /albums/<album>/download.zip`` follow the
album's ``original_downloads`` setting (see :mod:`gallery.photos.downloads`) and the album
page's visibility rules: unlisted albums need their ``?token=``, private ones answer 404 except
to editors.  Stored files are handed over by the store itself when it can (a presigned S3 URL
with the right ``Content-Disposition``) or with ``send_file`` (ranges, ETag) from a local folder.
"""

from __future__ import annotations

from flask import Response, redirect, request, send_file, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from gallery.catalog.media_access import MEDIA_EXPIRY_PARAM, MEDIA_SIGNATURE_PARAM
from gallery.catalog.visibility import is_public
from gallery.http import context
from gallery.http.formatting import locale_name
from gallery.http.media_urls import media_clock
from gallery.http.viewer import current_viewer
from gallery.photos import downloads
from gallery.storage import Storage, content_disposition
from gallery.web.blueprint import bp

#: How long a presigned download URL stays valid.
PRESIGN_SECONDS = 600
NO_STORE = "private, no-store"
REVALIDATE = "private, no-cache"


def _finish(
    response: WerkzeugResponse, filename: str | None, *, public: bool, cache: str = REVALIDATE
) -> WerkzeugResponse:
    if filename is not None:
        response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = cache
    if not public:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def send_item(
    storage: Storage, item: downloads.DownloadItem, *, public: bool, expires: int = PRESIGN_SECONDS
) -> WerkzeugResponse:
    """Hand one download to the visitor, in the cheapest way the store allows (a presigned URL
    lasts ``expires`` seconds).  Only a public album's downloads may be revalidated from a private
    cache; the others are stored by no one."""
    cache = REVALIDATE if public else NO_STORE
    if item.kind == "stripped":
        sent, chunks = downloads.open_item(storage, item)
        if sent.kind == "stripped":
            # The length is known only once the whole original has been read.
            return _finish(Response(chunks, mimetype=sent.content_type), sent.filename, public=public, cache=cache)
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        item = sent
    url = storage.url(item.key, filename=item.filename, content_type=item.content_type, expires=expires)
    if url:
        # The signed URL names the file itself (response-content-disposition); it expires soon.
        return _finish(redirect(url, 302), None, public=public, cache=NO_STORE)
    local = storage.local_path(item.key)
    if local is not None:
        response = send_file(local, mimetype=item.content_type, conditional=True, etag=item.etag, max_age=None)
    else:
        response = Response(storage.iter_bytes(item.key), mimetype=item.content_type)
        if item.size is not None:
            response.content_length = item.size
        response.set_etag(item.etag)
        response.make_conditional(request)
    return _finish(response, item.filename, public=public, cache=cache)


@bp.get("/albums/<album>/photos/<int:photo_id>/download")
def photo_download(album: str, photo_id: int) -> WerkzeugResponse:
    """A public album's download is sent (or presigned) at once.  An unlisted or private album's
    goes through an expiring URL, ``GALLERY_PRIVATE_MEDIA_TTL`` seconds: a presigned S3 GET of that
    lifetime, or this app's signed ``/media/downloads/…?exp=&sig=`` -- a link that leaks stops
    working, the share token or session cookie it was made with never travel in it."""
    found, item = downloads.photo_download(context.db_session(), album, photo_id, viewer=current_viewer())
    storage = context.storage()
    if is_public(found):
        return send_item(storage, item, public=True)
    clock = media_clock()
    if item.kind != "stripped" and storage.url(item.key, filename=item.filename, expires=clock.ttl):
        return send_item(storage, item, public=False, expires=clock.ttl)
    expires = clock.expires
    signature = downloads.download_signature(clock.secret, item, expires)
    signed = url_for("web.signed_download", photo_id=item.photo_id, kind=item.kind)
    signed += f"?{MEDIA_EXPIRY_PARAM}={expires}&{MEDIA_SIGNATURE_PARAM}={signature}"
    return _finish(redirect(signed, 302), None, public=False, cache=NO_STORE)


@bp.get("/media/downloads/<int:photo_id>/<kind>")
def signed_download(photo_id: int, kind: str) -> WerkzeugResponse:
    """The expiring signed download of an unlisted or private album's photo: 403 without a valid,
    unexpired signature; ``Cache-Control: private, no-store``."""
    clock = media_clock()
    item = downloads.signed_download(
        context.db_session(),
        photo_id,
        kind,
        expires=request.args.get(MEDIA_EXPIRY_PARAM),
        signature=request.args.get(MEDIA_SIGNATURE_PARAM),
        clock=clock,
    )
    return send_item(context.storage(), item, public=False, expires=clock.ttl)


@bp.get("/albums/<album>/download.zip")
def album_zip(album: str) -> WerkzeugResponse:
    archive = downloads.album_archive(
        context.db_session(),
        context.storage(),
        album,
        viewer=current_viewer(),
        open_first=request.method != "HEAD",  # a HEAD needs only the length, not the bytes
        locale=locale_name(),  # captions.csv's times for people
    )
    response = Response(archive.chunks, mimetype="application/zip", direct_passthrough=True)
    if archive.size is not None:
        response.content_length = archive.size
    return _finish(response, archive.filename, public=archive.public, cache=NO_STORE)
