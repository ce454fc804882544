"""JSON API v1 (``/api/v1``), bearer-token authentication."""

from __future__ import annotations

from flask import Blueprint, g, request
from sqlalchemy.exc import OperationalError

from gallery.accounts import users as accounts
from gallery.core.permissions import ApiAuthError
from gallery.extensions import db

bp = Blueprint("api", __name__)


@bp.before_request
def _authenticate() -> None:
    g.api_user = None
    header = request.headers.get("Authorization", "")
    if not header:
        return
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiAuthError(401, "unauthorized", "use the header Authorization: Bearer TOKEN")
    token = accounts.token_for_secret(db.session, secret.strip())
    if token is None:
        raise ApiAuthError(401, "unauthorized", "the API token is invalid or revoked")
    user = token.user
    if accounts.token_needs_touch(token):
        try:
            accounts.touch_token(db.session, token.id)
            db.session.commit()
        except OperationalError:  # best effort: a busy SQLite must not fail the request
            db.session.rollback()
    g.api_user = user


from gallery.api import clock, events, openapi, photos  # noqa: E402,F401
