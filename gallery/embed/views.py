"""``/embed/albums/<album>``, ``/embed/photos/<id>`` (framable by the origins in
``GALLERY_EMBED_ALLOWED_ORIGINS``, no cookies, no site chrome) and ``/oembed``.

The embed pages reuse the visitor album grid (:func:`gallery.web.views_album.album_context`)
and ``album.js``; every link opens the full page in a new tab."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request, url_for
from werkzeug.wrappers import Response

from gallery.catalog.media_access import media_right
from gallery.catalog.visibility import Viewer, can_view_album, presented, presented_token, shareable_token
from gallery.embed import oembed
from gallery.embed.blueprint import bp
from gallery.http import context, theme
from gallery.http.media_urls import DerivativeUrls
from gallery.http.render import (
    credit_labels,
    day_label,
    derivative_tuples,
    event_dates,
    image_set,
    page_response,
    photo_alt,
)
from gallery.http.security import embeddable
from gallery.http.urls import external_url
from gallery.http.viewer import artefact_viewer, current_viewer
from gallery.models import Album, Photo
from gallery.photos import pages as albums
from gallery.photos.rendition import bounded_rendition
from gallery.web.views_album import album_context

EMBED_PAGE_SIZE = 48


@bp.route("/embed/albums/<album>")
@embeddable
def album(album: str) -> Response:
    viewer = artefact_viewer()
    found = oembed.embed_album(context.db_session(), album, viewer)
    page = albums.album_page(context.db_session(), found, page_size=EMBED_PAGE_SIZE)
    token = presented_token(viewer, found)
    album_ctx = album_context(found, page, viewer=viewer)
    return page_response(
        render_template(
            "embed/album.html",
            album_url=url_for("web.album", album=found.slug, token=token),
            day_label=day_label,
            event_dates=event_dates,
            embed_theme=theme.embed_theme(request.args.get("theme")),
            **album_ctx,
        )
    )


@bp.route("/embed/photos/<int:photo_id>")
@embeddable
def photo(photo_id: int) -> Response:
    viewer = artefact_viewer()
    ctx = oembed.embed_photo(context.db_session(), photo_id, viewer)
    token = presented_token(viewer, ctx.album)
    urls = DerivativeUrls(media_right(viewer, ctx.album))
    image = image_set(derivative_tuples(ctx.photo), urls, fallback_edge=1024)
    return page_response(
        render_template(
            "embed/photo.html",
            album=ctx.album,
            photo=ctx.photo,
            image=image,
            alt=photo_alt(ctx.photo, ctx.number, ctx.album.title),
            credit_label=credit_labels(),
            photo_url=url_for("web.photo", album=ctx.album.slug, photo_id=ctx.photo.id, token=token),
            album_url=url_for("web.album", album=ctx.album.slug, token=token),
            embed_theme=theme.embed_theme(request.args.get("theme")),
        )
    )


@bp.route("/oembed")
def provider() -> tuple[Response, int]:
    """oEmbed 1.0 provider: JSON only (``format=xml`` → 501)."""
    try:
        parsed = oembed.parse_request(request.args)
        # matches paths only: whether the URL is this site's is decided from GALLERY_BASE_URL
        adapter = current_app.url_map.bind("localhost")
        storage, max_pixels = context.storage(), context.settings().max_pixels
        body = oembed.oembed(
            context.db_session(),
            parsed,
            adapter=adapter,
            make_rendition=lambda photo, maxwidth, maxheight: bounded_rendition(
                context.db_session(), storage, photo, maxwidth=maxwidth, maxheight=maxheight, max_pixels=max_pixels
            ),
        )
    except oembed.OEmbedError as error:
        return jsonify(error.to_dict()), error.status
    response = jsonify(body)
    response.headers["Cache-Control"] = f"public, max-age={oembed.CACHE_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response, 200


@bp.app_template_global()
def embed_code(album: Album, photo: Photo | None = None, token: str | None = None) -> dict[str, str] | None:
    """The iframe snippet and the plain URL (WordPress auto-embeds it through oEmbed) for
    an album or photo page: what the embed, a public artefact, would show with the token this
    viewer may pass on (the one they came with, ``token``, or the one they may hand out).  None
    when that shows nothing: private albums, and unlisted ones without such a token."""
    token = shareable_token(current_viewer().with_tokens(presented(token)), album)
    if not can_view_album(album, Viewer.artefact(token)):
        return None
    if photo is None:
        page_url = external_url("web.album", album=album.slug, token=token)
        src = external_url("embed.album", album=album.slug, token=token)
        width, height, title = oembed.DEFAULT_WIDTH, oembed.DEFAULT_HEIGHT, album.title
    else:
        page_url = external_url("web.photo", album=album.slug, photo_id=photo.id, token=token)
        src = external_url("embed.photo", photo_id=photo.id, token=token)
        width, height, title = oembed.DEFAULT_WIDTH, oembed.DEFAULT_HEIGHT, photo.title or album.title
    snippet = oembed.iframe_html(
        src=src,
        width=width,
        height=height,
        title=title,
        script_src=external_url("static", filename="js/embed.js"),
    )
    return {
        "snippet": snippet,
        "src": src,  # for the embed dialog's options (embed-dialog.js builds the same snippet)
        "script": external_url("static", filename="js/embed.js"),
        "width": str(width),
        "height": str(height),
        "url": page_url,
        "oembed": external_url("embed.provider", url=page_url, format="json"),
        "title": title,
    }
