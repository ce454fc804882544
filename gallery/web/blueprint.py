"""The ``web`` blueprint (visitor pages).  Its own module, so that the view modules that add routes
to it do not import the package that imports them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__)
