"""Events and albums."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response

from gallery.api.blueprint import bp
from gallery.api.util import json_body, reject_unknown
from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.catalog.visibility import Viewer, share_token_for
from gallery.core.permissions import Permission
from gallery.extensions import db
from gallery.http.guard import acting_user, current_actor, requires
from gallery.http.urls import external_url
from gallery.models import Album, Event


def event_json(event: Event) -> dict[str, Any]:
    return {
        "slug": event.slug,
        "title": event.title,
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
        "timezone": event.timezone,
        "location": event.location,
        "description": event.description,
        "url": external_url("web.event", event=event.slug),
    }


def album_json(album: Album, *, editor: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": album.slug,
        "event": album.event.slug,
        "title": album.title,
        "description": album.description,
        "visibility": album.visibility.value,
        "sort_mode": album.sort_mode.value,
        "url": external_url("web.album", album=album.slug),
    }
    if editor:
        data["original_downloads"] = album.original_downloads.value
        share_token = share_token_for(Viewer.of(acting_user()), album)
        if share_token:
            data["share_url"] = data["url"] + f"?token={share_token}"
    return data


@bp.post("/events")
@requires(Permission.edit_content)
def create_event() -> tuple[Response, int]:
    data = json_body()
    reject_unknown(data, {"title", "starts_on", "ends_on", "timezone", "location", "description", "slug"})
    event = catalog.create_event(
        db.session,
        title=data.get("title"),
        starts_on=data.get("starts_on"),
        ends_on=data.get("ends_on"),
        timezone=data.get("timezone"),
        location=data.get("location", ""),
        description=data.get("description", ""),
        slug=data.get("slug"),
        actor=current_actor(),
    )
    db.session.commit()
    response = jsonify(event_json(event))
    response.headers["Location"] = event_json(event)["url"]
    return response, 201


@bp.post("/events/<event>/albums")
@requires(Permission.edit_content)
def create_album(event: str) -> tuple[Response, int]:
    ev = catalog.get_event(db.session, event)
    data = json_body()
    reject_unknown(data, {"title", "slug", "visibility", "description", "sort_mode", "original_downloads"})
    album = albums.create_album(
        db.session,
        event=ev,
        title=data.get("title"),
        slug=data.get("slug"),
        visibility=data.get("visibility", "public"),
        description=data.get("description", ""),
        sort_mode=data.get("sort_mode", "capture_time"),
        original_downloads=data.get("original_downloads", "off"),
        actor=current_actor(),
    )
    db.session.commit()
    body = album_json(album, editor=True)
    response = jsonify(body)
    response.headers["Location"] = body["url"]
    return response, 201
