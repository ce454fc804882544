from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import func, select

from gallery.core import audit, audit_groups
from gallery.core.errors import ValidationError
from gallery.core.permissions import Permission
from gallery.http import audit_text, context
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


def _day(value: str | None, *, field: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValidationError(f"{text[:20]!r} is not a date (use YYYY-MM-DD)", field=field) from None


@bp.route("/audit")
@requires(Permission.admin)
def audit_log() -> str:
    """Newest first, 50 entries a page (``?before=<id>``) told as sentences, filtered by ``action``,
    ``user`` (an id), ``object`` (a type) and ``object_id``, and the days ``since``..``until``
    (UTC, both included)."""
    args = request.args
    action = (args.get("action") or "").strip()[:100] or None
    object_type = (args.get("object") or "").strip()[:50] or None
    object_id = (args.get("object_id") or "").strip()[:100] or None
    user_arg = (args.get("user") or "").strip()
    before_arg = (args.get("before") or "").strip()
    user_id = parse_int(user_arg, field="user", minimum=1) if user_arg else None
    before = parse_int(before_arg, field="before", minimum=1) if before_arg else None
    since, until = _day(args.get("since"), field="since"), _day(args.get("until"), field="until")
    session = context.db_session()
    page = audit.list_entries(
        session,
        action=action,
        user_id=user_id,
        object_type=object_type,
        object_id=object_id,
        since=datetime.combine(since, time(), UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
        before=before,
        limit=AUDIT_PAGE_SIZE,
    )
    groups = audit_groups.group_entries(page.entries)
    refs = audit_groups.references(session, groups)
    filters = {
        "action": action,
        "user": user_id,
        "object": object_type,
        "object_id": object_id,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }
    return render_template(
        "manage/audit.html",
        rows=[(group, audit_text.sentence(group, refs)) for group in groups],
        next_before=page.next_before,
        actions=audit.known_actions(session),
        object_types=audit.known_object_types(session),
        users=session.scalars(select(User).order_by(User.email)).all(),
        filters=filters,
        filtered=any(v is not None for v in filters.values()),
        before=before,
    )
