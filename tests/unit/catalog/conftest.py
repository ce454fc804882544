"""Fixtures of the catalogue's unit tests: an editor, and two events whose albums are public,
unlisted and private."""

from __future__ import annotations

import pytest
from flask import Flask

from gallery.extensions import db
from gallery.models import Event, Role, User
from tests.conftest import make_user
from tests.web.helpers import make_album, make_event


@pytest.fixture
def editor(app: Flask) -> User:
    return make_user(Role.editor)


@pytest.fixture
def world(app: Flask) -> dict[str, Event]:
    shown = make_event(db.session, "shown", starts_on="2024-05-07", ends_on="2024-05-08")
    make_album(db.session, shown, "shown-public")
    make_album(db.session, shown, "shown-unlisted", visibility="unlisted")
    hidden = make_event(db.session, "hidden", starts_on="2024-06-01", ends_on="2024-06-01")
    make_album(db.session, hidden, "hidden-private", visibility="private")
    return {"shown": shown, "hidden": hidden}
