"""Download routes: one photo, and the album ZIP.

``GET /albums/<album>/photos/<id>/download`` and ``GET /albums/<album>/download.zip`` follow the
album's ``original_downloads`` setting (see :mod:`gallery.photos.downloads`) and the album
page's visibility rules: unlisted albums need their ``?token=``, private ones answer 404 except
to editors.  Stored files are handed over by the store itself when it can (a presigned S3 URL
with the right ``Content-Disposition``) or with ``send_file`` (ranges, ETag) from a local folder.
"""

from __future__ import annotations

from flask import Response, redirect, request, send_file
from werkzeug.wrappers import Response as WerkzeugResponse

from gallery.catalog.visibility import is_public
from gallery.http import context
from gallery.http.formatting import locale_name
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


def send_item(storage: Storage, item: downloads.DownloadItem, *, public: bool) -> WerkzeugResponse:
    """Hand one download to the visitor, in the cheapest way the store allows."""
    if item.kind == "stripped":
        sent, chunks = downloads.open_item(storage, item)
        if sent.kind == "stripped":
            # The length is known only once the whole original has been read.
            return _finish(Response(chunks, mimetype=sent.content_type), sent.filename, public=public)
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        item = sent
    url = storage.url(item.key, filename=item.filename, content_type=item.content_type, expires=PRESIGN_SECONDS)
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
    return _finish(response, item.filename, public=public)


@bp.get("/albums/<album>/photos/<int:photo_id>/download")
def photo_download(album: str, photo_id: int) -> WerkzeugResponse:
    found, item = downloads.photo_download(context.db_session(), album, photo_id, viewer=current_viewer())
    return send_item(context.storage(), item, public=is_public(found))


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
