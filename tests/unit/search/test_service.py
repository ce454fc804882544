from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from gallery.catalog.visibility import ANONYMOUS, Viewer
from gallery.core.errors import BadCursor, NotFoundError
from gallery.extensions import db
from gallery.models import Report, ReportStatus
from gallery.photos.capture import event_day, event_zone
from gallery.schedule.models import EventSession
from gallery.search.query import parse
from gallery.search.service import Filters, Sort, day_bounds, search
from tests.search.conftest import at, make_album, make_event, make_photo


def ids(results) -> list[int]:  # type: ignore[no-untyped-def]
    return [hit.photo.id for hit in results.photos]


def run(q: str, **kwargs) -> list[int]:  # type: ignore[no-untyped-def]
    return ids(search(db.session, parse(q), viewer=kwargs.pop("viewer", ANONYMOUS), **kwargs))


NO_FILTERS = Filters()


def every_page(q: str, *, viewer: Viewer = ANONYMOUS, filters: Filters = NO_FILTERS, limit: int = 2) -> list[int]:
    """The photo ids of every page of ``q``, following the cursors to the end."""
    seen: list[int] = []
    cursor = None
    while True:
        results = search(db.session, parse(q), viewer=viewer, filters=filters, cursor=cursor, limit=limit)
        seen += ids(results)
        if (cursor := results.next) is None:
            return seen


@pytest.mark.parametrize(
    ("typed", "caption"),
    [
        ("zolw", "Żółw na scenie"),
        ("ŻÓŁW", "zolw na scenie"),
        ("Łódź", "Wieczór w lodz"),
        ("lodz", "Wieczór w Łodzi"),
        ("konf", "Konferencja prasowa"),
        ("konf", "Uczestnicy konferencji"),
        ("commiss", "The Commissioner speaks"),
        ("COMMISSIONER", "the commissioner's speech"),
        ('"podpisanie deklaracji"', "Uroczyste Podpisanie Deklaracji"),
    ],
)
def test_folding_and_prefixes_in_both_languages(app: Flask, typed: str, caption: str) -> None:
    album = make_album("gala", title="Gala")
    wanted = make_photo(album, caption)
    make_photo(album, "Coś zupełnie innego: deklaracji podpisanie")
    assert run(typed) == [wanted.id]


def test_every_field_and_the_album_and_event_are_searched(app: Flask) -> None:
    album = make_album("sala", title="Sala obrad", description="Dzień drugi")
    photo = make_photo(album, "", alt_text="Mówca", credit="Anna Łęcka", keywords=["plenarna"], camera_model="EOS R5")
    for typed in ("mowca", "lecka", "plenarna", "eos r5", "obrad", "klastrow", "anna sala kongres"):
        assert run(typed) == [photo.id], typed
    # descriptions are searched in the album's document, not in each photo's
    found = search(db.session, parse("drugi"), viewer=ANONYMOUS)
    assert ids(found) == [] and [a.slug for a in found.albums] == ["sala"]
    assert run("anna nieobecny") == []  # every term must match


def test_filters(app: Flask) -> None:
    warsaw = make_event("kongres")
    other = make_event("forum", title="Forum Kongresowe", tz="America/New_York")
    album = make_album("a", event=warsaw)
    away = make_album("b", event=other)
    # 23:30 UTC on 6 May is 01:30 on 7 May in Warsaw, 19:30 on 6 May in New York
    late = make_photo(album, "kongres noc", taken_at=at("2024-05-06 23:30"), credit="Anna", camera_model="EOS R5")
    day = make_photo(album, "kongres dzień", taken_at=at("2024-05-07 10:00"), credit="Bob", camera_model="X-T4")
    ny = make_photo(away, "kongres noc", taken_at=at("2024-05-06 23:30"), credit="Anna")
    undated = make_photo(album, "kongres bez daty", credit="Anna")

    assert sorted(run("kongres", filters=Filters(event="kongres"))) == sorted([late.id, day.id, undated.id])
    assert sorted(run("kongres", filters=Filters(day=date(2024, 5, 7)))) == sorted([late.id, day.id])
    assert run("kongres", filters=Filters(day=date(2024, 5, 6))) == [ny.id]
    assert run("kongres", filters=Filters(event="forum", day=date(2024, 5, 7))) == []
    assert sorted(run("kongres", filters=Filters(credit="Anna"))) == sorted([late.id, ny.id, undated.id])
    assert run("", filters=Filters(camera="X-T4")) == [day.id]  # filters alone, no words
    assert run("noc", filters=Filters(event="kongres", credit="Anna", camera="EOS R5")) == [late.id]
    with pytest.raises(NotFoundError):
        run("kongres", filters=Filters(event="no-such-event"))


