"""The search page (``/search``): the form in every page's header leads here; results as a photo
grid (the album page's lightbox opens them) with the matching sessions, albums and reports, and
filters.  Complete without JavaScript."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from gallery.catalog.media_access import media_right
from gallery.core.errors import BadCursor, NotFoundError, ValidationError
from gallery.http import context
from gallery.http.media_urls import DerivativeUrls
from gallery.http.render import credit_labels, derivative_tuples, event_dates, image_set, page_response, photo_alt
from gallery.http.viewer import current_viewer
from gallery.search.service import Filters, Sort, search_page
from gallery.web.blueprint import bp

FILTERS = ("event", "day", "session", "credit", "camera")
MAX_FILTER_LENGTH = 1000
PAGE_SIZE = 48  # photos per page (Flask config SEARCH_PAGE_SIZE in tests)


def _arguments() -> tuple[dict[str, Any], list[str]]:
    """The form's values, and what was wrong with them (dropped with a message, not an error page)."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name in ("q", *FILTERS, "sort", "cursor"):
        value = request.args.get(name, "").strip()
        values[name] = value[:MAX_FILTER_LENGTH] or None
    if values["day"]:
        try:
            values["day"] = date.fromisoformat(values["day"])
        except ValueError:
            problems.append(_("The day must be a date such as 2024-05-07."))
            values["day"] = None
    if values["sort"] not in (None, *Sort):
        values["sort"] = None
    return values, problems


@bp.route("/search")
def search() -> Response:
    values, problems = _arguments()
    viewer = current_viewer()
    status = 200
    kwargs: dict[str, Any] = {
        "viewer": viewer,
        "limit": int(current_app.config.get("SEARCH_PAGE_SIZE", PAGE_SIZE)),
        "filters": Filters(**{name: values[name] for name in FILTERS}),
        "sort": Sort(values["sort"]) if values["sort"] else None,
        "cursor": values["cursor"],
        "margin_minutes": context.settings().schedule.session_margin_minutes,
    }
    try:
        page = search_page(context.db_session(), values["q"], **kwargs)
    except (NotFoundError, ValidationError, BadCursor) as error:
        status = error.status
        problems.append(_message(error))
        page = search_page(context.db_session(), None, viewer=viewer)
    photos = [hit.photo for hit in page.results.photos]
    rights = {photo.album_id: media_right(viewer, photo.album) for photo in photos}
    images = {}
    for photo in photos:
        found = image_set(derivative_tuples(photo), DerivativeUrls(rights[photo.album_id]))
        if found is not None:
            images[photo.id] = found
    next_url = None
    if page.results.next:
        next_url = url_for("web.search", **{**_query(values), "cursor": page.results.next})
    html = render_template(
        "web/search.html",
        page=page,
        results=page.results,
        values=values,
        problems=problems,
        images=images,
        next_url=next_url,
        searched=bool(page.results.query.terms) or page.results.event is not None or _any_filter(values),
        photo_alt=photo_alt,
        credit_label=credit_labels(),
        event_dates=event_dates,
    )
    return page_response(html, status=status)


def _query(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) for k, v in values.items() if v is not None and k != "cursor"}


def _any_filter(values: dict[str, Any]) -> bool:
    return any(values[name] for name in FILTERS)


def _message(error: Exception) -> str:
    if isinstance(error, NotFoundError):
        return _("There is no such event or session to search in.")
    if isinstance(error, BadCursor):
        return _("This page of results is out of date; start the search again.")
    return _("The search is too long: use at most 500 characters and 12 words or phrases.")
