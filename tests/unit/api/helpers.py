"""Calling the API in tests: JSON requests with a role's token, every page of a list."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def call(client: FlaskClient, method: str, path: str, token: str | None = None, **kwargs: Any) -> TestResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


def every_page(client: FlaskClient, path: str, bearer: str | None = None, **query: Any) -> list[list[dict[str, Any]]]:
    """The items of every page of a list, page by page, following ``next``."""
    pages: list[list[dict[str, Any]]] = []
    params = dict(query)
    while True:
        response = call(client, "GET", path, bearer, query_string=params)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert set(body) == {"items", "next"}
        pages.append(body["items"])
        if body["next"] is None:
            return pages
        params["cursor"] = body["next"]


def error(response: TestResponse, status: int) -> dict[str, Any]:
    """The contract's error body of a ``status`` answer."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return body["error"]
