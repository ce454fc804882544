"""Account errors and roles as people read them (gallery/http/accounts.py), in both languages."""

from __future__ import annotations

import flask_babel
import pytest
from flask import Flask

from gallery.accounts.passwords import WeakPasswordError
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.http.accounts import PASSWORD_FEEDBACK, problem_text, role_label
from gallery.models import Role


@pytest.mark.parametrize(
    ("error", "english", "polish"),
    [
        (ConflictError("x", code="last_admin"), "last active admin", "ostatni aktywny administrator"),
        (ConflictError("x", code="self_deactivation"), "your own account", "własnego konta"),
        (ConflictError("x", field="email"), "already exists", "już istnieje"),
        (ValidationError("x", field="email"), "valid e-mail", "prawidłowy adres"),
        (WeakPasswordError("x"), "at least 10 characters", "co najmniej 10 znaków"),
        (WeakPasswordError("x", ("This is a very common password.",)), "very common", "bardzo popularne"),
        (NotFoundError("x"), "Not found", "Nie znaleziono"),
    ],
)
def test_problem_text_in_both_languages(app: Flask, error: Exception, english: str, polish: str) -> None:
    for language, expected in (("en", english), ("pl", polish)):
        flask_babel.refresh()
        with app.test_request_context("/", headers={"Accept-Language": language}):
            assert expected in problem_text(error)  # type: ignore[arg-type]
    flask_babel.refresh()


def test_every_password_feedback_sentence_is_translated(app: Flask) -> None:
    flask_babel.refresh()
    with app.test_request_context("/", headers={"Accept-Language": "pl"}):
        untranslated = [m for m in PASSWORD_FEEDBACK if flask_babel.gettext(m) == m]
        labels = [role_label(role) for role in Role]
    flask_babel.refresh()
    assert untranslated == []
    assert labels == ["administrator", "redaktor", "fotograf"]
