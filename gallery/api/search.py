"""Search (``GET /api/v1/search``)."""

from __future__ import annotations

from typing import Any

from gallery.api.access import errors, public
from gallery.api.blueprint import bp
from gallery.api.schemas.search import SearchQuerySchema, SearchResultSchema
from gallery.http import context
from gallery.http.viewer import current_viewer
from gallery.search.service import Filters, Results, search


@bp.route("/search", methods=["GET"])
@public
@bp.arguments(SearchQuerySchema, location="query")
@bp.response(200, SearchResultSchema)
@errors((400, "the cursor is broken"), (404, "no such event or session, or none you may see"), (422, "invalid query"))
def search_all(args: dict[str, Any]) -> Results:
    """Search photos, albums, reports and sessions

    Captions, alt text, credits, keywords, cameras, album and event titles and descriptions,
    report titles and text, session titles and speakers.  Only what you may find: visitors find
    public albums' photos; unlisted albums are found by staff only.  Photos come a page at a
    time (`cursor`), best match first or by capture time (`sort=time`)."""
    filters = Filters(**{name: args.get(name) for name in ("event", "day", "session", "credit", "camera")})
    return search(
        context.db_session(),
        args.get("q"),
        viewer=current_viewer(),
        filters=filters,
        sort=args.get("sort"),
        cursor=args.get("cursor"),
        limit=args["limit"],
        margin_minutes=context.settings().schedule.session_margin_minutes,
    )
