"""The request class (gallery/http/request.py): an uploaded file is hashed while Werkzeug writes it to a
temporary file in the instance's upload folder, read once, never held in memory."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from flask import Flask, request
from werkzeug.datastructures import FileStorage

from gallery.http.request import HashingFile, may_write, received_from, request_class


def test_a_hashing_file_hashes_counts_and_keeps_the_head(tmp_path: Path) -> None:
    spool = HashingFile(str(tmp_path))
    assert spool.path.parent == tmp_path and spool.path.name.startswith("upload-")
    chunks = [b"\xff\xd8\xff" + b"a" * 3000, b"b" * 3000, b"c" * 10]
    for chunk in chunks:
        assert spool.write(chunk) == len(chunk)
    data = b"".join(chunks)
    received = spool.received()
    assert (received.sha256, received.size, received.owned) == (hashlib.sha256(data).hexdigest(), len(data), True)
    assert received.head == data[:4096]
    assert received.path.read_bytes() == data  # flushed to disk
    spool.seek(0)  # the rest is the temporary file's
    assert spool.read(3) == b"\xff\xd8\xff"
    spool.close()
    assert not received.path.exists()


def test_the_request_class_spools_uploads_in_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "instance" / "uploads"
    app = Flask("uploads")
    app.request_class = request_class(folder)
    assert folder.is_dir()
    seen: dict[str, object] = {}

    @app.post("/up")
    def up() -> str:
        file = request.files["file"]
        received = received_from(file)
        assert received is not None
        seen.update(sha=received.sha256, size=received.size, folder=received.path.parent, may_write=may_write())
        return "ok"

    body = b"x" * 100_000
    response = app.test_client().post("/up", data={"file": (io.BytesIO(body), "a.jpg")})
    assert response.status_code == 200
    assert seen == {"sha": hashlib.sha256(body).hexdigest(), "size": 100_000, "folder": folder, "may_write": True}
    assert list(folder.iterdir()) == []  # removed when the request is over


def test_a_file_that_is_not_ours_has_no_received_record() -> None:
    assert received_from(FileStorage(io.BytesIO(b"abc"), "a.jpg")) is None
    assert received_from(object()) is None


def test_may_write_only_for_changing_methods_inside_a_request() -> None:
    app = Flask("methods")
    assert may_write() is False  # no request at all (CLI, Celery)
    for method, expected in (
        ("GET", False),
        ("HEAD", False),
        ("OPTIONS", False),
        ("POST", True),
        ("PATCH", True),
        ("DELETE", True),
    ):
        with app.test_request_context("/", method=method):
            assert may_write() is expected, method
