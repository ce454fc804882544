from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select

from gallery.core import audit
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import requires
from gallery.manage.blueprint import bp
from gallery.manage.common import parse_int
from gallery.models import Album, Event, Photo, User


@bp.route("/")
@requires(Permission.manage)
def dashboard() -> str:
    events = context.db_session().scalars(select(Event).order_by(Event.starts_on.desc(), Event.id.desc())).all()
    counts = dict(
        context.db_session()
        .execute(
            select(Photo.album_id, func.count(Photo.id)).where(Photo.deleted_at.is_(None)).group_by(Photo.album_id)
        )
        .all()
    )
    albums = context.db_session().scalars(select(Album).order_by(Album.id)).all()
    by_event: dict[int, list[Album]] = {}
    for album in albums:
        by_event.setdefault(album.event_id, []).append(album)
    return render_template("manage/dashboard.html", events=events, albums=by_event, counts=counts)


AUDIT_PAGE_SIZE = 50


@bp.route("/audit")
@requires(Permission.admin)
def audit_log() -> str:
    """Newest first, 50 a page (``?before=<id>``), filtered by ``action`` and ``user`` (an id)."""
    action = (request.args.get("action") or "").strip()[:100] or None
    user_arg = (request.args.get("user") or "").strip()
    before_arg = (request.args.get("before") or "").strip()
    user_id = parse_int(user_arg, field="user", minimum=1) if user_arg else None
    before = parse_int(before_arg, field="before", minimum=1) if before_arg else None
    page = audit.list_entries(
        context.db_session(), action=action, user_id=user_id, before=before, limit=AUDIT_PAGE_SIZE
    )
    users = context.db_session().scalars(select(User).order_by(User.email)).all()
    return render_template(
        "manage/audit.html",
        entries=page.entries,
        next_before=page.next_before,
        actions=audit.known_actions(context.db_session()),
        users=users,
        action=action,
        user_id=user_id,
        before=before,
    )
