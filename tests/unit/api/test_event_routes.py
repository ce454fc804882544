"""GET /api/v1/events (cursor pages, from/to), GET|PATCH|DELETE /api/v1/events/<event>: on SQLite
and PostgreSQL.  Lists and reads follow the visibility rule; deleting an event that still holds
photos is a 409 and deletes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Album, AuditLog, ClockCorrection, Event, Photo, Report
from tests.unit.api.helpers import call, error, every_page
from tests.web.helpers import add_photos, make_album, make_event, make_report


@pytest.fixture
def events(app: Flask) -> dict[str, Event]:
    """Nine events, two to a day: the odd ones have a public album, event 4 only a published
    report, event 6 only a private album (visitors do not see it), event 8 nothing."""
    made = {}
    for n in range(9):
        day = date(2024, 5, 1) + timedelta(days=n // 2)
        event = make_event(
            db.session, f"event-{n}", starts_on=day.isoformat(), ends_on=(day + timedelta(days=1)).isoformat()
        )
        made[event.slug] = event
        if n % 2:
            make_album(db.session, event, f"album-{n}")
    make_report(db.session, made["event-4"], "news", "Text.")
    make_album(db.session, made["event-6"], "private-6", visibility="private")
    return made


def slugs(pages: list[list[dict]]) -> list[str]:
    return [item["slug"] for page in pages for item in page]


def test_visitors_page_through_the_events_they_may_see(client: FlaskClient, events: dict[str, Event]) -> None:
    pages = every_page(client, "/events", limit=2)
    assert slugs(pages) == ["event-7", "event-5", "event-4", "event-3", "event-1"]  # newest first
    assert [len(p) for p in pages] == [2, 2, 1]


def test_editors_see_every_event_without_gaps_or_repeats(
    client: FlaskClient, tokens: dict[str, str], events: dict[str, Event]
) -> None:
    for limit in (1, 2, 4, 9, 50):
        got = slugs(every_page(client, "/events", tokens["editor"], limit=limit))
        assert got == [f"event-{n}" for n in (8, 7, 6, 5, 4, 3, 2, 1, 0)], limit


def test_from_and_to_keep_events_that_overlap_the_days(
    client: FlaskClient, tokens: dict[str, str], events: dict[str, Event]
) -> None:
    # event-n runs from day n//2 to the day after: 2024-05-03 touches events 2..5 (days 2-3 and 1-2)
    got = slugs(every_page(client, "/events", tokens["editor"], **{"from": "2024-05-03", "to": "2024-05-03"}))
    assert got == ["event-5", "event-4", "event-3", "event-2"]
    assert slugs(every_page(client, "/events", tokens["editor"], to="2024-05-01")) == ["event-1", "event-0"]
    assert error(call(client, "GET", "/events?from=2024-05-03&to=2024-05-01"), 422)["field"] == "to"
    assert error(call(client, "GET", "/events?from=yesterday"), 422)["field"] == "from"


@pytest.mark.parametrize(("query", "status", "field"), [
    ("limit=0", 422, "limit"), ("limit=201", 422, "limit"), ("limit=x", 422, "limit"),
    ("cursor=bm9wZQ", 400, "cursor"),
])  # fmt: skip
def test_bad_list_arguments(client: FlaskClient, events: dict[str, Event], query: str, status: int, field: str) -> None:
    assert error(call(client, "GET", f"/events?{query}"), status)["field"] == field


def test_a_cursor_of_another_list_is_refused(
    client: FlaskClient, tokens: dict[str, str], events: dict[str, Event]
) -> None:
    event = events["event-1"]
    make_album(db.session, event, "second-album")
    album_cursor = call(client, "GET", "/events/event-1/albums?limit=1", tokens["editor"]).get_json()["next"]
    assert album_cursor is not None
    assert error(call(client, "GET", f"/events?cursor={album_cursor}"), 400)["code"] == "bad_cursor"
    assert error(call(client, "GET", f"/events/event-3/albums?cursor={album_cursor}"), 400)["code"] == "bad_cursor"


def test_get_event_follows_the_visibility_rule(
    client: FlaskClient, tokens: dict[str, str], events: dict[str, Event]
) -> None:
    body = call(client, "GET", "/events/event-1").get_json()
    assert body == {
        "slug": "event-1", "title": "European Cluster Conference 2024", "starts_on": "2024-05-01",
        "ends_on": "2024-05-02", "timezone": "Europe/Brussels", "location": "Brussels, The Square",
        "description": "Two days on clusters and the twin transition.", "url": "http://localhost/events/event-1",
    }  # fmt: skip
    for hidden in ("event-6", "event-8", "no-such-event"):
        assert error(call(client, "GET", f"/events/{hidden}", tokens["photographer"]), 404)["code"] == "not_found"
    assert call(client, "GET", "/events/event-6", tokens["editor"]).status_code == 200


def test_patch_changes_only_the_fields_sent(
    client: FlaskClient, tokens: dict[str, str], events: dict[str, Event]
) -> None:
    response = call(client, "PATCH", "/events/event-1", tokens["editor"], json={"title": "Renamed", "location": None})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["title"] == "Renamed" and body["location"] == "" and body["starts_on"] == "2024-05-01"
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "event.update"))
    assert entry is not None and set(entry.details["changes"]) == {"title", "location"}
    assert entry.details["via"] == "api"


@pytest.mark.parametrize(("body", "field"), [
    ({"slug": "new-slug"}, "slug"), ({"url": "x"}, "url"), ({"colour": "red"}, "colour"),
    ({"title": "x" * (Event.__table__.c.title.type.length + 1)}, "title"), ({"title": None}, "title"),
    ({"title": "  "}, "title"), ({"timezone": "Mars/Olympus"}, "timezone"), ({"starts_on": "2024-05-09"}, "ends_on"),
    ({"ends_on": "May"}, "ends_on"), ({"description": "x" * 20_001}, "description"),
])  # fmt: skip
def test_patch_refuses_bad_fields_and_changes_nothing(
    client: FlaskClient, tokens: dict[str, str], events: dict[str, Event], body: dict, field: str
) -> None:
    assert error(call(client, "PATCH", "/events/event-1", tokens["editor"], json=body), 422)["field"] == field
    db.session.expire_all()
    assert db.session.get(Event, events["event-1"].id).title == "European Cluster Conference 2024"


def test_patch_needs_a_json_object_and_the_editor_role(
    client: FlaskClient, tokens: dict[str, str], events: dict[str, Event]
) -> None:
    assert (
        error(call(client, "PATCH", "/events/event-1", tokens["editor"], data="x"), 415)["code"]
        == "unsupported_media_type"
    )
    assert error(call(client, "PATCH", "/events/event-1", tokens["editor"], json=[1]), 400)["code"] == "bad_request"
    assert (
        error(call(client, "PATCH", "/events/event-1", tokens["photographer"], json={"title": "x"}), 403)["code"]
        == "forbidden"
    )
    # the role is checked before the body is read
    assert call(client, "PATCH", "/events/event-1", tokens["photographer"], data="x").status_code == 403
    assert call(client, "PATCH", "/events/nope", tokens["editor"], json={"title": "x"}).status_code == 404


def test_delete_an_event_without_photos(client: FlaskClient, tokens: dict[str, str], events: dict[str, Event]) -> None:
    event = events["event-3"]
    make_report(
        db.session, event, "to-go", "Text.", albums=[db.session.scalar(sa.select(Album).where(Album.slug == "album-3"))]
    )
    db.session.add(ClockCorrection(event_id=event.id, camera_model="Z 6", offset_seconds=60))
    db.session.commit()
    assert call(client, "DELETE", "/events/event-3", tokens["editor"]).status_code == 204
    db.session.expire_all()
    assert db.session.scalar(sa.select(Event).where(Event.slug == "event-3")) is None
    assert db.session.scalar(sa.select(Album).where(Album.slug == "album-3")) is None
    assert db.session.scalar(sa.select(Report).where(Report.slug == "to-go")) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClockCorrection)) == 0
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "event.delete")) is not None
    assert call(client, "GET", "/events/event-3", tokens["editor"]).status_code == 404


@pytest.mark.parametrize("in_bin", [False, True])
def test_an_event_that_holds_photos_is_409(
    client: FlaskClient, tokens: dict[str, str], events: dict[str, Event], in_bin: bool
) -> None:
    album = db.session.scalar(sa.select(Album).where(Album.slug == "album-5"))
    extra = {"deleted_at": datetime(2024, 6, 1, tzinfo=UTC)} if in_bin else None
    add_photos(db.session, album, 2, extra=extra)
    err = error(call(client, "DELETE", "/events/event-5", tokens["editor"]), 409)
    assert err["code"] == "not_empty" and "2 photos" in err["message"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 2
    assert db.session.scalar(sa.select(Event).where(Event.slug == "event-5")) is not None
