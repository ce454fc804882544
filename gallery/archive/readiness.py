"""Readiness (``/readyz``): can this process serve requests now — database, storage and broker?

Each part is checked on its own, bounded in time, and a failure is named with its reason, never
raised: a load balancer takes the process out of rotation on ``fail`` while ``/healthz`` (alive)
still answers. The storage probe is one lookup of a key that need not exist; within a web request it
runs under the request's storage deadline (``GALLERY_S3_TOTAL_TIMEOUT``). The database probe is
``SELECT 1`` (the engine's connect timeout bounds it). The broker is checked only when one is
configured (``GALLERY_CELERY_BROKER_URL``); otherwise it is reported as ``not configured``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from kombu import Connection
from sqlalchemy import text
from sqlalchemy.orm import Session

from gallery.storage import Storage

__all__ = ["NOT_CONFIGURED", "PROBE_KEY", "Readiness", "check_readiness"]

log = logging.getLogger("gallery.readiness")

PROBE_KEY = "_readyz/probe"
NOT_CONFIGURED = "not configured"
_REASON_LIMIT = 300


@dataclass
class Readiness:
    """Each part's answer: ``ok``, ``not configured`` or ``fail: <reason>``."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(answer.startswith("fail") for answer in self.checks.values())

    def as_dict(self) -> dict[str, object]:
        return {"status": "ok" if self.ok else "fail", "checks": dict(self.checks)}


def _run(name: str, probe: Callable[[], None]) -> str:
    try:
        probe()
    except Exception as exc:  # noqa: BLE001 - a readiness check reports failures, it does not raise them
        reason = " ".join(str(exc).split()) or type(exc).__name__
        log.warning("not ready: %s: %s", name, reason)
        return f"fail: {reason[:_REASON_LIMIT]}"
    return "ok"


def _database(session: Session) -> None:
    try:
        session.execute(text("SELECT 1"))
    finally:
        session.rollback()


def _storage(storage: Storage) -> None:
    storage.exists(PROBE_KEY)  # a lookup only: whether the probe key exists does not matter


def _broker(url: str, timeout: float) -> None:
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
    with Connection(url, connect_timeout=timeout, transport_options=options) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=max(1, round(timeout)))


def check_readiness(session: Session, storage: Storage, *, broker_url: str | None, timeout: float = 3.0) -> Readiness:
    """Check the database, the storage and (when configured) the broker; ``timeout`` bounds the broker."""
    result = Readiness()
    result.checks["database"] = _run("database", lambda: _database(session))
    result.checks["storage"] = _run("storage", lambda: _storage(storage))
    if broker_url:
        result.checks["broker"] = _run("broker", lambda: _broker(broker_url, timeout))
    else:
        result.checks["broker"] = NOT_CONFIGURED
    return result
