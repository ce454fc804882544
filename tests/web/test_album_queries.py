"""Big albums: a constant number of SQL statements per page, and keyset pages that
cover every photo exactly once, in display order, without OFFSET."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, update

from gallery.extensions import db
from gallery.models import Photo, PhotoStatus
from gallery.photos.order import ordered_photos
from gallery.photos.pages import PAGE_SIZE
from tests.web.helpers import (
    NEXT_RE,
    PREV_RE,
    START,
    add_photos,
    grid_ids,
    make_album,
    make_event,
    unescape_href,
)

#: What one album page costs, whatever its size and whichever page: the album (with its event),
#: the count of its shown photos, the page of photos, their derivatives (one IN query), and the
#: album's header, shown on every page: the event's programme ("Group by: session"), the reports
#: that show the album (linked or by shortcode, one query) and its photographers' credits.  Each is
#: one query per page, never one per photo.
PAGE_QUERIES = 7


@contextmanager
def recorded_statements() -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def selects(statements: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]


def assert_no_offset_paging(statements: list[tuple[str, Any]]) -> None:
    """No statement pages with OFFSET.  (SQLite's compiler writes ``LIMIT ? OFFSET ?`` for
    every LIMIT: there the bound value of each OFFSET placeholder must be 0.)"""
    for statement, parameters in statements:
        for match in re.finditer(r"OFFSET\s+([?]|[^\s)]+)", statement, flags=re.IGNORECASE):
            assert match.group(1) == "?", statement  # PostgreSQL: never an OFFSET at all
            index = statement[: match.start(1)].count("?")
            assert parameters[index] == 0, (statement, parameters)


@pytest.fixture
def albums_20_and_2000(app: Flask) -> tuple[str, str]:
    event_ = make_event(db.session)
    small = make_album(db.session, event_, "small-album")
    add_photos(db.session, small, 20)
    big = make_album(db.session, event_, "big-album")
    # Ties on taken_at (two photos per minute) and undated photos at the end.
    times = [START + timedelta(minutes=i // 2) for i in range(1_980)]
    add_photos(db.session, big, 0, times=times, undated=20)
    slugs = small.slug, big.slug
    db.session.remove()
    return slugs


def count_page_queries(client: FlaskClient, url: str) -> tuple[int, list[tuple[str, Any]]]:
    client.get(url)  # warm caches (compiled statements, templates)
    with recorded_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(selects(statements)), statements


def test_album_page_issues_the_same_queries_for_20_and_2000_photos(
    client: FlaskClient, albums_20_and_2000: tuple[str, str]
) -> None:
    small, big = albums_20_and_2000
    n_small, statements_small = count_page_queries(client, f"/albums/{small}")
    n_big, statements_big = count_page_queries(client, f"/albums/{big}")
    assert n_small == n_big, (statements_small, statements_big)
    assert n_big <= PAGE_QUERIES, statements_big
    assert_no_offset_paging(statements_big)
    big_html = client.get(f"/albums/{big}").get_data(as_text=True)
    assert len(grid_ids(big_html)) == PAGE_SIZE
    assert 'rel="next"' in big_html


def test_later_pages_cost_the_same_as_the_second(client: FlaskClient, albums_20_and_2000: tuple[str, str]) -> None:
    _, big = albums_20_and_2000
    html = client.get(f"/albums/{big}").get_data(as_text=True)
    second = unescape_href(NEXT_RE.search(html).group(1))  # type: ignore[union-attr]
    html2 = client.get(second).get_data(as_text=True)
    third = unescape_href(NEXT_RE.search(html2).group(1))  # type: ignore[union-attr]
    n2, _ = count_page_queries(client, second)
    n3, statements3 = count_page_queries(client, third)
    assert n2 == n3
    assert n3 <= PAGE_QUERIES, statements3
    assert_no_offset_paging(statements3)


def test_photo_page_queries_do_not_grow_with_the_album(
    client: FlaskClient, albums_20_and_2000: tuple[str, str]
) -> None:
    small, big = albums_20_and_2000
    small_id = db.session.scalar(select(Photo.id).join(Photo.album).where(Photo.album.has(slug=small)).limit(1))
    big_ids = db.session.scalars(select(Photo.id).where(Photo.album.has(slug=big)).order_by(Photo.id)).all()
    n_small, _ = count_page_queries(client, f"/albums/{small}/photos/{small_id}")
    n_big, statements = count_page_queries(client, f"/albums/{big}/photos/{big_ids[1500]}")
    assert n_small == n_big, statements
    assert_no_offset_paging(statements)


def walk_pages(client: FlaskClient, url: str) -> tuple[list[int], list[str]]:
    seen: list[int] = []
    urls: list[str] = []
    while url:
        urls.append(url)
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        seen += grid_ids(html)
        found = NEXT_RE.search(html)
        url = unescape_href(found.group(1)) if found else ""
        assert len(urls) < 100, "pagination does not end"
    return seen, urls


def expected_order(slug: str) -> list[int]:
    from gallery.catalog.albums import get_album

    album = get_album(db.session, slug)
    return list(db.session.scalars(ordered_photos(album, include_unready=False).with_only_columns(Photo.id)))


@pytest.mark.app_config(ALBUM_PAGE_SIZE=150)
def test_keyset_pages_cover_every_photo_once_in_order(client: FlaskClient, albums_20_and_2000: tuple[str, str]) -> None:
    _, big = albums_20_and_2000
    # Some photos that visitors must not see, scattered through the album.
    hidden = db.session.scalars(select(Photo.id).where(Photo.album.has(slug=big)).order_by(Photo.id)).all()[5::97]
    db.session.execute(update(Photo).where(Photo.id.in_(hidden[::2])).values(status=PhotoStatus.processing))
    from datetime import datetime

    db.session.execute(update(Photo).where(Photo.id.in_(hidden[1::2])).values(deleted_at=datetime.now(UTC)))
    db.session.commit()
    seen, urls = walk_pages(client, f"/albums/{big}")
    expected = expected_order(big)
    assert len(expected) == 2_000 - len(hidden)
    assert seen == expected
    assert len(seen) == len(set(seen))
    assert not set(hidden) & set(seen)
    assert len(urls) == -(-len(expected) // 150)
    # the undated photos come last, in upload order
    undated = db.session.scalars(
        select(Photo.id).where(Photo.album.has(slug=big), Photo.taken_at.is_(None)).order_by(Photo.id)
    ).all()
    assert seen[-len(undated) :] == list(undated)

    # ... and the "previous" links walk back over the same pages.
    last = client.get(urls[-1]).get_data(as_text=True)
    back: list[list[int]] = [grid_ids(last)]
    found = PREV_RE.search(last)
    while found:
        html = client.get(unescape_href(found.group(1))).get_data(as_text=True)
        back.insert(0, grid_ids(html))
        found = PREV_RE.search(html)
    position = {photo_id: n for n, photo_id in enumerate(seen)}
    for chunk in back:  # each page back is a run of consecutive photos
        first = position[chunk[0]]
        assert chunk == seen[first : first + len(chunk)]
    assert back[0] == seen[:150]  # ending on the album's first page
    assert len(back) == len(urls)
    assert set().union(*map(set, back)) == set(seen)


@pytest.mark.app_config(ALBUM_PAGE_SIZE=7)
def test_keyset_pages_in_manual_order(client: FlaskClient, app: Flask) -> None:
    event_ = make_event(db.session)
    album = make_album(db.session, event_, "manual-album", sort_mode="manual")
    ids = add_photos(db.session, album, 25, undated=6)
    # positions for some (ties included), none for the rest
    for n, photo_id in enumerate(ids[:18]):
        db.session.execute(update(Photo).where(Photo.id == photo_id).values(position=(n * 7) % 5))
    db.session.commit()
    seen, urls = walk_pages(client, "/albums/manual-album")
    assert seen == expected_order("manual-album")
    assert len(seen) == 31 and len(urls) == 5


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "e30",  # {}
        "WyJjIiwxXQ",  # ["c",1]
        "W10",  # []
        "x" * 500,
        "WyJjIiwzLHsidCI6IngifSwxXQ",  # ["c",3,{"t":"x"},1]
        "WyJjIiwtMSxudWxsLDFd",  # ["c",-1,null,1]
        "WyJtIiwzLG51bGwsMV0",  # ["m",3,null,1]: another sort mode
    ],
)
def test_bad_cursor_is_a_400(client: FlaskClient, app: Flask, cursor: str) -> None:
    add_photos(db.session, make_album(db.session, make_event(db.session), "cursor-album"), 3)
    for param in ("after", "before"):
        response = client.get(f"/albums/cursor-album?{param}={cursor}")
        assert response.status_code == 400
        assert "page link" in response.get_data(as_text=True)


def test_after_and_before_together_is_a_400(client: FlaskClient, app: Flask) -> None:
    add_photos(db.session, make_album(db.session, make_event(db.session), "cursor-album"), 3)
    html = client.get("/albums/cursor-album").get_data(as_text=True)
    assert grid_ids(html) and not NEXT_RE.search(html)
    from gallery.catalog.albums import get_album
    from gallery.photos.order import encode_cursor

    album = get_album(db.session, "cursor-album")
    first = db.session.scalars(ordered_photos(album, include_unready=False)).first()
    cursor = encode_cursor(album, first, 1)
    assert client.get(f"/albums/cursor-album?after={cursor}").status_code == 200
    assert client.get(f"/albums/cursor-album?after={cursor}&before={cursor}").status_code == 400
