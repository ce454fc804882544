"""Links both ways (issue 11, item 3), on SQLite and PostgreSQL: album and photo pages link the
published reports that show the album (linked or by shortcode), one per topic in the visitor's
language; a report links its other-language versions (hreflang alternates and a visible switch);
the API and the report form record which report a report translates; a photo page's heading is its
caption, or "Photo N of album" when it has none, as its <title>."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from gallery.extensions import db
from gallery.models import Photo, Report
from tests.conftest import csrf_from, login, make_user
from tests.unit.api.helpers import call, error
from tests.web.helpers import add_photos, make_album, make_event, make_report

PL = {"Accept-Language": "pl"}


@pytest.fixture
def world(app: Flask) -> dict[str, int]:
    event = make_event(db.session, "ecc")
    album = make_album(db.session, event, "day-one", title="Day one")
    other = make_album(db.session, event, "day-two")
    captioned, plain = add_photos(db.session, album, 2)
    db.session.execute(update(Photo).where(Photo.id == plain).values(caption="", title=""))
    db.session.execute(
        update(Photo).where(Photo.id == captioned).values(caption="The Commissioner opens the conference\nSecond line")
    )
    db.session.commit()
    en = make_report(db.session, event, "opening-day", "Text.", title="Opening day", albums=[album])
    pl = make_report(
        db.session,
        event,
        "dzien-otwarcia",
        "Tekst.\n\n[album day-one]\n\nDalej.",
        title="Dzień otwarcia",
        language="pl",
    )
    pl.translation_of_id = en.id
    make_report(db.session, event, "draft", "Draft.", title="A draft", published=False, albums=[album])
    future = make_report(db.session, event, "tomorrow", "Soon.", title="Scheduled", albums=[album])
    future.published_at = datetime.now(UTC) + timedelta(days=1)
    make_report(db.session, event, "mention", "See [album day-one] in the text.", title="Mention only")
    make_report(db.session, event, "other", "Other.", title="Other album", albums=[other])
    db.session.commit()
    return {"captioned": captioned, "plain": plain, "en": en.id, "pl": pl.id}


def _shown_in(html: str) -> list[str]:
    block = re.search(r'class="shown-in">(.*?)</(?:p|dd)>', html, re.S)
    return re.findall(r'/reports/([a-z0-9-]+)"', block.group(1)) if block else []


def test_album_and_photo_pages_link_their_reports(client: FlaskClient, world: dict[str, int]) -> None:
    assert _shown_in(client.get("/albums/day-one").get_data(as_text=True)) == ["opening-day"]
    polish = client.get("/albums/day-one", headers=PL).get_data(as_text=True)
    assert _shown_in(polish) == ["dzien-otwarcia"] and "W relacji:" in polish
    photo = client.get(f"/albums/day-one/photos/{world['captioned']}").get_data(as_text=True)
    assert _shown_in(photo) == ["opening-day"]
    assert _shown_in(client.get("/albums/day-two").get_data(as_text=True)) == ["other"]


def test_a_report_links_its_other_language(client: FlaskClient, world: dict[str, int]) -> None:
    html = client.get("/events/ecc/reports/opening-day").get_data(as_text=True)
    assert '<link rel="alternate" hreflang="en" href="http://localhost/events/ecc/reports/opening-day">' in html
    assert '<link rel="alternate" hreflang="pl" href="http://localhost/events/ecc/reports/dzien-otwarcia">' in html
    switch = re.search(r'class="language-switch"(.*?)</p>', html, re.S)
    assert switch is not None
    assert 'hreflang="pl" lang="pl">Polski</a>' in switch.group(1)
    assert '<strong aria-current="page" lang="en">English</strong>' in switch.group(1)
    # A report without a translation has neither.
    alone = client.get("/events/ecc/reports/other").get_data(as_text=True)
    assert 'rel="alternate" hreflang' not in alone and "language-switch" not in alone


def test_the_event_page_shows_one_report_per_topic(client: FlaskClient, world: dict[str, int]) -> None:
    english = client.get("/events/ecc").get_data(as_text=True)
    assert "/reports/opening-day" in english and "/reports/dzien-otwarcia" not in english
    polish = client.get("/events/ecc", headers=PL).get_data(as_text=True)
    assert "/reports/dzien-otwarcia" in polish and "/reports/opening-day" not in polish


def test_the_photo_heading_is_its_caption(client: FlaskClient, world: dict[str, int]) -> None:
    html = client.get(f"/albums/day-one/photos/{world['captioned']}").get_data(as_text=True)
    assert "<h1>The Commissioner opens the conference</h1>" in html
    assert "<title>The Commissioner opens the conference · Day one · Gallery</title>" in html
    html = client.get(f"/albums/day-one/photos/{world['plain']}").get_data(as_text=True)
    assert "<h1>Photo 2 of album Day one</h1>" in html
    assert "<title>Photo 2 of album Day one · Day one · Gallery</title>" in html
    polish = client.get(f"/albums/day-one/photos/{world['plain']}", headers=PL).get_data(as_text=True)
    assert "<h1>Zdjęcie 2 z albumu Day one</h1>" in polish


def test_translation_in_the_api(client: FlaskClient, tokens: dict[str, str], world: dict[str, int]) -> None:
    editor = tokens["editor"]
    body = call(client, "GET", "/events/ecc/reports/dzien-otwarcia", editor).get_json()
    assert body["translation_of"] == "opening-day"
    created = call(
        client,
        "POST",
        "/events/ecc/reports",
        editor,
        json={"title": "Drugi dzień", "language": "pl", "translation_of": "other"},
    )
    assert created.status_code == 201 and created.get_json()["translation_of"] == "other"
    for bad, message in (
        ({"title": "X", "language": "pl", "translation_of": "opening-day"}, "already the 'pl' version"),
        ({"title": "X", "language": "en", "translation_of": "opening-day"}, "already the 'en' version"),
        ({"title": "X", "language": "en", "translation_of": "nope"}, "no report 'nope'"),
    ):
        answer = error(call(client, "POST", "/events/ecc/reports", editor, json=bad), 422)
        assert answer["field"] == "translation_of" and message in answer["message"]
    answer = error(
        call(client, "PATCH", "/events/ecc/reports/opening-day", editor, json={"translation_of": "other"}), 422
    )
    assert "has translations of its own" in answer["message"]
    answer = error(call(client, "PATCH", "/events/ecc/reports/other", editor, json={"translation_of": "other"}), 422)
    assert "cannot translate itself" in answer["message"]
    # Changing a translation's language to its original's is refused too.
    answer = error(call(client, "PATCH", "/events/ecc/reports/dzien-otwarcia", editor, json={"language": "en"}), 422)
    assert answer["field"] == "translation_of"
    cleared = call(client, "PATCH", "/events/ecc/reports/dzien-otwarcia", editor, json={"translation_of": None})
    assert cleared.status_code == 200 and cleared.get_json()["translation_of"] is None


def test_translation_in_the_report_form(client: FlaskClient, world: dict[str, int]) -> None:
    login(client, make_user("editor").email)
    page = client.get("/manage/events/ecc/reports/new").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="translation_of".*?</select>', page, re.S)
    assert select is not None and f'value="{world["en"]}"' in select.group(0)
    assert f'value="{world["pl"]}"' not in select.group(0)  # a translation is no original to translate
    done = client.post(
        "/manage/events/ecc/reports/new",
        data={
            "csrf_token": csrf_from(page),
            "title": "Otwarcie",
            "language": "pl",
            "status": "draft",
            "translation_of": str(world["en"]),
        },
    )
    assert done.status_code == 422 and "already the" in done.get_data(as_text=True)
    done = client.post(
        "/manage/events/ecc/reports/new",
        data={"csrf_token": csrf_from(page), "title": "Other in Polish", "language": "pl", "status": "draft",
              "translation_of": str(db.session.query(Report.id).filter_by(slug="other").scalar())},
    )  # fmt: skip
    assert done.status_code == 302
    made = db.session.query(Report).filter_by(slug="other-in-polish").one()
    assert made.original is not None and made.original.slug == "other"
    edit = client.get("/manage/events/ecc/reports/other-in-polish/edit").get_data(as_text=True)
    assert re.search(
        rf'<option selected value="{made.translation_of_id}"|value="{made.translation_of_id}" selected', edit
    )
