"""Public pages: home, events, reports, albums and photo permalinks.

Server-rendered and complete without JavaScript; ``album.js`` adds the justified
grid and the lightbox on top.  Visibility comes from the services
(:func:`gallery.photos.service.can_view_album` and the listing rules in
:mod:`gallery.catalog.browse`): what a viewer may not see is a 404."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response

from gallery.catalog import browse as albums
from gallery.extensions import db
from gallery.http.guard import acting_user
from gallery.http.media_urls import DerivativeUrls
from gallery.http.render import (
    Sharing,
    camera_summary,
    capture_time,
    credit_labels,
    day_label,
    derivative_tuples,
    download_links,
    event_dates,
    external_url,
    image_set,
    image_sets,
    page_response,
    photo_alt,
    template_exists,
)
from gallery.models import Album, ReportStatus, Visibility
from gallery.photos import pages as photo_pages
from gallery.reports import render as reports
from gallery.web.blueprint import bp
from gallery.web.views_album import album_context

TOKEN_MAX = 200
# The original/ZIP download feature may provide this partial; the album and photo
# pages include it (with album, photo, token and downloads in the context) in their
# ``downloads`` block, and otherwise link to the download routes that exist.
DOWNLOADS_PARTIAL = "web/_downloads.html"


def _token() -> str | None:
    token = request.args.get("token", "")
    return token if 0 < len(token) <= TOKEN_MAX else None


def _link_token(album: Album, token: str | None) -> str | None:
    """The share token to carry in links within an album (unlisted albums opened by their share link)."""
    if album.visibility == Visibility.public or not token:
        return None
    return token if token == album.share_token else None


def _page_size() -> int:
    """Photos per album page: Flask config ``ALBUM_PAGE_SIZE`` (tests, benchmarks), else ``photo_pages.PAGE_SIZE``."""
    return int(current_app.config.get("ALBUM_PAGE_SIZE", photo_pages.PAGE_SIZE))


def _template_helpers() -> dict[str, object]:
    return {"day_label": day_label, "event_dates": event_dates, "photo_alt": photo_alt, "credit_label": credit_labels()}


@bp.route("/")
def home() -> Response:
    cards = albums.home_events(db.session)
    images = image_sets(c.cover for c in cards if c.cover is not None)
    return page_response(render_template("web/home.html", cards=cards, images=images, **_template_helpers()))


@bp.route("/events/<event>")
def event(event: str) -> Response:
    user = acting_user()
    ctx = albums.event_page(db.session, event, user=user)
    covers = [c.cover for c in ctx.albums if c.cover is not None]
    images = image_sets(covers)
    public = any(c.album.visibility == Visibility.public for c in ctx.albums) or any(
        r.status == ReportStatus.published for r in ctx.reports
    )
    sharing = None
    if public:
        cover_image = images.get(ctx.cover.id) if ctx.cover is not None else None
        sharing = Sharing(
            title=ctx.event.title,
            description=ctx.event.description or f"{event_dates(ctx.event)} · {ctx.event.location}".strip(" ·"),
            url=external_url("web.event", event=ctx.event.slug),
            image=cover_image.share if cover_image else None,
        )
    return page_response(
        render_template("web/event.html", ctx=ctx, images=images, sharing=sharing, **_template_helpers())
    )


@bp.route("/events/<event>/reports/<report>")
def report(event: str, report: str) -> Response:
    user = acting_user()
    found = albums.find_report(db.session, event, report, user=user)
    rendered = reports.render_report(found.body)
    ctx = albums.report_page(db.session, found, user=user, shortcode_slugs=rendered.album_slugs)
    photos = [c.cover for c in ctx.linked if c.cover is not None]
    photos += [p for strip in ctx.strips.values() for p in strip.photos]
    images = image_sets(photos)
    sharing = None
    if found.status == ReportStatus.published:
        first_cover = next((images.get(c.cover.id) for c in ctx.linked if c.cover is not None), None)
        if first_cover is None:
            first_cover = next(
                (images.get(s.photos[0].id) for s in ctx.strips.values() if s.photos), None
            )
        sharing = Sharing(
            title=found.title,
            description=rendered.excerpt,
            url=external_url("web.report", event=ctx.event.slug, report=found.slug),
            type="article",
            image=first_cover.share if first_cover else None,
        )
    return page_response(
        render_template(
            "web/report.html", ctx=ctx, rendered=rendered, images=images, sharing=sharing, **_template_helpers()
        )
    )


@bp.route("/albums/<album>")
def album(album: str) -> Response:
    user = acting_user()
    token = _token()
    found = albums.find_album(db.session, album, user=user, token=token)
    page = photo_pages.album_page(
        db.session,
        found,
        after=request.args.get("after") or None,
        before=request.args.get("before") or None,
        page_size=_page_size(),
    )
    link_token = _link_token(found, token)
    context = album_context(found, page, token=link_token)
    return page_response(
        render_template(
            "web/album.html",
            downloads=download_links(found.slug, None, link_token),
            downloads_partial=template_exists(DOWNLOADS_PARTIAL),
            **context,
            **_template_helpers(),
        )
    )


@bp.route("/albums/<album>/photos/<int:photo_id>")
def photo(album: str, photo_id: int) -> Response:
    user = acting_user()
    token = _token()
    found = albums.find_album(db.session, album, user=user, token=token)
    ctx = photo_pages.photo_in_album(db.session, found, photo_id, page_size=_page_size())
    link_token = _link_token(found, token)
    image = image_set(derivative_tuples(ctx.photo), DerivativeUrls(), fallback_edge=1024)
    alt = photo_alt(ctx.photo, ctx.number, found.title)
    sharing = None
    if found.visibility != Visibility.private:
        sharing = Sharing(
            title=ctx.photo.title or ctx.photo.caption.split("\n", 1)[0][:120] or alt,
            description=ctx.photo.caption or f"{found.title} · {found.event.title}",
            url=external_url("web.photo", album=found.slug, photo_id=ctx.photo.id, token=link_token),
            image=image.share if image else None,
            image_alt=alt,
        )
    back_url = url_for("web.album", album=found.slug, after=ctx.album_page_cursor, token=link_token)
    return page_response(
        render_template(
            "web/photo.html",
            album=found,
            event=found.event,
            ctx=ctx,
            photo=ctx.photo,
            image=image,
            alt=alt,
            token=link_token,
            sharing=sharing,
            taken=capture_time(ctx.photo, found.event),
            camera=camera_summary(ctx.photo),
            back_url=f"{back_url}#photo-{ctx.photo.id}",
            downloads=download_links(found.slug, ctx.photo.id, link_token),
            downloads_partial=template_exists(DOWNLOADS_PARTIAL),
            **_template_helpers(),
        )
    )


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    """Liveness and database readiness for load balancers."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"}), 200
