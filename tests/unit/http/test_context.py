"""The one accessor for the settings, the one for the storage and the one for the database session."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session, scoped_session

from gallery.config import load_settings
from gallery.extensions import db
from gallery.http import context
from gallery.storage import MemoryStorage


def test_install_then_read_them_back_from_the_app_or_the_current_app(tmp_path: Path) -> None:
    app, other = Flask("one"), Flask("two")
    settings = load_settings({"GALLERY_ENV": "testing", "GALLERY_INSTANCE_PATH": str(tmp_path)})
    storage, other_storage = MemoryStorage(), MemoryStorage()
    context.install(app, settings, storage)
    context.install(other, settings, other_storage)
    assert context.settings(app) is settings
    assert context.storage(app) is storage
    with other.app_context():
        assert context.storage() is other_storage
        assert context.storage(app) is storage
    with app.app_context():
        assert context.settings() is settings
        assert context.storage() is storage


def test_outside_an_app_context_there_is_nothing_to_read() -> None:
    with pytest.raises(RuntimeError):
        context.settings()


def test_the_app_factory_installs_them(app: Flask) -> None:
    assert context.settings(app).env == "testing"
    assert context.storage(app).describe()
    assert app.config[context.SETTINGS_KEY] is context.settings(app)


def test_db_session_is_the_session_of_the_current_app_context(app: Flask) -> None:
    """What domain functions are typed to take: a real Session, not Flask-SQLAlchemy's proxy."""
    session = context.db_session()
    assert isinstance(session, Session) and not isinstance(session, scoped_session)
    assert session is db.session() and context.db_session() is session
    assert session.execute(text("SELECT 1")).scalar() == 1
    with app.app_context():  # another app context (a task, an import thread): another session
        inner = context.db_session()
        assert inner is not session and inner is db.session()
    assert context.db_session() is session


def test_db_session_needs_an_app_context() -> None:
    with pytest.raises(RuntimeError):
        context.db_session()
