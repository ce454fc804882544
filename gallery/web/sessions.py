"""The session page (``/events/<event>/sessions/<session>``) and how pages tell a session's time."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from werkzeug.wrappers import Response

from gallery.catalog.media_access import media_rights
from gallery.catalog.visibility import presented_token
from gallery.core import formatting
from gallery.http import context
from gallery.http.formatting import locale_name
from gallery.http.render import credit_labels, event_dates, image_sets, page_response, photo_alt
from gallery.http.viewer import current_viewer
from gallery.models import Event
from gallery.photos.capture import event_time, event_zone
from gallery.photos.pages import PAGE_SIZE
from gallery.schedule import pages as schedule_pages
from gallery.schedule.membership import Timed
from gallery.web.blueprint import bp


def session_span(session: Timed, event: Event) -> str:
    """A session's time on the event's clock: "7 May 2024, 10:30–12:00"; a session that ends on
    another day: "7 May 2024, 21:00 – 8 May 2024, 00:30"."""
    zone = event_zone(event)
    start = event_time(session.starts_at, zone)
    end = event_time(session.ends_at, zone)
    assert start is not None and end is not None
    locale = locale_name()
    first = formatting.moment(start, locale, zone, with_zone=False)
    if start.date() == end.date():
        return f"{first}{formatting.EN_DASH}{end:%H:%M}"
    return f"{first} {formatting.EN_DASH} {formatting.moment(end, locale, zone, with_zone=False)}"


@bp.route("/events/<event>/sessions/<session>")
def session(event: str, session: str) -> Response:
    viewer = current_viewer()
    page = schedule_pages.session_page(
        context.db_session(),
        event,
        session,
        viewer=viewer,
        cursor=request.args.get("cursor") or None,
        margin_minutes=context.settings().schedule.session_margin_minutes,
        limit=int(current_app.config.get("ALBUM_PAGE_SIZE", PAGE_SIZE)),  # as many as an album page
    )
    images = image_sets(page.photos, media_rights(viewer, page.albums.values()))
    # Links into an unlisted album carry the share token the viewer came with.
    tokens = {album.id: presented_token(viewer, album) for album in page.albums.values()}
    next_url = (
        url_for(
            "web.session",
            event=page.event.slug,
            session=page.session.slug,
            cursor=page.next_cursor,
            token=viewer.tokens[0] if viewer.tokens else None,
        )
        if page.next_cursor
        else None
    )
    return page_response(
        render_template(
            "web/session.html",
            ctx=page,
            images=images,
            tokens=tokens,
            next_url=next_url,
            session_span=session_span,
            event_dates=event_dates,
            photo_alt=photo_alt,
            credit_label=credit_labels(),
        )
    )
