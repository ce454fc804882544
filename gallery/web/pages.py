"""Public pages: home, events, reports, albums and photo permalinks.

Server-rendered and complete without JavaScript; ``album.js`` adds the justified
grid and the lightbox on top.  What each viewer may see, and what is listed to them, is
:mod:`gallery.catalog.visibility`'s: what a viewer may not see is a 404."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import text
from werkzeug.wrappers import Response

from gallery.archive.readiness import check_readiness
from gallery.catalog import listings
from gallery.catalog.media_access import media_right, media_rights
from gallery.catalog.visibility import ANONYMOUS, can_read_report, is_public, presented_token, shareable, visible_album
from gallery.http import context
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
    image_set,
    image_sets,
    page_response,
    photo_alt,
    photo_heading,
    template_exists,
)
from gallery.http.urls import external_url
from gallery.http.viewer import current_viewer
from gallery.photos import pages as photo_pages
from gallery.reports import links as report_links
from gallery.reports import pages as report_pages
from gallery.reports import render as reports
from gallery.schedule import grouping
from gallery.schedule import service as schedule_service
from gallery.web import live as live_view
from gallery.web.blueprint import bp
from gallery.web.sessions import session_span
from gallery.web.views_album import album_context

# The original/ZIP download feature may provide this partial; the album and photo
# pages include it (with album, photo, token and downloads in the context) in their
# ``downloads`` block, and otherwise link to the download routes that exist.
DOWNLOADS_PARTIAL = "web/_downloads.html"


def _page_size() -> int:
    """Photos per album page: Flask config ``ALBUM_PAGE_SIZE`` (tests, benchmarks), else ``photo_pages.PAGE_SIZE``."""
    return int(current_app.config.get("ALBUM_PAGE_SIZE", photo_pages.PAGE_SIZE))


def _language() -> str:
    return str(get_locale() or "en")


def _template_helpers() -> dict[str, object]:
    return {"day_label": day_label, "event_dates": event_dates, "photo_alt": photo_alt, "credit_label": credit_labels()}


@bp.route("/")
def home() -> Response:
    cards = listings.home_events(context.db_session())
    rights = media_rights(ANONYMOUS, [c.cover_album for c in cards if c.cover_album is not None])
    images = image_sets((c.cover for c in cards if c.cover is not None), rights)
    upcoming, recent = listings.upcoming_and_recent(cards, datetime.now(UTC))
    return page_response(
        render_template(
            "web/home.html", cards=cards, upcoming=upcoming, recent=recent, images=images, **_template_helpers()
        )
    )


@bp.route("/events")
def events() -> Response:
    """Every event the home page would list, newest first, a page at a time (``?after=``)."""
    archive = listings.events_archive(context.db_session(), after=request.args.get("after") or None)
    rights = media_rights(ANONYMOUS, [c.cover_album for c in archive.cards if c.cover_album is not None])
    images = image_sets((c.cover for c in archive.cards if c.cover is not None), rights)
    next_url = url_for("web.events", after=archive.next_cursor) if archive.next_cursor else None
    return page_response(
        render_template(
            "web/events.html",
            archive=archive,
            images=images,
            next_url=next_url,
            canonical=external_url("web.events"),
            **_template_helpers(),
        )
    )


@bp.route("/events/<event>")
def event(event: str) -> Response:
    viewer = current_viewer()
    ctx = listings.event_page(context.db_session(), event, viewer=viewer)
    covers = [c.cover for c in ctx.albums if c.cover is not None]
    images = image_sets(covers, media_rights(viewer, [c.album for c in ctx.albums]))
    # Sharing tags only for what anyone may see.
    public = any(is_public(c.album) for c in ctx.albums) or any(can_read_report(r, ANONYMOUS) for r in ctx.reports)
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
        render_template(
            "web/event.html",
            ctx=ctx,
            reports=listings.one_per_topic(ctx.reports, str(get_locale() or "en")),
            cover_image=images.get(ctx.cover.id) if ctx.cover is not None else None,
            images=images,
            sharing=sharing,
            programme=schedule_service.list_sessions(context.db_session(), ctx.event),
            session_span=session_span,
            **_template_helpers(),
        )
    )


@bp.route("/events/<event>/reports/<report>")
def report(event: str, report: str) -> Response:
    viewer = current_viewer()
    found = report_pages.find_report(context.db_session(), event, report, viewer=viewer)
    rendered = reports.render_report(found.body)
    ctx = report_pages.report_page(context.db_session(), found, viewer=viewer, shortcode_slugs=rendered.album_slugs)
    photos = [c.cover for c in ctx.linked if c.cover is not None]
    photos += [p for strip in ctx.strips.values() for p in strip.photos]
    shown_albums = [c.album for c in ctx.linked] + [strip.album for strip in ctx.strips.values()]
    images = image_sets(photos, media_rights(viewer, shown_albums))
    sharing = None
    if can_read_report(found, ANONYMOUS):
        first_cover = next((images.get(c.cover.id) for c in ctx.linked if c.cover is not None), None)
        if first_cover is None:
            first_cover = next((images.get(s.photos[0].id) for s in ctx.strips.values() if s.photos), None)
        sharing = Sharing(
            title=found.title,
            description=rendered.excerpt,
            url=external_url("web.report", event=ctx.event.slug, report=found.slug),
            type="article",
            image=first_cover.share if first_cover else None,
        )
    versions = report_links.versions(context.db_session(), found, viewer)
    alternates = [(v, external_url("web.report", event=ctx.event.slug, report=v.slug)) for v in versions]
    return page_response(
        render_template(
            "web/report.html",
            ctx=ctx,
            rendered=rendered,
            images=images,
            sharing=sharing,
            alternates=alternates if len(alternates) > 1 else [],
            **_template_helpers(),
        )
    )


@bp.route("/albums/<album>")
def album(album: str) -> Response:
    viewer = current_viewer()
    found = visible_album(context.db_session(), album, viewer)
    grouped = grouping.grouped_album_page(
        context.db_session(),
        found,
        group=request.args.get("group"),
        after=request.args.get("after") or None,
        before=request.args.get("before") or None,
        page_size=_page_size(),
        margin_minutes=context.settings().schedule.session_margin_minutes,
    )
    link_token = presented_token(viewer, found)
    shown_in = listings.one_per_topic(report_links.reports_showing(context.db_session(), found), _language())
    album_ctx = album_context(
        found,
        grouped.page,
        viewer=viewer,
        sections=grouped.sections,
        grouping=grouped.grouping,
        has_programme=grouped.has_programme,
    )
    return page_response(
        render_template(
            "web/album.html",
            shown_in=shown_in,
            live_feed=url_for("web.album_live_feed", album=found.slug, token=link_token),
            live_poll=current_app.config.get("LIVE_POLL_SECONDS", live_view.POLL_SECONDS["album"]),
            downloads=download_links(found.slug, None, link_token),
            downloads_partial=template_exists(DOWNLOADS_PARTIAL),
            **album_ctx,
            **_template_helpers(),
        )
    )


@bp.route("/albums/<album>/photos/<int:photo_id>")
def photo(album: str, photo_id: int) -> Response:
    viewer = current_viewer()
    found = visible_album(context.db_session(), album, viewer)
    try:
        ctx = photo_pages.photo_in_album(context.db_session(), found, photo_id, page_size=_page_size())
    except photo_pages.PhotoWithdrawn:
        message = _("This photo was withdrawn from the gallery at the request of a person in it, or by our editors.")
        body = render_template("errors/generic.html", status=410, title=_("Photo withdrawn"), message=message)
        return Response(body, status=410, mimetype="text/html")
    link_token = presented_token(viewer, found)
    image = image_set(derivative_tuples(ctx.photo), DerivativeUrls(media_right(viewer, found)), fallback_edge=1024)
    alt = photo_alt(ctx.photo, ctx.number, found.title)
    heading = photo_heading(ctx.photo, ctx.number, found.title)
    sharing = None
    if shareable(found):
        sharing = Sharing(
            title=heading,
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
            heading=heading,
            shown_in=listings.one_per_topic(report_links.reports_showing(context.db_session(), found), _language()),
            token=link_token,
            sharing=sharing,
            public=is_public(found),
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
    context.db_session().execute(text("SELECT 1"))
    return jsonify({"status": "ok"}), 200


@bp.route("/readyz")
def readyz() -> tuple[Response, int]:
    """Readiness: database, storage and broker, each named; 503 when one of them fails."""
    result = check_readiness(context.db_session(), context.storage(), broker_url=context.settings().celery_broker_url)
    return jsonify(result.as_dict()), 200 if result.ok else 503
