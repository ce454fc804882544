"""JSON API v1 (``/api/v1``), bearer-token authentication."""

from __future__ import annotations

from flask import Blueprint, g, request

from ..extensions import db
from ..permissions import ApiAuthError
from ..services import accounts

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
    user = accounts.user_for_token(db.session, secret.strip())
    if user is None:
        db.session.rollback()
        raise ApiAuthError(401, "unauthorized", "the API token is invalid or revoked")
    db.session.commit()  # last_used_at
    g.api_user = user


from . import events, photos  # noqa: E402,F401
