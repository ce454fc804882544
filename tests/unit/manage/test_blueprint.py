"""The management blueprint (gallery/manage/blueprint.py): every POST route under /manage/
refuses a request without a valid CSRF token (400) and changes nothing.  The routes come from
``app.url_map``, so new ones are covered as soon as they exist; a route with a URL variable this
test cannot fill fails it (add the variable to ``values()``, and the row it names to the fixtures)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.consent.models import TakedownAction, TakedownRequest
from gallery.core.audit import Actor
from gallery.extensions import db
from gallery.models import Photo
from gallery.reports import service as report_service
from gallery.schedule import service as schedule_service
from tests.test_roles import jpeg
from tests.unit.manage.conftest import World, token


def manage_post_rules(app: Flask) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/manage/") and "POST" in (rule.methods or ())
    )


def values(world: World, targets: dict[str, str]) -> dict[str, str]:
    return {
        **targets,
        "event": world.event.slug,
        "album": world.album.slug,
        "photo_id": str(world.editor_photos[0]),
        "user_id": str(world.users["photographer"].id),  # /manage/users/<user_id>/...
    }


def fill(rule: str, known: dict[str, str]) -> str:
    path = rule
    for name in list(known):
        for pattern in (f"<{name}>", f"<int:{name}>"):
            path = path.replace(pattern, known[name])
    assert "<" not in path, f"{rule}: add the URL variable to values() in tests/unit/manage/test_blueprint.py"
    return path


def snapshot() -> dict[str, list[Any]]:
    """Every row of every table (updated_at included): any change shows."""
    db.session.expire_all()
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return out


def body(world: World) -> dict[str, Any]:
    """Plausible form data for any of the routes, so that only the token is missing."""
    first, second = world.editor_photos[:2]
    return {
        "title": "Changed by a forged request",
        "starts_on": "2024-05-07",
        "ends_on": "2024-05-08",
        "timezone": "Europe/Warsaw",
        "visibility": "private",
        "sort_mode": "manual",
        "original_downloads": "exact",
        "language": "en",
        "status": "published",
        "body": "forged",
        "action": "save",
        "caption": "forged",
        "credit": "forged",
        "bulk_credit": "forged",
        "target": world.sibling.slug,
        "selected": [str(first), str(second)],
        "photo": [str(first)],
        f"caption-{first}": "forged",
        "order": f"{second},{first}",
        "start": "0",
        "camera": '["Canon", "EOS R6", ""]',
        "offset": "+1h",
        "files": (io.BytesIO(jpeg(4242)), "forged.jpg"),
    }


@pytest.fixture
def targets(world: World) -> dict[str, str]:
    """The rows the routes with their own URL variable act on (a report, a programme session, an open
    takedown request about one of the editor's photos), so that a forged request would have something
    to change; their URL values."""
    admin = Actor(user=world.users["admin"], via="cli")
    report_service.create_report(db.session, world.event, title="CSRF report", slug="csrf-report", actor=admin)
    schedule_service.create_session(
        db.session,
        world.event,
        title="CSRF session",
        starts_at=datetime(2024, 5, 7, 9, 0),
        ends_at=datetime(2024, 5, 7, 10, 0),
        slug="csrf-session",
        actor=admin,
    )
    photo = db.session.get(Photo, world.editor_photos[0])
    assert photo is not None
    takedown = TakedownRequest(photo_id=photo.id, sha256=photo.sha256, action=TakedownAction.hide, history=[])
    db.session.add(takedown)
    db.session.commit()
    return {
        "report": "csrf-report",
        "session": "csrf-session",  # /manage/events/<event>/programme/<session>/...
        "request_id": str(takedown.id),  # /manage/takedowns/<request_id>/decision
    }


def test_the_list_of_post_routes_is_complete(app: Flask) -> None:
    rules = manage_post_rules(app)
    assert len(rules) >= 17  # the management area has at least these many forms
    assert "/manage/photos/<int:photo_id>" in rules and "/manage/albums/<album>/upload" in rules


@pytest.mark.parametrize("how", ["missing", "wrong", "other-session"])
def test_every_manage_post_without_a_valid_token_is_400_and_changes_nothing(
    app: Flask, world: World, targets: dict[str, str], how: str
) -> None:
    client = world.client(app, "admin")  # may do everything: only the token is wrong
    other = world.client(app, "editor")
    known = values(world, targets)
    before = snapshot()
    for rule in manage_post_rules(app):
        data = body(world)
        if rule.startswith("/manage/takedowns/"):
            data["action"] = "hide"  # a decision (the forms' "save" is none)
        if how == "wrong":
            data["csrf_token"] = "not-a-token"
        elif how == "other-session":
            data["csrf_token"] = token(other)  # valid, but for someone else's session
        for accept in ("text/html", "application/json"):
            data["files"] = (io.BytesIO(jpeg(4242)), "forged.jpg")
            response = client.post(fill(rule, known), data=data, headers={"Accept": accept})
            assert response.status_code == 400, f"POST {rule} ({how}, {accept}): {response.status_code}"
            assert "The form expired or was sent from another site" in response.get_data(as_text=True)
    assert snapshot() == before


def test_the_fetch_header_token_works(app: Flask, world: World) -> None:
    """The scripts send the token in X-CSRFToken: accepted there, and only when valid."""
    client = world.client(app, "editor")
    url = f"/manage/photos/{world.editor_photos[0]}"
    bad = client.post(url, data={"caption": "x"}, headers={"X-CSRFToken": "nope", "Accept": "application/json"})
    assert bad.status_code == 400
    good = client.post(url, data={"caption": "x"}, headers={"X-CSRFToken": token(client), "Accept": "application/json"})
    assert good.status_code == 200
