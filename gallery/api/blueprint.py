"""The ``api`` blueprint (``/api/v1``): bearer-token authentication before every request.  Its own
module, so that the view modules that add routes to it do not import the package that imports them."""

from __future__ import annotations

from flask_smorest import Blueprint

from gallery.api.parser import GalleryParser
from gallery.http.guard import authenticate_api_token


class ApiBlueprint(Blueprint):
    """flask-smorest's blueprint (routes declare their schemas; :mod:`gallery.api.openapi` makes
    the document from them), reading requests with the contract's rules (:mod:`gallery.api.parser`)."""

    ARGUMENTS_PARSER = GalleryParser()


bp = ApiBlueprint("api", __name__)
bp.before_request(authenticate_api_token)