def test_day_filter_agrees_with_the_capture_time_rule(app: Flask) -> None:
    event = make_event(tz="Europe/Warsaw")
    album = make_album("dst", event=event)
    # around the end of summer time in Warsaw (27 Oct 2024, 03:00 CEST -> 02:00 CET)
    times = ["2024-10-26 21:59", "2024-10-26 22:00", "2024-10-27 01:30", "2024-10-27 22:59", "2024-10-27 23:00"]
    photos = [make_photo(album, "zmiana czasu", taken_at=at(t)) for t in times]
    zone = event_zone(event)
    for day in (date(2024, 10, 26), date(2024, 10, 27), date(2024, 10, 28)):
        expected = [p.id for p in photos if event_day(p, zone) == day]
        assert run("zmiana", filters=Filters(day=day), sort=Sort.time) == expected
    start, end = day_bounds(date(2024, 10, 27), zone)
    assert (end - start).total_seconds() == 25 * 3600


def test_session_filter_uses_the_membership_rule(app: Flask) -> None:
    event = make_event()
    album = make_album("sesje", event=event)
    panel = EventSession(
        event_id=event.id, slug="panel", title="Panel", starts_at=at("2024-05-07 08:00"), ends_at=at("2024-05-07 09:00")
    )
    db.session.add(panel)
    db.session.commit()
    inside = make_photo(album, "mówca", taken_at=at("2024-05-07 08:30"))
    margin = make_photo(album, "mówca", taken_at=at("2024-05-07 09:10"))
    make_photo(album, "mówca", taken_at=at("2024-05-07 09:11"))
    make_photo(album, "mówca")
    assert sorted(run("mowca", filters=Filters(session="panel"))) == sorted([inside.id, margin.id])
    assert run("mowca", filters=Filters(session="panel"), margin_minutes=0) == [inside.id]
    with pytest.raises(NotFoundError):
        run("mowca", filters=Filters(session="nope"))


def test_relevance_and_time_orders_page_without_gaps_or_repeats(app: Flask) -> None:
    album = make_album("duzy")
    made = []
    for i in range(23):
        caption = "panel " * (1 + i % 4) + f"numer {i}"
        taken = at(f"2024-05-07 {8 + i % 10:02}:{i:02}") if i % 5 else None
        made.append(make_photo(album, caption, taken_at=taken, commit=False))
    db.session.commit()
    for sort in Sort:
        seen: list[int] = []
        cursor = None
        while True:
            results = search(db.session, parse("panel"), viewer=ANONYMOUS, sort=sort, cursor=cursor, limit=5)
            seen += ids(results)
            cursor = results.next
            if cursor is None:
                break
        assert sorted(seen) == sorted(p.id for p in made), sort
        assert len(seen) == len(set(seen))
        if sort == Sort.time:
            dated = [p for p in made if p.taken_at is not None]
            expected = [p.id for p in sorted(dated, key=lambda p: (p.taken_at, p.id))]
            expected += sorted(p.id for p in made if p.taken_at is None)
            assert seen == expected
        else:
            counts = {p.id: p.caption.count("panel") for p in made}
            assert [counts[i] for i in seen] == sorted((counts[i] for i in seen), reverse=True)


def test_albums_reports_and_sessions_come_with_the_first_page(app: Flask) -> None:
    event = make_event()
    album = make_album("deklaracje", title="Deklaracje", event=event)
    make_album("ukryty", title="Deklaracje tajne", event=event, visibility="private")
    for i in range(3):
        make_photo(album, f"deklaracja {i}")
    published = Report(event_id=event.id, slug="r1", title="Deklaracja podpisana", status=ReportStatus.published)
    draft = Report(event_id=event.id, slug="r2", title="Deklaracja szkic", status=ReportStatus.draft)
    session = EventSession(
        event_id=event.id,
        slug="s",
        title="Rozmowa",
        speakers=["Komisarz Deklaracyjny"],
        starts_at=at("2024-05-07 08:00"),
        ends_at=at("2024-05-07 09:00"),
    )
    db.session.add_all([published, draft, session])
    db.session.commit()
    first = search(db.session, parse("deklar"), viewer=ANONYMOUS, limit=2)
    assert [a.slug for a in first.albums] == ["deklaracje"]
    assert [r.slug for r in first.reports] == ["r1"]
    assert [s.slug for s in first.sessions] == ["s"]
    second = search(db.session, parse("deklar"), viewer=ANONYMOUS, limit=2, cursor=first.next)
    assert len(second.photos) == 1 and not second.albums and not second.reports and not second.sessions


