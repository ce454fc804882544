"""/readyz over real faults: the loopback S3 endpoint stopped and started again, a database that is down."""

from __future__ import annotations

import socket

from tests.archive.faults import CuttableProxy
from tests.conftest import make_app
from tests.storage.s3server import make_s3_storage, moto_env


def test_readyz_names_the_store_while_s3_is_down_and_is_ready_when_it_is_back(
    make_instance, moto_endpoint, monkeypatch
):
    for name, value in moto_env(moto_endpoint).items():
        monkeypatch.setenv(name, value)
    proxy = CuttableProxy(moto_endpoint)
    proxy.start()
    try:
        bucket = make_s3_storage(moto_endpoint).bucket
        app = make_instance(
            GALLERY_STORAGE_URL=f"s3://{bucket}/media",
            GALLERY_S3_ENDPOINT_URL=proxy.url,
            GALLERY_S3_CONNECT_TIMEOUT="1",
            GALLERY_S3_READ_TIMEOUT="2",
            GALLERY_S3_MAX_ATTEMPTS="1",
        )
        client = app.test_client()
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.get_data(as_text=True)
        assert ready.get_json() == {
            "status": "ok",
            "checks": {"database": "ok", "storage": "ok", "broker": "not configured"},
        }

        proxy.stop()
        down = client.get("/readyz")
        assert down.status_code == 503
        body = down.get_json()
        assert body["status"] == "fail"
        assert body["checks"]["storage"].startswith("fail: ")
        assert body["checks"]["database"] == "ok"
        assert client.get("/healthz").status_code == 200  # alive, only not ready

        proxy.start()
        back = client.get("/readyz")
        assert back.status_code == 200 and back.get_json()["status"] == "ok"
    finally:
        proxy.stop()


def test_readyz_names_the_database_when_it_is_down(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        app = make_app(tmp_path, f"postgresql://postgres@127.0.0.1:{sock.getsockname()[1]}/gallery")
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail"
    assert body["checks"]["database"].startswith("fail: ")
    assert body["checks"]["storage"] == "ok"
