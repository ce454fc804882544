"""What admins do to accounts (gallery/accounts/admin.py): the last active admin rule, no
self-deactivation, roles, reset links, per-user token revocation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.accounts import admin, links, sessions
from gallery.core.audit import SYSTEM, Actor
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.extensions import db
from gallery.models import ApiToken, LoginSession, Role, User
from tests.conftest import make_token, make_user


def test_add_user_has_no_password_and_a_link(app: Flask) -> None:
    created = admin.add_user(db.session, email="Anna@Example.ORG", role="photographer", name="Anna", actor=SYSTEM)
    assert created.user.email == "Anna@example.org" and created.user.password_hash is None
    assert links.find(db.session, created.link.secret).purpose == "invite"
    with pytest.raises(ValidationError):
        admin.add_user(db.session, email="b@example.org", role="owner", actor=SYSTEM)


def test_the_last_active_admin_stays(app: Flask) -> None:
    boss = make_user(Role.admin, "boss@example.org")
    with pytest.raises(ConflictError) as demoted:
        admin.change_role(db.session, user=boss, role=Role.editor, actor=SYSTEM)
    assert demoted.value.code == "last_admin" and boss.role == Role.admin
    with pytest.raises(ConflictError):
        admin.set_active(db.session, user=boss, active=False, actor=SYSTEM)
    # an inactive admin does not count as the other admin
    other = make_user(Role.admin, "other@example.org")
    other.active = False
    db.session.flush()
    with pytest.raises(ConflictError):
        admin.change_role(db.session, user=boss, role=Role.photographer, actor=SYSTEM)
    other.active = True
    db.session.flush()
    assert admin.change_role(db.session, user=boss, role=Role.photographer, actor=SYSTEM) is True
    assert admin.change_role(db.session, user=boss, role=Role.photographer, actor=SYSTEM) is False


def test_nobody_deactivates_themselves(app: Flask) -> None:
    me = make_user(Role.admin, "me@example.org")
    make_user(Role.admin, "you@example.org")
    with pytest.raises(ConflictError) as refused:
        admin.set_active(db.session, user=me, active=False, actor=Actor(user=me, via="web"))
    assert refused.value.code == "self_deactivation" and me.active


def test_deactivation_ends_sessions_tokens_and_links(app: Flask) -> None:
    make_user(Role.admin)
    ola = make_user(Role.editor, "ola@example.org")
    session_id = sessions.start(db.session, ola)
    make_token(ola)
    link = admin.reset_link(db.session, user=ola, actor=SYSTEM)
    ended = admin.set_active(db.session, user=ola, active=False, actor=SYSTEM)
    db.session.commit()
    assert (ended.sessions, ended.tokens) == (1, 1)
    assert sessions.load_user(db.session, session_id) is None
    assert db.session.scalar(sa.select(sa.func.count(LoginSession.id))) == 0
    assert db.session.scalar(sa.select(ApiToken.revoked_at)) is not None
    with pytest.raises(NotFoundError):
        links.find(db.session, link.secret)


def test_set_password_ends_links(app: Flask) -> None:
    ola = make_user(Role.editor, "ola@example.org")
    link = admin.reset_link(db.session, user=ola, actor=SYSTEM)
    admin.set_password(db.session, user=ola, password="violet piano under seventeen lamps", actor=SYSTEM)
    with pytest.raises(NotFoundError):
        links.find(db.session, link.secret)


def test_tokens_listed_and_revoked_per_user(app: Flask) -> None:
    ola, pia = make_user(Role.editor, "ola@example.org"), make_user(Role.photographer, "pia@example.org")
    make_token(ola)
    make_token(ola)
    make_token(pia)
    tokens = admin.user_tokens(db.session, ola)
    assert len(tokens) == 2 and all(t.user_id == ola.id for t in tokens)
    pia_token = admin.user_tokens(db.session, pia)[0]
    with pytest.raises(NotFoundError):
        admin.revoke_user_token(db.session, user=ola, token_id=pia_token.id, actor=SYSTEM)
    revoked = admin.revoke_user_token(db.session, user=ola, token_id=tokens[0].id, actor=SYSTEM)
    assert revoked.revoked_at is not None
    assert admin.user_tokens(db.session, ola)[-1].id == revoked.id  # live ones first
    rows = {row.user.email: row.live_tokens for row in admin.list_users(db.session)}
    assert rows == {"ola@example.org": 1, "pia@example.org": 1}
    with pytest.raises(NotFoundError):
        admin.get_user(db.session, 999999)
    assert isinstance(admin.get_user(db.session, ola.id), User)
