"""The application factory: settings → extensions → blueprints."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from gallery.app import create_app, flask_config, template_folder
from gallery.config import load_settings
from gallery.http import context


def test_flask_config_follows_the_settings(tmp_path: Path) -> None:
    base = {"GALLERY_INSTANCE_PATH": str(tmp_path), "GALLERY_SECRET_KEY": "k" * 40}
    production = flask_config(
        load_settings({**base, "GALLERY_ENV": "production", "GALLERY_BASE_URL": "https://photos.example.org"})
    )
    assert production["SESSION_COOKIE_SECURE"] and production["REMEMBER_COOKIE_SECURE"]
    assert production["TRUSTED_HOSTS"] == ["photos.example.org"]
    assert production["SQLALCHEMY_ENGINE_OPTIONS"] == {"connect_args": {"timeout": 30}}  # the default SQLite
    assert production["CELERY"]["task_always_eager"] is True
    development = flask_config(load_settings({**base, "GALLERY_ENV": "development", "GALLERY_MAX_UPLOAD_MB": "10"}))
    assert not development["SESSION_COOKIE_SECURE"] and development["TRUSTED_HOSTS"] is None
    assert development["MAX_CONTENT_LENGTH"] == 11 * 1024 * 1024


def test_the_app_is_wired(app: Flask) -> None:
    assert set(app.blueprints) == {"web", "manage", "api", "embed"}
    assert app.url_map.bind("localhost").match("/manage/")[0].startswith("manage.")
    assert app.url_map.bind("localhost").match("/api/v1/events", method="POST")[0].startswith("api.")
    assert "gallery" in app.cli.commands
    assert app.extensions["celery"].conf.task_always_eager
    assert context.storage(app) is app.extensions[context.STORAGE_KEY]
    assert Path(app.template_folder or "") == template_folder()
    assert (template_folder() / "base.html").is_file()


def test_max_upload_sets_flask_content_limit(tmp_path: Path) -> None:
    app = create_app(
        {
            "GALLERY_ENV": "testing",
            "GALLERY_INSTANCE_PATH": str(tmp_path),
            "GALLERY_SECRET_KEY": "k" * 40,
            "GALLERY_MAX_UPLOAD_MB": "3",
            "GALLERY_LOG_LEVEL": "WARNING",
        }
    )
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert 3 * 1024 * 1024 <= limit <= 5 * 1024 * 1024
