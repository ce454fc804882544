from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from ..extensions import db
from ..models import Album, AuditLog, Event, Photo
from ..permissions import Permission, requires
from . import bp


@bp.route("/")
@requires(Permission.manage)
def dashboard() -> str:
    events = db.session.scalars(select(Event).order_by(Event.starts_on.desc(), Event.id.desc())).all()
    counts = dict(
        db.session.execute(
            select(Photo.album_id, func.count(Photo.id)).where(Photo.deleted_at.is_(None)).group_by(Photo.album_id)
        ).all()
    )
    albums = db.session.scalars(select(Album).order_by(Album.id)).all()
    by_event: dict[int, list[Album]] = {}
    for album in albums:
        by_event.setdefault(album.event_id, []).append(album)
    return render_template("manage/dashboard.html", events=events, albums=by_event, counts=counts)


@bp.route("/audit")
@requires(Permission.admin)
def audit_log() -> str:
    entries = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(200)).all()
    return render_template("manage/audit.html", entries=entries)
