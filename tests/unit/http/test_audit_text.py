"""The audit log as sentences (gallery/http/audit_text.py), with links, escaped, in both
languages; and the page that shows them with the raw details behind a disclosure."""

from __future__ import annotations

import flask_babel
import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import SYSTEM, Actor, record
from gallery.core.audit_groups import group_entries, references
from gallery.extensions import db
from gallery.http import audit_text
from gallery.models import AuditLog, Role, User
from tests.archive.conftest import make_album
from tests.conftest import login, make_user


@pytest.fixture
def anna(app: Flask) -> User:
    user = make_user(Role.admin, "anna@example.org")
    user.name = "Anna Nowak"
    db.session.commit()
    return user


def _sentences(app: Flask, language: str) -> list[str]:
    entries = list(db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id.desc())))
    flask_babel.refresh()
    with app.test_request_context("/", headers={"Accept-Language": language}):
        groups = group_entries(entries)
        refs = references(db.session, groups)
        texts = [str(audit_text.sentence(g, refs)) for g in groups]
    flask_babel.refresh()
    return texts


def test_a_bulk_move_is_one_sentence_with_links(app: Flask, anna: User) -> None:
    make_album("day-1", event_slug="ecc")
    make_album("day-2", event_slug="ecc")
    db.session.execute(sa.delete(AuditLog))
    actor = Actor(user=anna, via="web", request_id="r1")
    for photo_id in range(12):
        record(db.session, "photo.move", actor=actor, details={"from": "day-1", "to": "day-2"}).object_id = str(
            photo_id
        )
    db.session.commit()
    user_link = f'<a href="/manage/users/{anna.id}">Anna Nowak</a>'
    a = '<a href="/manage/albums/day-1/photos">Photos day-1</a>'
    b = '<a href="/manage/albums/day-2/photos">Photos day-2</a>'
    assert _sentences(app, "en") == [f"{user_link} moved 12 photos from {a} to {b}"]
    assert _sentences(app, "pl") == [f"{user_link}: przeniesiono 12 zdjęć z {a} do {b}"]


def test_every_value_is_escaped(app: Flask, anna: User) -> None:
    anna.name = "<script>alert(1)</script>"
    db.session.execute(sa.delete(AuditLog))
    record(db.session, "photo.move", actor=Actor(user=anna, via="web"), details={"from": "<b>x</b>", "to": "y"})
    record(db.session, "report.create", actor=SYSTEM, details={"title": "<i>R</i>", "event": "gone"})
    record(db.session, "weird.<action>", actor=SYSTEM)
    db.session.commit()
    texts = _sentences(app, "en")
    assert texts[0] == "A script: <code>weird.&lt;action&gt;</code>"
    assert texts[1] == "A script wrote the report &lt;i&gt;R&lt;/i&gt; for gone"
    assert "&lt;script&gt;" in texts[2] and "<script>" not in texts[2] and "&lt;b&gt;x&lt;/b&gt;" in texts[2]


def test_accounts_and_counts_read_well_in_both_languages(app: Flask, anna: User) -> None:
    ola = make_user(Role.editor, "ola@example.org")
    db.session.execute(sa.delete(AuditLog))
    record(db.session, "user.role_change", actor=Actor(user=anna, via="web"), obj=ola, details={"to": "photographer"})
    record(
        db.session,
        "fixity.audit",
        actor=Actor(user=None, via="beat"),
        details={"originals_checked": 1234, "problems": 0},
    )
    db.session.commit()
    ola_link = f'<a href="/manage/users/{ola.id}">ola@example.org</a>'
    english, polish = _sentences(app, "en"), _sentences(app, "pl")
    assert english[0] == "The scheduler checked 1,234 originals in the archive (problems found: 0)"
    assert polish[0] == "Harmonogram: sprawdzono 1\u00a0234 oryginały w archiwum (znalezione problemy: 0)"
    assert english[1].endswith(f"gave {ola_link} the role: photographer")
    assert polish[1].endswith(f": nadano {ola_link} rolę: fotograf")


def test_the_page_filters_and_keeps_the_raw_details_behind_a_disclosure(app: Flask, anna: User) -> None:
    album = make_album("day-1", event_slug="ecc")
    client = app.test_client()
    login(client, anna.email)
    html = client.get("/manage/audit").get_data(as_text=True)
    assert '<a href="/manage/albums/day-1/photos">Photos day-1</a>' in html  # album.create, as a sentence
    assert "<details>" in html and "<summary>Details</summary>" in html and '"slug": "day-1"' in html
    only = client.get(f"/manage/audit?object=album&object_id={album.id}").get_data(as_text=True)
    assert only.count('class="audit-entry"') == 1
    assert (
        client.get("/manage/audit?since=2000-01-01&until=2000-01-02").get_data(as_text=True).count("audit-entry") == 0
    )
    assert client.get("/manage/audit?since=yesterday").status_code == 422
    flask_babel.refresh()
    polish = client.get("/manage/audit", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert "utworzono album" in polish and "Szczegóły" in polish


def test_takedown_decisions_are_named_in_the_visitors_language(app: Flask, anna: User) -> None:
    db.session.execute(sa.delete(AuditLog))
    entry = record(db.session, "takedown.decide", actor=Actor(user=anna, via="web"), details={"decision": "hide"})
    entry.object_type, entry.object_id = "takedownrequest", "7"
    db.session.commit()
    assert _sentences(app, "en")[0].endswith("decided the removal request 7: hide")
    assert _sentences(app, "pl")[0].endswith(": rozpatrzono zgłoszenie usunięcia 7: ukrycie")
