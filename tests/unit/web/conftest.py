"""What the tests of the visitor-facing views share: logging in and failing to."""

from __future__ import annotations

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import csrf_from


def failed_login(client: FlaskClient, email: str, password: str = "wrong password") -> TestResponse:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})
