"""The search page (gallery/web/search.py) and the header's search box."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Derivative
from gallery.schedule.models import EventSession
from tests.search.conftest import at, make_album, make_event, make_photo


def test_every_public_page_has_the_search_box(app: Flask, client: FlaskClient) -> None:
    make_album("gala")
    for path in ("/", "/events/kongres", "/albums/gala", "/privacy", "/search"):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r'<form class="site-search" role="search" method="get" action="/search">', html), path
        assert 'name="q"' in html


def test_results_grid_highlight_and_lightbox_markup(app: Flask, client: FlaskClient) -> None:
    album = make_album("gala", title="Gala")
    photo = make_photo(album, "<script>alert(1)</script> Żółw", credit="Anna")
    db.session.add(
        Derivative(
            photo_id=photo.id, width=1024, height=683, format="jpeg", key=f"derivatives/{photo.sha256}/1024.jpg", size=1
        )
    )
    db.session.commit()
    response = client.get("/search?q=zolw")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Żółw</mark>" in html
    assert 'id="album-grid"' in html and f'id="photo-{photo.id}"' in html and "data-pswp-src=" in html
    assert f'href="/albums/gala/photos/{photo.id}"' in html and "js/album.js" in html
    assert 'value="zolw"' in html  # the header box keeps the words


def test_filters_sessions_and_pages(app: Flask, client: FlaskClient) -> None:
    event = make_event()
    album = make_album("gala", event=event)
    db.session.add(
        EventSession(
            event_id=event.id,
            slug="panel",
            title="Panel",
            starts_at=at("2024-05-07 08:00"),
            ends_at=at("2024-05-07 09:00"),
        )
    )
    db.session.commit()
    inside = [make_photo(album, f"mowca {i}", taken_at=at(f"2024-05-07 08:{i:02}")) for i in range(3)]
    make_photo(album, "mowca poza", taken_at=at("2024-05-07 12:00"))
    html = client.get("/search?q=mowca&event=kongres&session=panel&limit=2").get_data(as_text=True)
    assert '<option value="panel" selected>Panel</option>' in html
    found = {int(i) for i in re.findall(r'id="photo-(\d+)"', html)}
    assert found == {p.id for p in inside}
    html = client.get("/search?q=&event=kongres&day=2024-05-07&sort=time").get_data(as_text=True)
    assert len(re.findall(r'id="photo-(\d+)"', html)) == 4


def test_more_photos_link_follows_the_cursor(app: Flask, client: FlaskClient) -> None:
    app.config["SEARCH_PAGE_SIZE"] = 2
    album = make_album("gala")
    made = [make_photo(album, f"scena {i}", taken_at=at(f"2024-05-07 10:{i:02}")) for i in range(5)]
    seen: list[int] = []
    url = "/search?q=scena&sort=time"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [int(i) for i in re.findall(r'id="photo-(\d+)"', html)]
        following = re.search(r'<a href="([^"]+)" rel="next"', html)
        url = following.group(1).replace("&amp;", "&") if following else ""
    assert seen == [p.id for p in made]


def test_bad_input_gets_a_message_not_an_error(app: Flask, client: FlaskClient) -> None:
    make_album("gala")
    response = client.get("/search?q=a&day=2024-13-45")
    assert response.status_code == 200 and "The day must be a date" in response.get_data(as_text=True)
    response = client.get("/search?q=a&event=nope")
    assert response.status_code == 404 and "no such event or session" in response.get_data(as_text=True)
    response = client.get("/search?q=a&cursor=garbage")
    assert response.status_code == 400 and "out of date" in response.get_data(as_text=True)
    response = client.get("/search?q=" + "x" * 600)
    assert response.status_code == 422 and "too long" in response.get_data(as_text=True)
    response = client.get("/search?q=" + "+".join(f"w{i}" for i in range(20)))
    assert response.status_code == 422 and "too long" in response.get_data(as_text=True)
    response = client.get("/search")
    assert response.status_code == 200 and "Case and accents do not matter" in response.get_data(as_text=True)
