"""Template globals and filters shared by every page."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_babel import get_locale
from flask_login import current_user

from gallery.core.permissions import Permission, has_permission
from gallery.http import formatting
from gallery.http.accounts import role_label
from gallery.http.urls import absolute

LANGUAGE_NAMES = {"pl": "Polski", "en": "English"}


def init_app(app: Flask) -> None:
    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "current_locale": str(get_locale() or "en"),
            "language_names": LANGUAGE_NAMES,
            "can": lambda permission: has_permission(current_user, Permission(permission)),
            "request_id": g.get("request_id"),
        }

    formatting.init_app(app)  # day, date_range, datetime, number, ngettext
    # role_label(role): a role's name in the visitor's language (gallery.http.accounts)
    app.add_template_global(role_label, "role_label")

    @app.template_global()
    def current_path() -> str:
        return request.full_path.rstrip("?")

    # absolute_url(path): this site's absolute URL for a path (see gallery.http.urls)
    app.add_template_global(absolute, "absolute_url")
