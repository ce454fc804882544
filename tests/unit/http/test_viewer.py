"""The viewer of a request (gallery/http/viewer.py): the acting user and the ``?token=`` it carries;
on public artefacts the token alone."""

from __future__ import annotations

from flask import Flask, g

from gallery.http.viewer import artefact_viewer, current_viewer, request_token
from gallery.models import User


def test_the_viewer_is_the_acting_user_with_the_token_of_the_url(app: Flask, users: dict[str, User]) -> None:
    editor = users["editor"]
    with app.test_request_context("/albums/x?token=abc_DEF-123"):
        g.api_user = editor
        assert request_token() == "abc_DEF-123"
        viewer = current_viewer()
        assert viewer.user is editor and viewer.tokens == ("abc_DEF-123",) and not viewer.public_artefact
        assert viewer.sees_private
        artefact = artefact_viewer()
        assert artefact.user is None and artefact.tokens == ("abc_DEF-123",) and artefact.public_artefact
        assert not artefact.sees_private
        assert artefact_viewer("other").tokens == ("other",)


def test_no_token_or_a_malformed_one_is_no_token(app: Flask) -> None:
    for query in ("", "?token=", "?token=" + "x" * 201, "?token=%3Cscript%3E"):
        with app.test_request_context("/albums/x" + query):
            assert current_viewer().tokens == (), query
            assert current_viewer().user is None
