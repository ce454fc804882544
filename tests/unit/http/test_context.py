"""The one accessor for the settings and the one for the storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from gallery.config import load_settings
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
