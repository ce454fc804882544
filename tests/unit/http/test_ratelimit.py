"""Whether login rate limits hold across web processes (gallery/http/ratelimit.py): the warning for workers
counting each on their own, and gunicorn's ``when_ready`` hook that logs it.  (Two real gunicorn workers:
tests/test_rate_limits.py.)"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from gallery.http.ratelimit import unshared_store_warning, when_ready


def test_one_process_or_a_shared_store_needs_no_warning() -> None:
    assert unshared_store_warning("memory://", 1) is None
    assert unshared_store_warning("redis://127.0.0.1:6379/1", 4) is None


def test_workers_counting_in_memory_are_warned_about_with_the_fix() -> None:
    warning = unshared_store_warning("memory://", 4)
    assert warning is not None
    assert "each of the 4 gunicorn workers separately" in warning and "allow 4 times the attempts" in warning
    assert "GALLERY_RATELIMIT_STORAGE_URL=memory://" in warning and "redis://" in warning


class _Log:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, message: str) -> None:
        self.warnings.append(message)


def _server(workers: int) -> SimpleNamespace:
    return SimpleNamespace(cfg=SimpleNamespace(workers=workers), log=_Log())


def test_when_ready_logs_the_warning_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GALLERY_RATELIMIT_STORAGE_URL", "memory://")
    monkeypatch.delenv("GALLERY_CELERY_BROKER_URL", raising=False)
    server = _server(3)
    when_ready(server)
    assert len(server.log.warnings) == 1 and "3 gunicorn workers" in server.log.warnings[0]
    monkeypatch.setenv("GALLERY_RATELIMIT_STORAGE_URL", "redis://127.0.0.1:6379/1")
    shared = _server(3)
    when_ready(shared)
    assert shared.log.warnings == []


def test_when_ready_leaves_a_bad_configuration_to_the_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GALLERY_STORAGE_URL", "ftp://x")
    server = _server(3)
    when_ready(server)  # no exception: the workers stop with the configuration's message
    assert server.log.warnings == []
