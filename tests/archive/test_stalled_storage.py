"""A stalled object store (accepts connections, never answers) under real web servers: Flask's
threaded server and gunicorn with two workers (-c gunicorn.conf.py).  Every request answers 503
with the contract's JSON error within its storage time budget (GALLERY_S3_TOTAL_TIMEOUT), no
worker is killed, and the defaults add up below gunicorn.conf.py's timeout."""

from __future__ import annotations

import json
import os
import runpy
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from gallery.config import ConfigError, load_settings, worker_timeout
from gallery.extensions import db
from gallery.models import Photo, Role
from tests.archive.conftest import jpeg, leftover_temp_files, make_album
from tests.archive.faults import PROJECT, Child, child_env
from tests.conftest import DATABASES, make_token, make_user
from tests.storage.s3server import blackhole_endpoint, moto_env

# Small limits: one attempt may take 2.5 s, four would take 10 s and more; the budget is 3 s.
SMALL = {
    "GALLERY_S3_CONNECT_TIMEOUT": "0.5",
    "GALLERY_S3_READ_TIMEOUT": "2",
    "GALLERY_S3_MAX_ATTEMPTS": "4",
    "GALLERY_S3_TOTAL_TIMEOUT": "3",
}
SLACK = 1.5  # request handling and scheduling on a shared machine; far below one more attempt


@pytest.fixture
def stalled(make_instance, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, str]]]:
    """A hung S3 endpoint and the AWS variables pointing at it (set in this process too)."""
    with blackhole_endpoint() as endpoint:
        env = moto_env(endpoint)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield endpoint, env


def _instance(make_instance, endpoint: str, **overrides: str) -> tuple[Flask, str, str]:
    """An instance on the stalled store with an editor's token and an album."""
    app = make_instance(GALLERY_STORAGE_URL="s3://stalled-bucket/media", GALLERY_S3_ENDPOINT_URL=endpoint, **overrides)
    with app.app_context():
        token = make_token(make_user(Role.editor))
        slug = make_album("stalled").slug
        db.session.remove()
    return app, token, slug


def _post_photo(base: str, token: str, slug: str, timeout: float = 120) -> tuple[int, dict, float]:
    boundary = "stall-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + jpeg(1)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{base}/api/v1/albums/{slug}/photos",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    return status, json.loads(raw), time.monotonic() - started


def _get(url: str, timeout: float = 10) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return int(answer.status)


def _assert_503_and_nothing_saved(app: Flask, status: int, body: dict, elapsed: float, budget: float) -> None:
    assert status == 503, body
    assert body["error"]["code"] == "storage_unavailable", body
    assert "nothing was saved" in body["error"]["message"]
    assert elapsed < budget + SLACK, f"answered after {elapsed:.1f} s; the budget is {budget:g} s"
    with app.app_context():
        assert db.session.scalar(select(func.count(Photo.id))) == 0
        db.session.remove()
    assert leftover_temp_files(app) == []


@pytest.mark.parametrize("database_url", [DATABASES[-1]], indirect=True)  # about the web server, not the database
def test_flask_threaded_server_answers_503_within_the_budget(make_instance, stalled) -> None:
    endpoint, _env = stalled
    app, token, slug = _instance(make_instance, endpoint, **SMALL)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        result: dict[str, tuple[int, dict, float]] = {}
        upload = threading.Thread(target=lambda: result.update(upload=_post_photo(base, token, slug)))
        upload.start()
        time.sleep(1.0)  # the upload is waiting for the store now; other requests are served meanwhile
        started = time.monotonic()
        assert _get(f"{base}/healthz") == 200
        assert time.monotonic() - started < 1.0
        upload.join(60)
        _assert_503_and_nothing_saved(app, *result["upload"], budget=3.0)
    finally:
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _booted(child: Child) -> list[str]:
    return [line.rsplit(" ", 1)[-1] for line in child.lines if "Booting worker with pid" in line]


