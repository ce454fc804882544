"""The login and logout pages (gallery/web/auth.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import AuditLog, User
from tests.conftest import csrf_from, login


def test_login_form_records_the_login(client: FlaskClient, users: dict[str, User]) -> None:
    login(client, users["editor"].email)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "user.login"))
    assert entry is not None and entry.user_id == users["editor"].id and entry.details["via"] == "web"
    assert users["editor"].last_login_at is not None


def test_login_form_error_keeps_the_email_and_says_why(client: FlaskClient, users: dict[str, User]) -> None:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": users["editor"].email, "password": "nope", "csrf_token": token})
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert users["editor"].email in html
    assert "nope" not in html  # the password is never echoed back
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "user.login")) is None
