"""Application factory: configuration → extensions → storage → blueprints → CLI."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from gallery.accounts.sessions import LIFETIME as LOGIN_LIFETIME
from gallery.config import ConfigError, Settings, load_settings
from gallery.extensions import babel, csrf, db, limiter, login_manager, migrate
from gallery.media import budget as decode_budget
from gallery.storage import LocalStorage, Storage

PACKAGE_DIR = Path(__file__).resolve().parent
LANGUAGES = ("pl", "en")


def template_folder() -> Path:
    """The wheel ships the templates as gallery/templates (scripts/hatch_build.py); the checkout
    and an editable install keep them in the top-level templates/."""
    packaged = PACKAGE_DIR / "templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates"


def build_storage(settings: Settings) -> Storage:
    """The only place that picks a storage backend."""
    parts = urlsplit(settings.storage_url)
    if parts.scheme == "file":
        return LocalStorage(Path(unquote(parts.path)), public_base_url=settings.public_media_url)
    if parts.scheme == "s3":
        from gallery.storage.s3 import S3Storage

        return S3Storage(
            parts.netloc,
            parts.path.strip("/"),
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            public_base_url=settings.public_media_url,
            connect_timeout=settings.s3_connect_timeout,
            read_timeout=settings.s3_read_timeout,
            max_attempts=settings.s3_max_attempts,
            checksum_when_required=settings.s3_checksum_mode == "when_required",
        )
    raise ConfigError(f"unsupported storage URL scheme {parts.scheme!r}: use file:// or s3://")


def _configure_logging(settings: Settings) -> None:
    root = logging.getLogger("gallery")
    root.setLevel(settings.log_level)
    if not any(getattr(h, "_gallery", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._gallery = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.propagate = False


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide where transactions begin (needed for
    # SAVEPOINTs), and make SQLite enforce foreign keys and wait for locks.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # SQLite cannot upgrade a read snapshot to a write once another connection
    # has committed ("database is locked", without waiting).  Requests that may
    # write take the write lock up front (waiting up to busy_timeout); reads,
    # CLI commands and tasks start deferred and keep their writes write-first.
    if has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def _select_locale() -> str:
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    ``overrides`` may hold ``GALLERY_*`` variables (they win over the
    environment) and plain Flask config keys such as ``TESTING``."""
    import os

    overrides = dict(overrides or {})
    env = {**os.environ, **{k: str(v) for k, v in overrides.items() if k.startswith("GALLERY_")}}
    settings = load_settings(env)
    _configure_logging(settings)
    decode_budget.configure(settings.decode_budget_mp, settings.decode_wait_seconds)  # per process: -w N makes N budgets

    app = Flask(
        "gallery",
        instance_path=str(settings.instance_path),
        template_folder=str(template_folder()),
        static_folder=str(PACKAGE_DIR / "static"),
    )
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    from gallery.http.request import GalleryRequest

    upload_tmp = settings.instance_path / "tmp"
    upload_tmp.mkdir(exist_ok=True)

    class _Request(GalleryRequest):
        upload_tmp_dir = str(upload_tmp)

    app.request_class = _Request
    if settings.trusted_proxies:
        # remote_addr (rate limits, audit log) is the client the nearest N proxies saw;
        # addresses an attacker puts further left in X-Forwarded-For are ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.config.update(
        GALLERY_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        MAX_FORM_PARTS=1000,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.production,
        REMEMBER_COOKIE_DURATION=LOGIN_LIFETIME,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="en",
        BABEL_TRANSLATION_DIRECTORIES=str(PACKAGE_DIR / "translations"),
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_url,
        RATELIMIT_HEADERS_ENABLED=True,
        JSON_SORT_KEYS=False,
        # GALLERY_BASE_URL's host only (None: any host, in development and testing)
        TRUSTED_HOSTS=list(settings.trusted_hosts) or None,
        TESTING=settings.env == "testing",
    )
    if settings.database_url.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    app.config.update({k: v for k, v in overrides.items() if not k.startswith("GALLERY_")})

    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_pragmas):
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message_category = "info"

    app.extensions["gallery_storage"] = build_storage(settings)
    from gallery.storage import deadline as storage_deadline

    # All storage calls of one request share GALLERY_S3_TOTAL_TIMEOUT seconds (503 when spent).
    storage_deadline.init_app(app, settings.s3_total_timeout)

    from gallery import tasks

    tasks.init_celery(app)

    from gallery.http import security

    security.init_app(app)

    from gallery.api import bp as api_bp
    from gallery.manage import bp as manage_bp
    from gallery.web import bp as web_bp

    app.register_blueprint(web_bp)
    app.register_blueprint(manage_bp, url_prefix="/manage")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    from gallery.embed import bp as embed_bp

    app.register_blueprint(embed_bp)
    csrf.exempt(api_bp)

    from gallery.http import errorpages, templating

    errorpages.init_app(app)
    templating.init_app(app)

    from gallery.cli import gallery_cli

    app.cli.add_command(gallery_cli)
    return app


def get_storage(app: Flask | None = None) -> Storage:
    from flask import current_app

    return (app or current_app).extensions["gallery_storage"]  # type: ignore[no-any-return]


def get_settings(app: Flask | None = None) -> Settings:
    from flask import current_app

    return (app or current_app).config["GALLERY_SETTINGS"]  # type: ignore[no-any-return]
