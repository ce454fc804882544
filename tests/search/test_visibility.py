"""The visibility matrix of search: for an anonymous visitor, an unlisted-token holder, a
photographer and an editor, every result set (photos, albums, reports; API and page) equals what
the same viewer can open, page by page -- except that unlisted albums are found by staff only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import HiddenReason, Photo, PhotoStatus, Report, ReportStatus, Role
from tests.conftest import login, make_token, make_user
from tests.search.conftest import at, make_album, make_event, make_photo

WORD = "wspólne"


@dataclass
class World:
    photos: dict[int, str] = field(default_factory=dict)  # id -> album slug
    albums: list[str] = field(default_factory=list)
    reports: list[tuple[str, str]] = field(default_factory=list)  # (event, report)
    unlisted_token: str = ""
    unlisted_photos: set[int] = field(default_factory=set)
    tokens: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def world(app: Flask) -> World:
    made = World()
    photographer = make_user(Role.photographer)
    editor = make_user(Role.editor)
    made.tokens = {"photographer": make_token(photographer), "editor": make_token(editor)}
    open_event = make_event("otwarte", title="Wspólne Forum")
    closed_event = make_event("zamkniete", title="Zamknięte spotkanie")
    public = make_album("publiczny", event=open_event, title="Wspólne zdjęcia")
    unlisted = make_album("niepubliczny", event=open_event, title="Wspólne z linku", visibility="unlisted")
    private = make_album("prywatny", event=open_event, title="Wspólne prywatne", visibility="private")
    hidden_only = make_album("tajny", event=closed_event, title="Wspólne tajne", visibility="private")
    made.albums = [a.slug for a in (public, unlisted, private, hidden_only)]
    made.unlisted_token = unlisted.share_token or ""
    for album in (public, unlisted, private, hidden_only):
        for i in range(2):
            photo = make_photo(album, f"{WORD} ujęcie {i}", taken_at=at(f"2024-05-07 1{i}:00"))
            made.photos[photo.id] = album.slug
            if album is unlisted:
                made.unlisted_photos.add(photo.id)
        for state in ("processing", "deleted", "hidden", "own"):
            photo = make_photo(
                album,
                f"{WORD} {state}",
                status=PhotoStatus.processing if state == "processing" else PhotoStatus.ready,
                deleted_at=at("2024-05-08 09:00") if state == "deleted" else None,
                hidden_reason=HiddenReason.editor if state == "hidden" else None,
                hidden_at=at("2024-05-08 09:00") if state == "hidden" else None,
                uploaded_by_id=photographer.id if state in ("own", "processing") else None,
            )
            made.photos[photo.id] = album.slug
    for event, slug, status in ((open_event, "relacja", "published"), (closed_event, "szkic", "draft")):
        db.session.add(Report(event_id=event.id, slug=slug, title=f"{WORD} relacja", status=ReportStatus(status)))
        made.reports.append((event.slug, slug))
    db.session.commit()
    return made


def api_search(client: FlaskClient, headers: dict[str, str], query: str) -> dict[str, set]:
    found: dict[str, set] = {"photos": set(), "albums": set(), "reports": set()}
    cursor = ""
    while True:
        response = client.get(f"/api/v1/search?q={query}&limit=3{cursor}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        ids = [p["id"] for p in body["photos"]]
        assert not found["photos"] & set(ids), "a photo came twice"
        found["photos"] |= set(ids)
        found["albums"] |= {a["slug"] for a in body["albums"]}
        found["reports"] |= {(r["event"], r["slug"]) for r in body["reports"]}
        if body["next"] is None:
            return found
        cursor = f"&cursor={body['next']}"


def page_search(client: FlaskClient, query: str) -> set[int]:
    found: set[int] = set()
    url = f"/search?q={query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        found |= {int(i) for i in re.findall(r'id="photo-(\d+)"', html)}
        following = re.search(r'<a href="([^"]+)" rel="next"', html)
        url = following.group(1).replace("&amp;", "&") if following else ""
    return found


def openable(client: FlaskClient, world: World, headers: dict[str, str]) -> dict[str, set]:
    """What the viewer opens without a share token: photo pages of shown photos, album pages,
    report pages."""
    photos = db.session.scalars(select(Photo))
    shown = {p.id for p in photos if p.status == PhotoStatus.ready and p.deleted_at is None and p.hidden_reason is None}
    return {
        "photos": {
            pid
            for pid, album in world.photos.items()
            if pid in shown and client.get(f"/albums/{album}/photos/{pid}", headers=headers).status_code == 200
        },
        "albums": {a for a in world.albums if client.get(f"/albums/{a}", headers=headers).status_code == 200},
        "reports": {
            (e, r)
            for e, r in world.reports
            if client.get(f"/events/{e}/reports/{r}", headers=headers).status_code == 200
        },
    }


@pytest.mark.parametrize("viewer", ["anonymous", "token holder", "photographer", "editor"])
def test_search_finds_exactly_what_the_viewer_can_open(app: Flask, world: World, viewer: str) -> None:
    client = app.test_client()
    api_headers: dict[str, str] = {}
    if viewer in ("photographer", "editor"):
        login(client, f"{viewer}@example.org")
        api_headers = {"Authorization": f"Bearer {world.tokens[viewer]}"}
    opens = openable(client, world, {})
    query = "wspolne"
    if viewer == "token holder":
        query += f"&token={world.unlisted_token}"
        # the token opens the unlisted album and its photos ...
        assert client.get(f"/albums/niepubliczny?token={world.unlisted_token}").status_code == 200
        # ... but search finds unlisted albums for staff only
    found = api_search(client, api_headers, query)
    assert found == opens
    assert page_search(client, query) == opens["photos"]
    if viewer == "editor":
        assert world.unlisted_photos <= found["photos"] and "prywatny" in found["albums"]
    else:
        assert not world.unlisted_photos & found["photos"]
        assert found["albums"] == {"publiczny"}
        assert found["reports"] == {("otwarte", "relacja")}
