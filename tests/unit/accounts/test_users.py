"""Accounts service: users, argon2 passwords, API tokens; and the login form that uses it."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from gallery.accounts import users as accounts
from gallery.core.audit import SYSTEM
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.extensions import db
from gallery.models import ApiToken, AuditLog, Role, User, utcnow
from tests.conftest import PASSWORD, make_user


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("anna@example.org", "anna@example.org"),
        ("  Anna.Nowak@Example.ORG ", "Anna.Nowak@example.org"),
        ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
    ],
)
def test_normalise_email(raw: str, expected: str) -> None:
    assert accounts.normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "anna", "anna@", "@example.org", "anna@localhost", "an na@example.org", "a@b@c", "x" * 320 + "@example.org"],
)
def test_invalid_emails(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        accounts.normalise_email(raw)
    assert info.value.field == "email"


def test_create_user_and_audit(app: Flask) -> None:
    user = accounts.create_user(
        db.session, email="Jan@Example.org", role="photographer", password=PASSWORD, name="  Jan  ", actor=SYSTEM
    )
    db.session.commit()
    assert (user.email, user.role, user.name, user.active) == ("Jan@example.org", Role.photographer, "Jan", True)
    entry = db.session.scalar(sa.select(AuditLog))
    assert entry is not None and entry.action == "user.create" and entry.object_id == str(user.id)
    assert entry.details == {"via": "cli", "email": "Jan@example.org", "role": "photographer"}
    assert PASSWORD not in str(entry.details)


def test_duplicate_emails_are_refused_case_insensitively(app: Flask) -> None:
    make_user(Role.editor, "ola@example.org")
    for email in ("ola@example.org", "OLA@EXAMPLE.ORG", " Ola@example.org "):
        with pytest.raises(ConflictError):
            accounts.create_user(db.session, email=email, role="editor", password=PASSWORD, actor=SYSTEM)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_unknown_role_and_short_password(app: Flask) -> None:
    with pytest.raises(ValidationError, match="unknown role"):
        accounts.create_user(db.session, email="r@example.org", role="superuser", password=PASSWORD, actor=SYSTEM)
    with pytest.raises(ValidationError, match="at least 10"):
        accounts.create_user(db.session, email="r@example.org", role="editor", password="123456789", actor=SYSTEM)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_authenticate(app: Flask) -> None:
    user = make_user(Role.editor, "ewa@example.org")
    assert user.last_login_at is None
    assert accounts.authenticate(db.session, "EWA@example.org", PASSWORD) is user
    assert user.last_login_at is not None and abs(utcnow() - user.last_login_at) < timedelta(minutes=1)
    assert accounts.authenticate(db.session, "ewa@example.org", PASSWORD + "x") is None
    assert accounts.authenticate(db.session, "nobody@example.org", PASSWORD) is None
    assert accounts.authenticate(db.session, "not an email", PASSWORD) is None
    user.active = False
    assert accounts.authenticate(db.session, "ewa@example.org", PASSWORD) is None


def test_token_only_accounts_cannot_log_in(app: Flask, client: FlaskClient) -> None:
    accounts.create_user(db.session, email="bot@example.org", role="photographer", password=None, actor=SYSTEM)
    db.session.commit()
    assert accounts.authenticate(db.session, "bot@example.org", "") is None
    assert accounts.authenticate(db.session, "bot@example.org", PASSWORD) is None


def test_outdated_hashes_are_upgraded_on_login(app: Flask) -> None:
    user = make_user(Role.editor, "old@example.org")
    old = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=2).hash(PASSWORD)
    user.password_hash = old
    db.session.commit()
    assert accounts.authenticate(db.session, "old@example.org", PASSWORD) is user
    db.session.commit()
    assert user.password_hash != old and user.password_hash.startswith("$argon2id$")
    assert not accounts._hasher.check_needs_rehash(user.password_hash)
    assert accounts.authenticate(db.session, "old@example.org", PASSWORD) is user


# --- tokens ----------------------------------------------------------------------------------------------


def test_tokens(app: Flask) -> None:
    user = make_user(Role.editor, "t@example.org")
    issued = accounts.create_token(db.session, user=user, name=" lightroom ", actor=SYSTEM)
    db.session.commit()
    assert issued.secret.startswith(accounts.TOKEN_PREFIX)
    assert issued.token.name == "lightroom" and issued.token.prefix == issued.secret[:12]
    assert accounts.user_for_token(db.session, issued.secret) is user
    for wrong in ("", issued.secret[:-1], issued.secret + "x", issued.secret.upper(), "x" * 10_000):
        assert accounts.user_for_token(db.session, wrong) is None
    other = accounts.create_token(db.session, user=user, actor=SYSTEM)
    assert other.secret != issued.secret


def test_revoke_token(app: Flask) -> None:
    user = make_user(Role.editor, "r@example.org")
    issued = accounts.create_token(db.session, user=user, actor=SYSTEM)
    keep = accounts.create_token(db.session, user=user, actor=SYSTEM)
    db.session.commit()
    token = accounts.revoke_token(db.session, prefix=issued.token.prefix, actor=SYSTEM)
    db.session.commit()
    assert token.revoked_at is not None
    assert accounts.user_for_token(db.session, issued.secret) is None
    assert accounts.user_for_token(db.session, keep.secret) is user  # only that one
    revoked_at = token.revoked_at
    accounts.revoke_token(db.session, prefix=issued.token.prefix, actor=SYSTEM)
    db.session.commit()
    assert token.revoked_at == revoked_at
    revokes = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "token.revoke")).all()
    assert len(revokes) == 1
    with pytest.raises(NotFoundError):
        accounts.revoke_token(db.session, prefix="gal_missing", actor=SYSTEM)


def test_tokens_of_deactivated_users_stop_working(app: Flask) -> None:
    user = make_user(Role.admin, "a@example.org")
    issued = accounts.create_token(db.session, user=user, actor=SYSTEM)
    db.session.commit()
    user.active = False
    db.session.commit()
    assert accounts.user_for_token(db.session, issued.secret) is None
    assert db.session.scalar(sa.select(ApiToken.revoked_at)) is None  # reactivating restores access
    user.active = True
    assert accounts.user_for_token(db.session, issued.secret) is user


def test_api_use_records_last_used_at(app: Flask, client: FlaskClient) -> None:
    user = make_user(Role.photographer, "p@example.org")
    issued = accounts.create_token(db.session, user=user, actor=SYSTEM)
    db.session.commit()
    assert issued.token.last_used_at is None
    response = client.post("/api/v1/events", json={}, headers={"Authorization": f"Bearer {issued.secret}"})
    assert response.status_code == 403  # authenticated, but not allowed
    db.session.expire_all()
    used = db.session.get(ApiToken, issued.token.id)
    assert used is not None and used.last_used_at is not None
    assert abs(utcnow() - used.last_used_at) < timedelta(minutes=1)


def database_text() -> str:
    """Every row of every table, as text."""
    chunks = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_passwords_are_argon2id_hashes(app: Flask, users: dict[str, User]) -> None:
    for user in users.values():
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
        assert PasswordHasher().verify(user.password_hash, PASSWORD)
    assert PASSWORD not in database_text()
    assert len({u.password_hash for u in users.values()}) == len(users)  # salted


def test_tokens_are_stored_hashed(app: Flask, client: FlaskClient, users: dict[str, User]) -> None:
    issued = accounts.create_token(db.session, user=users["editor"], name="lightroom", actor=SYSTEM)
    db.session.commit()
    secret = issued.secret
    assert len(secret) >= 40
    stored = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == issued.token.id))
    assert stored is not None
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(stored.prefix) and len(stored.prefix) < len(secret) // 2
    # use it once, so last_used_at and the audit log are written too
    response = client.post(
        "/api/v1/events",
        json={"title": "Hashed", "starts_on": "2024-01-01", "ends_on": "2024-01-01", "timezone": "UTC"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201
    dump = database_text()
    assert secret not in dump
    assert secret[len(stored.prefix) :] not in dump
