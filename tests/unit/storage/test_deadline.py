"""The storage time budget of a request (gallery/storage/deadline.py) on S3 over real HTTP:
a hung endpoint (accepts connections, never answers), an endpoint whose body stalls, moto."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from flask import Flask

from gallery.storage import StorageError, deadline
from tests.storage.helpers import put_bytes
from tests.storage.s3server import make_s3_storage


@pytest.fixture(autouse=True)
def _no_budget_left_behind() -> Iterator[None]:
    yield
    deadline.stop()


def test_the_clock_starts_at_the_first_storage_call(moto_endpoint: str, aws_session: boto3.session.Session) -> None:
    """Time spent before the first storage call (receiving an upload) is not storage time; all
    calls after it share the rest."""
    store = make_s3_storage(moto_endpoint, session=aws_session)
    put_bytes(store, "a", b"first")
    deadline.start(0.8)
    time.sleep(1.0)  # e.g. a slow client still sending its upload
    assert store.stat("a").size == 5  # the clock starts now
    assert 0 < (deadline.remaining() or 0) < 0.8
    time.sleep(0.9)
    with pytest.raises(deadline.DeadlineExceeded) as info:
        store.stat("a")
    assert "GALLERY_S3_TOTAL_TIMEOUT" in str(info.value)
    deadline.stop()
    assert store.stat("a").size == 5  # outside a request there is no budget
    assert deadline.remaining() is None


# --- the budget itself, without a store ----------------------------------------------------------------


def test_without_a_budget_there_is_no_limit() -> None:
    assert deadline.remaining() is None
    assert deadline.check("reach the store") is None


def test_the_budget_runs_from_the_first_question_and_then_refuses() -> None:
    deadline.start(0.3)
    time.sleep(0.4)  # before the first storage call: not counted
    left = deadline.check("reach the store")
    assert left is not None and 0.2 < left <= 0.3 + 1e-9
    time.sleep(0.35)
    assert (deadline.remaining() or 0) <= 0
    with pytest.raises(deadline.DeadlineExceeded) as info:
        deadline.check("reach s3://photos at http://127.0.0.1:9")
    message = str(info.value)
    assert message.startswith("cannot reach s3://photos at http://127.0.0.1:9: ")
    assert "(0.3 s, GALLERY_S3_TOTAL_TIMEOUT)" in message
    assert isinstance(info.value, StorageError)  # answered as 503 storage_unavailable
    deadline.stop()
    assert deadline.check("reach the store") is None


def test_each_thread_has_its_own_budget() -> None:
    deadline.start(0.0)
    seen: list[float | None] = []
    thread = threading.Thread(target=lambda: seen.append(deadline.remaining()))
    thread.start()
    thread.join()
    assert seen == [None]
    with pytest.raises(deadline.DeadlineExceeded):
        deadline.check("write")


def test_init_app_gives_every_request_a_budget_and_ends_it() -> None:
    app = Flask("budget")
    seen: list[float | None] = []

    @app.route("/")
    def view() -> str:
        seen.append(deadline.remaining())
        return "ok"

    deadline.init_app(app, 5.0)
    assert app.test_client().get("/").status_code == 200
    assert seen[0] is not None and 4.0 < seen[0] <= 5.0 + 1e-9
    assert deadline.remaining() is None  # the teardown ended it
