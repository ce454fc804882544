"""Unit tests for gallery.archive.readiness: each part checked, failures named, never raised."""

from __future__ import annotations

import socket

from flask import Flask

from gallery.archive.readiness import check_readiness
from gallery.extensions import db
from gallery.storage import MemoryStorage
from gallery.storage.base import StorageError


class _DownStorage(MemoryStorage):
    """A store whose every lookup fails the way an unreachable endpoint does."""

    def exists(self, key: str) -> bool:
        raise StorageError("cannot reach s3://bucket at http://127.0.0.1:1: connection refused")


def _refused_port() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    return sock


def test_all_parts_answer_and_the_broker_is_not_configured(app: Flask) -> None:
    with app.app_context():
        result = check_readiness(db.session(), MemoryStorage(), broker_url=None)
    assert result.ok
    assert result.as_dict() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "broker": "not configured"},
    }


def test_a_failing_store_is_named_with_its_reason(app: Flask) -> None:
    with app.app_context():
        result = check_readiness(db.session(), _DownStorage(), broker_url=None)
    body = result.as_dict()
    assert not result.ok and body["status"] == "fail"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["storage"].startswith("fail: ") and "connection refused" in body["checks"]["storage"]


def test_an_unreachable_broker_fails_within_its_bound(app: Flask) -> None:
    with _refused_port() as sock, app.app_context():
        port = sock.getsockname()[1]
        result = check_readiness(db.session(), MemoryStorage(), broker_url=f"redis://127.0.0.1:{port}/0", timeout=1.0)
    assert not result.ok
    assert result.as_dict()["checks"]["broker"].startswith("fail: ")
    assert result.as_dict()["checks"]["storage"] == "ok"


def test_a_reachable_broker_is_ok(app: Flask) -> None:
    with app.app_context():
        result = check_readiness(db.session(), MemoryStorage(), broker_url="redis://127.0.0.1:6379/15")
    assert result.ok and result.as_dict()["checks"]["broker"] == "ok"


def test_an_unreachable_database_is_named(tmp_path) -> None:
    from tests.conftest import make_app

    with _refused_port() as sock:
        app = make_app(tmp_path, f"postgresql://postgres@127.0.0.1:{sock.getsockname()[1]}/gallery")
        with app.app_context():
            result = check_readiness(db.session(), MemoryStorage(), broker_url=None)
    assert not result.ok
    assert result.as_dict()["checks"]["database"].startswith("fail: ")
    assert result.as_dict()["checks"]["storage"] == "ok"
