"""Application factory: settings → extensions → blueprints.  Wiring only: what is wired lives in
its own module (storage backend: :mod:`gallery.storage.factory`, database engine:
:mod:`gallery.db`, logging: :mod:`gallery.logs`, locale: :mod:`gallery.http.locale`, Celery:
:mod:`gallery.tasks`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gallery import api, embed, manage, web
from gallery.accounts import models as account_models  # noqa: F401  (the metadata knows the table)
from gallery.accounts.sessions import LIFETIME as LOGIN_LIFETIME
from gallery.cli import gallery_cli
from gallery.config import Settings, load_settings
from gallery.consent import models as consent_models  # noqa: F401  (the metadata knows the tables)
from gallery.db import configure_postgresql, configure_sqlite, engine_options
from gallery.extensions import babel, csrf, db, limiter, login_manager, migrate
from gallery.http import context, errorpages, security, templating
from gallery.http import metrics as http_metrics
from gallery.http.locale import DEFAULT_LANGUAGE, select_locale
from gallery.http.request import may_write, request_class
from gallery.logs import configure_logging
from gallery.media import budget as decode_budget
from gallery.photos import tallies as album_tallies  # noqa: F401  (the table and the triggers that keep it)
from gallery.schedule import models as schedule_models  # noqa: F401  (the metadata knows the table)
from gallery.search import index as search_index  # noqa: F401  (the index is kept current after each flush)
from gallery.search import models as search_models  # the metadata knows the table; migrations compare it
from gallery.storage import deadline as storage_deadline
from gallery.storage.factory import build_storage
from gallery.tasks import celery_config, celery_init_app
from gallery.uploads import models as uploads_models  # noqa: F401  (the metadata knows the table)

PACKAGE_DIR = Path(__file__).resolve().parent


def template_folder() -> Path:
    """The wheel ships the templates as gallery/templates (scripts/hatch_build.py); the checkout
    and an editable install keep them in the top-level templates/."""
    packaged = PACKAGE_DIR / "templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates"


def flask_config(settings: Settings) -> dict[str, Any]:
    """Flask's and its extensions' configuration, from the settings."""
    return {
        "SECRET_KEY": settings.secret_key,
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(settings.database_url),
        "MAX_CONTENT_LENGTH": settings.max_upload_bytes + 1024 * 1024,
        "MAX_FORM_PARTS": 1000,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": settings.production,
        "REMEMBER_COOKIE_DURATION": LOGIN_LIFETIME,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": DEFAULT_LANGUAGE,
        "BABEL_TRANSLATION_DIRECTORIES": str(PACKAGE_DIR / "translations"),
        "RATELIMIT_STORAGE_URI": settings.ratelimit_storage_url,
        "RATELIMIT_HEADERS_ENABLED": True,
        "JSON_SORT_KEYS": False,
        # GALLERY_BASE_URL's host only (None: any host, in development and testing)
        "TRUSTED_HOSTS": list(settings.trusted_hosts) or None,
        "TESTING": settings.env == "testing",
        "CELERY": celery_config(settings),
    }


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    ``overrides`` may hold ``GALLERY_*`` variables (they win over the
    environment) and plain Flask config keys such as ``TESTING``."""
    overrides = dict(overrides or {})
    env = {**os.environ, **{k: str(v) for k, v in overrides.items() if k.startswith("GALLERY_")}}
    settings = load_settings(env)
    configure_logging(settings.log_level, settings.log_format)
    decode_budget.configure(
        settings.decode_budget_mp, settings.decode_wait_seconds
    )  # per process: -w N makes N budgets

    app = Flask(
        "gallery",
        instance_path=str(settings.instance_path),
        template_folder=str(template_folder()),
        static_folder=str(PACKAGE_DIR / "static"),
    )
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    app.request_class = request_class(settings.instance_path / "tmp")
    if settings.trusted_proxies:
        # remote_addr (rate limits, audit log) is the client the nearest N proxies saw;
        # addresses an attacker puts further left in X-Forwarded-For are ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.config.update(flask_config(settings))
    app.config.update({k: v for k, v in overrides.items() if not k.startswith("GALLERY_")})
    context.install(app, settings, build_storage(settings))

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, begin_immediately=may_write)
        configure_postgresql(db.engine)
    migrate.init_app(
        app,
        db,
        directory=str(PACKAGE_DIR / "migrations"),
        render_as_batch=True,
        compare_type=True,
        include_object=search_models.include_object,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message_category = "info"
    # All storage calls of one request share GALLERY_S3_TOTAL_TIMEOUT seconds (503 when spent).
    storage_deadline.init_app(app, settings.s3_total_timeout)
    celery_init_app(app)
    security.init_app(app)
    http_metrics.init_app(app, settings)

    app.register_blueprint(web.bp)
    app.register_blueprint(manage.bp, url_prefix="/manage")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(embed.bp)
    csrf.exempt(api.bp)
    errorpages.init_app(app)
    templating.init_app(app)
    app.cli.add_command(gallery_cli)
    return app
