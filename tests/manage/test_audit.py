"""The audit log page: admins only, newest first, paging and filters, no N+1 queries."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import Actor, record
from gallery.extensions import db
from gallery.models import AuditLog, Role
from tests.conftest import make_user
from tests.manage.conftest import World


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

        def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
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
