"""GET /api/v1/search: the answer's shape, highlight escaping, filters and pages, and clear errors."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Report, ReportStatus
from gallery.schedule.models import EventSession
from tests.search.conftest import at, make_album, make_event, make_photo
from tests.unit.api.helpers import call, error


def test_answer_shape_and_highlight(app: Flask, client: FlaskClient) -> None:
    event = make_event()
    album = make_album("gala", event=event, title="Gala żółwi")
    photo = make_photo(album, "<script>alert('żółw')</script> na scenie", taken_at=at("2024-05-07 10:00"))
    db.session.add(Report(event_id=event.id, slug="r", title="Żółwie w Łodzi", status=ReportStatus.published))
    db.session.add(
        EventSession(
            event_id=event.id,
            slug="zolwie",
            title="Warsztaty: żółwie",
            starts_at=at("2024-05-07 09:00"),
            ends_at=at("2024-05-07 11:00"),
            speakers=["Ewa Łoś"],
        )
    )
    db.session.commit()
    body = call(client, "GET", "/search?q=ZOLW").get_json()
    assert set(body) == {"photos", "albums", "reports", "sessions", "next"}
    (found,) = body["photos"]
    assert (
        found["id"] == photo.id and found["album"] == "gala" and found["taken_at_local"] == "2024-05-07T12:00:00+02:00"
    )
    assert found["highlight"] == "&lt;script&gt;alert(&#39;<mark>żółw</mark>&#39;)&lt;/script&gt; na scenie"
    assert found["caption"] == "<script>alert('żółw')</script> na scenie"  # the caption itself is data, unchanged
    assert [a["slug"] for a in body["albums"]] == ["gala"]
    assert [(r["event"], r["slug"]) for r in body["reports"]] == [("kongres", "r")]
    assert "body" not in body["reports"][0]
    (session,) = body["sessions"]
    assert session["url"].endswith("/events/kongres/sessions/zolwie") and session["speakers"] == ["Ewa Łoś"]
    assert body["next"] is None


def test_pages_and_filters(app: Flask, client: FlaskClient) -> None:
    album = make_album("gala")
    made = [make_photo(album, f"konferencja {i}", taken_at=at(f"2024-05-07 10:{i:02}")) for i in range(7)]
    seen: list[int] = []
    cursor = None
    while True:
        query = {"q": "konf", "sort": "time", "limit": 3, **({"cursor": cursor} if cursor else {})}
        body = call(client, "GET", "/search", query_string=query).get_json()
        seen += [p["id"] for p in body["photos"]]
        if not (cursor := body["next"]):
            break
    assert seen == [p.id for p in made]
    body = call(client, "GET", "/search", query_string={"day": "2024-05-07", "event": "kongres"}).get_json()
    assert len(body["photos"]) == 7 and body["albums"] == []


def test_bad_input_is_a_clear_4xx(app: Flask, client: FlaskClient) -> None:
    make_album("gala")
    assert error(call(client, "GET", "/search?q=a&day=2024-02-30"), 422)["field"] == "day"
    assert error(call(client, "GET", "/search?q=a&sort=newest"), 422)["field"] == "sort"
    assert error(call(client, "GET", "/search?q=" + "x" * 501), 422)["field"] == "q"
    assert error(call(client, "GET", "/search?q=" + "+".join(f"w{i}" for i in range(13))), 422)["field"] == "q"
    assert error(call(client, "GET", "/search?q=a&cursor=bm9wZQ"), 400)["code"] == "bad_cursor"
    assert error(call(client, "GET", "/search?q=a&event=nope"), 404)["code"] == "not_found"
    assert error(call(client, "GET", "/search?q=a&session=nope"), 404)["code"] == "not_found"
    empty = call(client, "GET", "/search").get_json()
    assert empty == {"photos": [], "albums": [], "reports": [], "sessions": [], "next": None}


def test_in_the_openapi_document(app: Flask, client: FlaskClient) -> None:
    document = call(client, "GET", "/openapi.json").get_json()
    operation = document["paths"]["/search"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "event", "day", "session", "credit", "camera", "sort", "cursor", "limit"} <= names
    assert "SearchResult" in document["components"]["schemas"]
