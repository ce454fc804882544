"""Every user's own settings (gallery/accounts/profile.py): name, default credit, password, tokens."""

from __future__ import annotations

import pytest
from flask import Flask

from gallery.accounts import profile, sessions
from gallery.core.audit import SYSTEM
from gallery.core.errors import NotFoundError, ValidationError
from gallery.extensions import db
from gallery.models import Role, User
from tests.conftest import PASSWORD, make_token, make_user

NEW_PASSWORD = "violet piano under seventeen lamps"


@pytest.fixture
def ola(app: Flask) -> User:
    user = make_user(Role.photographer, "ola@example.org")
    user.name = "Ola Nowak"
    db.session.commit()
    return user


def test_default_credit_is_the_name_unless_chosen(ola: User) -> None:
    assert profile.default_credit(ola) == "Ola Nowak"
    assert profile.update_profile(db.session, user=ola, name=" Ola  Nowak ", default_credit="  ", actor=SYSTEM) is False
    assert profile.update_profile(db.session, user=ola, name="Ola", default_credit="EU / Ola N.", actor=SYSTEM)
    assert (ola.name, ola.default_credit, profile.default_credit(ola)) == ("Ola", "EU / Ola N.", "EU / Ola N.")
    with pytest.raises(ValidationError) as too_long:
        profile.update_profile(db.session, user=ola, name="x" * 201, default_credit="", actor=SYSTEM)
    assert too_long.value.field == "name"


def test_password_change_needs_the_current_one_and_ends_sessions(ola: User) -> None:
    session_id = sessions.start(db.session, ola)
    make_token(ola)
    with pytest.raises(ValidationError) as wrong:
        profile.change_password(db.session, user=ola, current="nope", new=NEW_PASSWORD, actor=SYSTEM)
    assert wrong.value.code == "wrong_password"
    ended = profile.change_password(db.session, user=ola, current=PASSWORD, new=NEW_PASSWORD, actor=SYSTEM)
    db.session.commit()
    assert (ended.sessions, ended.tokens) == (1, 1)
    assert sessions.load_user(db.session, session_id) is None


def test_own_tokens_only(ola: User) -> None:
    issued = profile.create_own_token(db.session, user=ola, name="  lightroom  ", actor=SYSTEM)
    assert issued.token.name == "lightroom" and issued.secret.startswith("gal_")
    other = make_user(Role.editor, "pia@example.org")
    make_token(other)
    with pytest.raises(NotFoundError):
        profile.revoke_own_token(db.session, user=other, token_id=issued.token.id, actor=SYSTEM)
    assert profile.revoke_own_token(db.session, user=ola, token_id=issued.token.id, actor=SYSTEM).revoked_at