@pytest.mark.parametrize("database_url", [DATABASES[-1]], indirect=True)  # about the web server, not the database
@pytest.mark.parametrize(
    "worker_args",
    [[], ["--worker-class", "sync", "--threads", "1", "--timeout", "5"]],
    ids=["as-shipped", "sync-timeout-5s"],
)
def test_gunicorn_answers_503_within_the_budget_and_keeps_its_workers(
    make_instance, stalled, worker_args: list[str]
) -> None:
    """gunicorn.conf.py as shipped (threads), and sync workers whose timeout (5 s) is just above
    the budget (3 s): without the budget a stalled store (four attempts, 10 s and more) would
    get such a worker killed and the client a dropped connection."""
    endpoint, aws = stalled
    app, token, slug = _instance(make_instance, endpoint, **SMALL)
    settings = app.config["GALLERY_SETTINGS"]
    env = child_env(
        GALLERY_ENV="testing",
        GALLERY_INSTANCE_PATH=str(settings.instance_path),
        GALLERY_DATABASE_URL=settings.database_url,
        GALLERY_STORAGE_URL=settings.storage_url,
        GALLERY_SECRET_KEY=settings.secret_key,
        GALLERY_RATELIMIT_STORAGE_URL="memory://",
        GALLERY_LOG_LEVEL="INFO",
        **SMALL,
        **aws,  # AWS_* and GALLERY_S3_ENDPOINT_URL
    )
    port = _free_port()
    child = Child(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            *worker_args,
        ],
        env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while len(_booted(child)) < 2 or not _answers(f"{base}/healthz"):
            assert child.proc.poll() is None and time.monotonic() < deadline, child.output
            time.sleep(0.2)
        workers = _booted(child)

        status, body, elapsed = _post_photo(base, token, slug)
        _assert_503_and_nothing_saved(app, status, body, elapsed, budget=3.0)

        time.sleep(max(0.0, 6.0 - elapsed))  # past a 5 s worker timeout, counted from the request
        assert _get(f"{base}/healthz") == 200
        assert "WORKER TIMEOUT" not in child.output, child.output
        assert _booted(child) == workers, child.output  # no worker was replaced
    finally:
        child.stop()


def _answers(url: str) -> bool:
    try:
        return _get(url, timeout=2) == 200
    except (OSError, urllib.error.URLError):
        return False


def test_default_limits_add_up_below_gunicorns_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GALLERY_S3_"):
            monkeypatch.delenv(name)
    conf = runpy.run_path(str(PROJECT / "gunicorn.conf.py"))
    settings = load_settings({"GALLERY_INSTANCE_PATH": str(tmp_path)})
    connect, read, attempts, total = (
        settings.s3_connect_timeout,
        settings.s3_read_timeout,
        settings.s3_max_attempts,
        settings.s3_total_timeout,
    )
    assert (connect, read, attempts, total) == (3, 15, 2, 25)
    assert conf["timeout"] == 60 and conf["wsgi_app"] == "wsgi:app"
    assert connect + read <= total  # one whole attempt fits in the budget
    assert attempts * (connect + read) > total  # ... and the budget, not the attempts, is the limit
    # The longest a request can wait for storage: the budget, plus a connection being opened when
    # it runs out (bounded by the connect timeout); then the margin for everything else.
    assert total + connect < conf["timeout"]


def test_total_timeout_is_checked_against_the_others(tmp_path: Path) -> None:
    base = {"GALLERY_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError) as info:
        load_settings({**base, "GALLERY_S3_READ_TIMEOUT": "60"})
    assert str(info.value) == (
        "GALLERY_S3_TOTAL_TIMEOUT=25 is shorter than one attempt: GALLERY_S3_CONNECT_TIMEOUT (3 s) + "
        "GALLERY_S3_READ_TIMEOUT (60 s) = 63 s; raise the total or lower the others"
    )
    assert (
        load_settings({**base, "GALLERY_S3_READ_TIMEOUT": "60", "GALLERY_S3_TOTAL_TIMEOUT": "90"}).s3_total_timeout
        == 90
    )
    with pytest.raises(ConfigError, match="is not a number"):
        load_settings({**base, "GALLERY_S3_TOTAL_TIMEOUT": "soon"})
    with pytest.raises(ConfigError, match="out of range"):
        load_settings({**base, "GALLERY_S3_TOTAL_TIMEOUT": "0"})
    assert worker_timeout({"GALLERY_S3_TOTAL_TIMEOUT": "100.5"}) == 136
    assert worker_timeout({}) == 60


@pytest.mark.slow
@pytest.mark.parametrize("database_url", [DATABASES[-1]], indirect=True)
def test_with_the_default_limits_a_stalled_store_is_answered_within_25_s(make_instance, stalled) -> None:
    """The defaults for real (3 s connect, 15 s read, 2 attempts, 25 s in all): under the old
    ones (5 s, 60 s, 3 attempts) this request hung for 180 s."""
    endpoint, _env = stalled
    app, token, slug = _instance(make_instance, endpoint)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status, body, elapsed = _post_photo(f"http://127.0.0.1:{server.server_port}", token, slug)
        _assert_503_and_nothing_saved(app, status, body, elapsed, budget=25.0)
        assert elapsed > 15, f"{elapsed:.1f} s: the second attempt was not made"
        assert elapsed < runpy.run_path(str(PROJECT / "gunicorn.conf.py"))["timeout"]
    finally:
        server.shutdown()
        server.server_close()
