"""gallery.reports.links: topics of translations (one report per language, no chains), the versions
a viewer may read, and which published reports show an album."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from gallery.catalog.visibility import ANONYMOUS, Viewer
from gallery.core.errors import ValidationError
from gallery.extensions import db
from gallery.models import Role
from gallery.reports import links
from tests.conftest import make_user
from tests.web.helpers import make_album, make_event, make_report


def test_topics(app: Flask) -> None:
    event = make_event(db.session, "ecc")
    other_event = make_event(db.session, "other")
    en = make_report(db.session, event, "en", "x", language="en")
    pl = make_report(db.session, event, "pl", "x", language="pl")
    draft = make_report(db.session, event, "draft", "x", language="pl", published=False)
    elsewhere = make_report(db.session, other_event, "far", "x", language="pl")
    assert links.resolve_original(db.session, event, None, language="pl") is None
    assert links.resolve_original(db.session, event, "en", language="pl") == en.id
    assert links.resolve_original(db.session, event, en.id, language="pl", report=pl) == en.id
    with pytest.raises(ValidationError, match="no report 'far'"):
        links.resolve_original(db.session, event, "far", language="en")
    with pytest.raises(ValidationError, match="no report"):
        links.resolve_original(db.session, event, elsewhere.id, language="en")
    with pytest.raises(ValidationError, match="must be the slug"):
        links.resolve_original(db.session, event, ["en"], language="pl")
    with pytest.raises(ValidationError, match="already the 'en' version"):
        links.resolve_original(db.session, event, "en", language="en")
    pl.translation_of_id = en.id
    db.session.commit()
    assert links.topic_id(pl) == links.topic_id(en) == en.id
    # Pointing at a translation means its original; the topic already has its Polish version.
    with pytest.raises(ValidationError, match="already the 'pl' version"):
        links.resolve_original(db.session, event, "pl", language="pl", report=draft)
    with pytest.raises(ValidationError, match="translations of its own"):
        links.resolve_original(db.session, event, "draft", language="en", report=en)
    with pytest.raises(ValidationError, match="itself"):
        links.resolve_original(db.session, event, "en", language="en", report=en)
    # The original may not take its translation's language.
    with pytest.raises(ValidationError, match="already the 'pl' version"):
        links.resolve_original(db.session, event, None, language="pl", report=en)
    draft.translation_of_id = None
    assert [r.slug for r in links.versions(db.session, pl, ANONYMOUS)] == ["en", "pl"]
    draft_in_topic = make_report(db.session, event, "draft-en", "x", published=False)
    draft_in_topic.translation_of_id = draft.id
    db.session.commit()
    assert links.versions(db.session, draft, ANONYMOUS) == []
    editor = Viewer.of(make_user(Role.editor))
    assert [r.slug for r in links.versions(db.session, draft, editor)] == ["draft-en", "draft"]


def test_reports_showing(app: Flask) -> None:
    event = make_event(db.session, "ecc")
    album = make_album(db.session, event, "day-one")
    other = make_album(db.session, event, "day-one-b")
    linked = make_report(db.session, event, "linked", "x", albums=[album])
    by_code = make_report(db.session, event, "code", "Intro.\n\n[album day-one]\n")
    make_report(db.session, event, "in-text", "see [album day-one] here")
    make_report(db.session, event, "prefix", "Intro.\n\n[album day-one-b]\n")
    make_report(db.session, event, "draft", "x", published=False, albums=[album])
    later = make_report(db.session, event, "later", "x", albums=[album])
    later.published_at = datetime.now(UTC) + timedelta(hours=1)
    by_code.published_at = datetime(2024, 5, 10, tzinfo=UTC)  # newer than "linked"
    db.session.commit()
    assert [r.slug for r in links.reports_showing(db.session, album)] == ["code", "linked"]
    assert [r.slug for r in links.reports_showing(db.session, other)] == ["prefix"]
    assert [r.slug for r in links.reports_showing(db.session, album, now=datetime(2030, 1, 1, tzinfo=UTC))] == [
        "later",
        "code",
        "linked",
    ]
    assert linked.id
