"""The one accessor for the settings and the one for the storage of the running app.

Views (web, manage, api, embed, cli), the HTTP helpers and the tasks call :func:`settings` and
:func:`storage`; domain functions never do: they are given the settings or the store as arguments.
:func:`install` is how the app factory puts them in place."""

from __future__ import annotations

from flask import Flask, current_app

from gallery.config import Settings
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
