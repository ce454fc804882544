"""The one accessor for the settings, the one for the storage and the one for the database session
of the running app.

Views (web, manage, api, embed, cli), the HTTP helpers and the tasks call :func:`settings`,
:func:`storage` and :func:`db_session`; domain functions never do: they are given the settings, the
store or the session as arguments.  :func:`install` is how the app factory puts them in place."""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy.orm import Session

from gallery.config import Settings
from gallery.extensions import db
from gallery.storage.base import Storage

SETTINGS_KEY = "GALLERY_SETTINGS"  # in app.config
STORAGE_KEY = "gallery_storage"  # in app.extensions


def install(app: Flask, settings: Settings, storage: Storage) -> None:
    """Make ``settings`` and ``storage`` those of ``app``."""
    app.config[SETTINGS_KEY] = settings
    app.extensions[STORAGE_KEY] = storage


def settings(app: Flask | None = None) -> Settings:
    """The settings of ``app`` (default: the current app)."""
    found: Settings = (app or current_app).config[SETTINGS_KEY]
    return found


def storage(app: Flask | None = None) -> Storage:
    """The blob store of ``app`` (default: the current app)."""
    found: Storage = (app or current_app).extensions[STORAGE_KEY]
    return found


def db_session() -> Session:
    """The database session of the current app context: the :class:`~sqlalchemy.orm.Session` behind
    Flask-SQLAlchemy's ``db.session`` proxy, which is what domain functions are typed to take."""
    return db.session()
