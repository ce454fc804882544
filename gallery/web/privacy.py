"""The public privacy page: how a person in a photo gets it hidden, blurred or erased."""

from __future__ import annotations

from flask import render_template

from gallery.web.blueprint import bp


@bp.route("/privacy")
def privacy() -> str:
    return render_template("web/privacy.html")
