"""The dashboard (gallery/manage/views.py) links to every management page the role may use; unknown objects are
404 pages; what users typed is escaped on the management pages.  The audit log page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import Actor, record
from gallery.extensions import db
from gallery.models import Album, AuditLog, Photo, Role
from tests.conftest import make_user
from tests.unit.manage.conftest import World, token

EDITOR_LINKS = [
    "/manage/events",
    "/manage/events/new",
    "/manage/events/ecc/edit",
    "/manage/events/ecc/albums/new",
    "/manage/events/ecc/reports",
    "/manage/events/ecc/clock",
    "/manage/albums/main/edit",
    "/manage/albums/main/photos",
    "/manage/albums/main/upload",
]


def test_dashboard_links_for_editors_and_admins(app: Flask, world: World) -> None:
    html = world.client(app, "editor").get("/manage/").get_data(as_text=True)
    for link in EDITOR_LINKS:
        assert f'href="{link}"' in html, link
    assert 'href="/manage/audit"' not in html
    assert 'href="/manage/audit"' in world.client(app, "admin").get("/manage/").get_data(as_text=True)
    # the album pages link to each other, including the order page and the bin
    album_page = world.client(app, "editor").get("/manage/albums/main/edit").get_data(as_text=True)
    for link in ("/manage/albums/main/order", "/manage/albums/main/deleted", "/manage/albums/main/photos"):
        assert f'href="{link}"' in album_page


def test_dashboard_for_photographers_links_only_what_they_may_use(app: Flask, world: World) -> None:
    html = world.client(app, "photographer").get("/manage/").get_data(as_text=True)
    assert 'href="/manage/albums/main/photos"' in html and 'href="/manage/albums/main/upload"' in html
    for link in ("/manage/events", "/manage/albums/main/edit", "/manage/events/ecc/clock", "/manage/audit"):
        assert f'href="{link}"' not in html, link


@pytest.mark.parametrize(
    "path",
    [
        "/manage/events/nope/edit",
        "/manage/albums/nope/edit",
        "/manage/albums/nope/photos",
        "/manage/albums/nope/order",
        "/manage/events/ecc/reports/nope/edit",
        "/manage/events/nope/clock",
        "/manage/albums/nope/deleted",
    ],
)
def test_unknown_objects_are_404(app: Flask, world: World, path: str) -> None:
    response = world.client(app, "editor").get(path)
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_typed_text_is_escaped(app: Flask, world: World) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    album = db.session.get(Album, world.album.id)
    album.title = payload
    photo = db.session.get(Photo, world.editor_photos[0])
    photo.caption = payload
    photo.original_filename = payload
    db.session.commit()
    client = world.client(app, "editor")
    for path in (
        "/manage/",
        "/manage/events",
        "/manage/albums/main/edit",
        "/manage/albums/main/photos",
        "/manage/albums/main/order",
        "/manage/events/ecc/clock?camera=%5B%22Canon%22%2C+%22EOS+R6%22%2C+%22%22%5D&offset=1h",
    ):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;" in html, path
    # and the JSON of a per-photo save
    response = client.post(
        f"/manage/photos/{photo.id}",
        data={"credit": payload},
        headers={"X-CSRFToken": token(client), "Accept": "application/json"},
    )
    assert response.get_json()["credit"] == payload and response.mimetype == "application/json"


# --- the audit log page ---------------------------------------------------------------------------
# The audit log page: admins only, newest first, paging and filters, no N+1 queries.


def entries(count: int, world: World) -> None:
    users = list(world.users.values())
    for i in range(count):
        actor = Actor(user=users[i % len(users)], via="web")
        record(db.session, "photo.update" if i % 2 else "album.update", actor=actor, details={"n": i})
    db.session.commit()


def shown(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'"n": (\d+)', page)]


def test_audit_log_pages_and_filters(app: Flask, world: World) -> None:
    db.session.execute(sa.delete(AuditLog))
    db.session.commit()
    entries(120, world)
    client = world.client(app, "admin")
    first = client.get("/manage/audit").get_data(as_text=True)
    assert "user.login" in first  # the admin's login, the newest entry
    assert shown(first) == list(range(119, 70, -1))  # newest first, 50 a page
    older = re.search(r'href="([^"]+)">Older entries', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert shown(second) == list(range(70, 20, -1))
    editor = world.users["editor"]
    filtered = client.get(f"/manage/audit?action=photo.update&user={editor.id}").get_data(as_text=True)
    users = list(world.users.values())
    expected = [i for i in range(119, -1, -1) if i % 2 and users[i % len(users)].id == editor.id]
    assert shown(filtered) == expected[:50]
    assert "editor@example.org" in filtered
    assert client.get("/manage/audit?user=abc").status_code == 422
    assert client.get("/manage/audit?before=-1").status_code == 422


def test_audit_log_queries_do_not_grow_with_rows(app: Flask, world: World) -> None:
    client = world.client(app, "admin")

    def statements_for_page() -> int:
        db.session.expunge_all()  # as in production: a fresh session, nothing cached
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/manage/audit").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    def entries_by_new_people(start: int, count: int) -> None:
        for i in range(start, start + count):
            user = make_user(Role.photographer, email=f"p{i}@example.org")
            record(db.session, "photo.update", actor=Actor(user=user, via="web"), details={"n": i})
        db.session.commit()

    entries_by_new_people(0, 5)
    few = statements_for_page()
    entries_by_new_people(5, 30)
    assert statements_for_page() == few


@pytest.mark.parametrize("role", ["photographer", "editor"])
def test_audit_log_is_admins_only(app: Flask, world: World, role: str) -> None:
    assert world.client(app, role).get("/manage/audit").status_code == 403