def test_nothing_without_words_or_filters_and_broken_cursors(app: Flask) -> None:
    make_photo(make_album("a"), "coś")
    assert search(db.session, parse("  "), viewer=ANONYMOUS).empty
    with pytest.raises(BadCursor):
        search(db.session, parse("cos"), viewer=ANONYMOUS, cursor="not-a-cursor")


def test_anonymous_visitors_find_only_what_they_may_see(app: Flask) -> None:
    public = make_album("pub")
    unlisted = make_album("unl", visibility="unlisted")
    private = make_album("prv", visibility="private")
    shown = make_photo(public, "tajemnica")
    make_photo(unlisted, "tajemnica")
    make_photo(private, "tajemnica")
    make_photo(public, "tajemnica", status="processing")
    gone = make_photo(public, "tajemnica")
    gone.deleted_at = at("2024-05-08 10:00")
    db.session.commit()
    assert run("tajemnica") == [shown.id]
    # a share token opens the unlisted album, but search finds unlisted albums for staff only
    assert run("tajemnica", viewer=Viewer(tokens=(unlisted.share_token or "",))) == [shown.id]


def test_relevance_pages_rank_candidates_and_skip_what_the_viewer_may_not_find(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without filters, a relevance page ranks the matching documents alone and joins only the
    best candidates to the photos, batch after batch: here the best-ranked matches are all in a
    private album, so the first batches hold nothing an anonymous visitor may find.  The pages
    are exactly those of the single query that joins every match (the fallback)."""
    from sqlalchemy import select

    from gallery.models import Photo, Role
    from gallery.search import service
    from tests.conftest import make_user

    hidden = make_album("prywatny", visibility="private")
    public = make_album("publiczny")
    for i in range(30):
        make_photo(hidden, f"panel panel panel panel tajny {i}", commit=False)
    shown = [make_photo(public, "panel " * (1 + i % 3) + f"jawny {i}", commit=False) for i in range(7)]
    db.session.commit()
    counts = {p.id: p.caption.count("panel") for p in shown}
    expected = sorted(counts, key=lambda i: (-counts[i], i))

    ranked_pages: list[object] = []
    ranked_page = service._ranked_page

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        page = ranked_page(*args, **kwargs)
        ranked_pages.append(page)
        return page

    def pages(viewer: Viewer = ANONYMOUS) -> list[int]:
        return every_page("panel", viewer=viewer)

    monkeypatch.setattr(service, "_ranked_page", spy)
    assert pages() == expected
    assert ranked_pages and all(page is not None for page in ranked_pages)  # 12, then 48 candidates
    # too few findable matches among the candidates: the single query takes over, same pages
    monkeypatch.setattr(service, "CANDIDATES_MAX", 20)
    ranked_pages.clear()
    assert pages() == expected
    assert None in ranked_pages
    # staff find the private album's photos first, with the same paging
    monkeypatch.undo()
    editor = Viewer(user=make_user(Role.editor))
    secret = [p.id for p in db.session.scalars(select(Photo).where(Photo.album_id == hidden.id).order_by(Photo.id))]
    assert pages(viewer=editor) == secret + expected


def test_a_search_within_an_event_ranks_that_events_documents_alone(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documents carry their event: a relevance page filtered by event (or by a session, whose
    event it implies) ranks that event's matches only, checks them against the filters, and pages
    exactly as the single query does.  A photo whose album moves to another event moves with it."""
    from gallery.search import service

    ours, theirs = make_event("nasze"), make_event("obce")
    here, there = make_album("tutaj", event=ours), make_album("tam", event=theirs)
    make_album("zostaje", event=ours)  # the event stays visible when "tutaj" moves
    for i in range(12):  # better matches, in the other event
        make_photo(there, f"panel panel panel obcy {i}", commit=False)
    mine = [make_photo(here, "panel " * (1 + i % 3) + f"nasz {i}", commit=False) for i in range(7)]
    db.session.commit()
    counts = {p.id: p.caption.count("panel") for p in mine}
    expected = sorted(counts, key=lambda i: (-counts[i], i))

    ranked: list[object] = []
    ranked_page = service._ranked_page

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        ranked.append(kwargs["events"])
        page = ranked_page(*args, **kwargs)
        ranked.append(page)
        return page

    def pages(filters: Filters) -> list[int]:
        return every_page("panel", filters=filters)

    monkeypatch.setattr(service, "_ranked_page", spy)
    assert pages(Filters(event="nasze")) == expected
    assert ranked[0] == [ours.id] and None not in ranked
    ranked.clear()
    assert pages(Filters(event="nasze", credit="nobody")) == []
    ranked.clear()
    assert pages(Filters(credit="nobody")) == []  # no event: see the next test
    monkeypatch.setattr(service, "CANDIDATES_MAX", 2)  # the single query within the event: same pages
    assert pages(Filters(event="nasze")) == expected

    here.event_id = theirs.id  # the album moves: its photos' documents follow
    db.session.commit()
    assert pages(Filters(event="nasze")) == []
    assert set(pages(Filters(event="obce"))) == {p.id for p in mine} | set(run("obcy"))


def test_filters_without_an_event_rank_candidates_and_page_as_the_single_query(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Credit, camera and day without an event, when the filter keeps many photos: on PostgreSQL a
    one-prefix-word relevance page ranks every event's matches (in tiers) and checks the candidates
    against the filters, batch after batch (the best matches are someone else's); the pages are
    exactly those of the single query (the fallback, forced here; and SQLite's way)."""
    tiers = db.session.get_bind().dialect.name == "postgresql"
    from gallery.search import service

    first, second = make_event("pierwsze"), make_event("drugie", tz="America/New_York")
    here, there = make_album("tu", event=first), make_album("tam", event=second)
    # better matches by another photographer, with another camera, undated: 47 of the first batch's
    # 48 candidates (pages of 2), so the first batch finds 1 and a second one fills the page
    for i in range(47):
        make_photo(here, f"panel panel panel panel cudzy {i}", credit="Bob", camera_model="X-T4", commit=False)
    ours = [
        make_photo(
            (here, there)[i % 2],
            "panel " * (1 + i % 3) + f"nasz {i}",
            credit="Anna",
            camera_model="EOS R5",
            taken_at=at("2024-05-07 12:00"),
            commit=False,
        )
        for i in range(9)
    ]
    db.session.commit()
    counts = {p.id: p.caption.count("panel") for p in ours}
    expected = sorted(counts, key=lambda i: (-counts[i], i))

    ranked: list[object] = []
    ranked_page = service._ranked_page

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        page = ranked_page(*args, **kwargs)
        ranked.append(page)
        return page

    def pages(filters: Filters) -> list[int]:
        return every_page("panel", filters=filters)

    monkeypatch.setattr(service, "_ranked_page", spy)
    monkeypatch.setattr(service, "FILTERED_FEW", 1)  # a filter keeping fewer photos: the single query
    for filters in (
        Filters(credit="Anna"),
        Filters(camera="EOS R5"),
        Filters(day=date(2024, 5, 7)),
        Filters(credit="Anna", camera="EOS R5", day=date(2024, 5, 7)),
    ):
        ranked.clear()
        assert pages(filters) == expected, filters
        assert (ranked and None not in ranked) if tiers else not ranked
        monkeypatch.setattr(service, "CANDIDATES_MAX", 2)  # the single query: the same pages
        ranked.clear()
        assert pages(filters) == expected, filters
        assert None in ranked if tiers else not ranked
        monkeypatch.setattr(service, "CANDIDATES_MAX", 20_000)
    last = make_photo(there, "panel ostatni", credit="Ewa")  # ranked after all the others
    ranked.clear()  # a filter that keeps none of the first batch: then the single query
    assert pages(Filters(credit="Ewa")) == [last.id]
    assert ranked == ([None] if tiers else [])
    monkeypatch.setattr(service, "FILTERED_FEW", 100)  # the filter keeps fewer: the single query at once
    ranked.clear()
    assert pages(Filters(credit="Anna")) == expected and ranked == []
