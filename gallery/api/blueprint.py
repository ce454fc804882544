"""The ``api`` blueprint (``/api/v1``): bearer-token authentication before every request.  Its own
module, so that the view modules that add routes to it do not import the package that imports them."""

from __future__ import annotations

from flask import Blueprint

from gallery.http.guard import authenticate_api_token

bp = Blueprint("api", __name__)
bp.before_request(authenticate_api_token)
