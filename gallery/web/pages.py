"""Public pages."""

from __future__ import annotations

from flask import jsonify, render_template
from sqlalchemy import exists, select, text
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Album, Event, Visibility
from . import bp


@bp.route("/")
def home() -> str:
    has_public_album = exists().where(Album.event_id == Event.id, Album.visibility == Visibility.public)
    events = db.session.scalars(
        select(Event).where(has_public_album).order_by(Event.starts_on.desc(), Event.id.desc()).limit(100)
    ).all()
    return render_template("web/home.html", events=events)


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    """Liveness and database readiness for load balancers."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"}), 200
