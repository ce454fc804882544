"""LocalStorage specifics: atomic writes, temp-file hygiene, sidecars, symlinks, the root boundary."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest

from gallery.storage import (
    ChecksumMismatch,
    InvalidKey,
    LocalStorage,
    NotFound,
    StorageError,
)
from gallery.storage.local import META_DIR, TMP_DIR
from tests.storage.helpers import FailingStream, put_bytes, sha


def _temp_files(store: LocalStorage) -> list[Path]:
    return list((store.root / TMP_DIR).iterdir())


def test_layout_and_hidden_internals(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "deep" / "root")
    put_bytes(store, "originals/ab/abc.jpg", b"jpeg", content_type="image/jpeg")
    assert (store.root / "originals" / "ab" / "abc.jpg").read_bytes() == b"jpeg"
    assert (store.root / META_DIR / "originals" / "ab" / "abc.jpg.json").is_file()
    assert [o.key for o in store.list()] == ["originals/ab/abc.jpg"]
    assert [o.key for o in store.list(".")] == []
    assert _temp_files(store) == []


def test_temp_files_are_removed_on_every_failure(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    with pytest.raises(ChecksumMismatch):
        store.put("a", io.BytesIO(b"data"), sha256=sha(b"other"), content_type="x/y")
    with pytest.raises(OSError):
        store.put(
            "b", FailingStream(3 * 1024 * 1024, OSError("network read failed")), sha256=sha(b""), content_type="x/y"
        )
    with pytest.raises(KeyboardInterrupt):
        store.put("c", FailingStream(10, KeyboardInterrupt()), sha256=sha(b""), content_type="x/y")
    assert _temp_files(store) == []
    assert list(store.list()) == []
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_readers_never_see_a_partial_object(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    old, new = b"A" * 2_000_000, b"B" * 3_000_000
    put_bytes(store, "k", old)
    seen: set[bytes] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            with store.open("k") as fh:
                data = fh.read()
            seen.add(data[:1] + str(len(data)).encode())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(5):
            put_bytes(store, "k", new)
            put_bytes(store, "k", old)
    finally:
        stop.set()
        thread.join()
    assert seen <= {b"A2000000", b"B3000000"}


def test_concurrent_writers_to_one_key(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    blobs = [bytes([i]) * (100_000 + i) for i in range(8)]
    threads = [threading.Thread(target=put_bytes, args=(store, "same", blob)) for blob in blobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = store.open("same").read()
    assert data in blobs
    stat = store.stat("same")
    assert stat.sha256 in (None, sha(data))  # never a hash of another writer's bytes
    assert _temp_files(store) == []


def test_stale_sidecar_is_ignored(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    put_bytes(store, "k", b"original", content_type="image/jpeg")
    assert store.stat("k").sha256 == sha(b"original")
    (tmp_path / "k").write_bytes(b"changed behind our back")
    stat = store.stat("k")
    assert stat.size == len(b"changed behind our back")
    assert stat.sha256 is None and stat.content_type is None


def test_missing_sidecar_is_tolerated(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    (tmp_path / "dropped").mkdir()
    (tmp_path / "dropped" / "in.jpg").write_bytes(b"by hand")
    stat = store.stat("dropped/in.jpg")
    assert (stat.size, stat.sha256, stat.content_type) == (7, None, None)
    assert [o.key for o in store.list()] == ["dropped/in.jpg"]


def test_delete_prunes_empty_folders_and_sidecars(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    put_bytes(store, "a/b/c/d.jpg", b"x")
    put_bytes(store, "a/keep.jpg", b"y")
    store.delete("a/b/c/d.jpg")
    assert not (tmp_path / "a" / "b").exists()
    assert not (tmp_path / META_DIR / "a" / "b").exists()
    assert (tmp_path / "a" / "keep.jpg").exists()
    assert (tmp_path / META_DIR).is_dir() and (tmp_path / TMP_DIR).is_dir()


def test_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    store = LocalStorage(tmp_path / "root")
    os.symlink(outside, store.root / "link")
    os.symlink(outside / "secret.txt", store.root / "file-link")

    for key in ("link/secret.txt", "file-link"):
        with pytest.raises(InvalidKey, match="outside"):
            store.open(key)
        with pytest.raises(InvalidKey):
            store.stat(key)
        with pytest.raises(InvalidKey):
            store.delete(key)
    with pytest.raises(InvalidKey):
        put_bytes(store, "link/new.txt", b"x")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_bytes() == b"secret"
    assert list(store.list()) == []


def test_root_given_through_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "alias")
    store = LocalStorage(tmp_path / "alias")
    put_bytes(store, "a/b", b"x")
    assert (tmp_path / "real" / "a" / "b").read_bytes() == b"x"
    assert [o.key for o in store.list()] == ["a/b"]


def test_file_folder_conflicts(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    put_bytes(store, "a/b", b"x")
    with pytest.raises(StorageError, match="folder"):
        put_bytes(store, "a", b"y")  # "a" is a folder
    with pytest.raises(StorageError):
        put_bytes(store, "a/b/c", b"z")  # "a/b" is a file
    with pytest.raises(NotFound):
        store.stat("a")
    with pytest.raises(NotFound):
        store.open("a")
    assert not store.exists("a")
    store.delete("a")  # a folder is not an object: nothing to delete
    assert _temp_files(store) == []
    assert [o.key for o in store.list()] == ["a/b"]


def test_unwritable_root_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(StorageError, match="storage folder"):
        LocalStorage(blocker / "root")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root ignores permissions")
def test_permission_denied_is_a_storage_error(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    put_bytes(store, "ro/x", b"x")
    (tmp_path / "ro").chmod(0o500)
    try:
        with pytest.raises(StorageError, match="cannot"):
            put_bytes(store, "ro/y", b"y")
    finally:
        (tmp_path / "ro").chmod(0o700)
    assert _temp_files(store) == []


def test_file_mode_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store = LocalStorage(tmp_path)
        put_bytes(store, "m", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "m").stat().st_mode & 0o777 == 0o644


def test_list_skips_files_that_are_not_valid_keys(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    put_bytes(store, "ok/a.jpg", b"x")
    (tmp_path / "ok" / "my photo.jpg").write_bytes(b"y")
    (tmp_path / "bad dir").mkdir()
    (tmp_path / "bad dir" / "b.jpg").write_bytes(b"z")
    os.symlink(tmp_path / "ok" / "a.jpg", tmp_path / "ok" / "alias.jpg")  # inside the root: fine
    assert [o.key for o in store.list()] == ["ok/a.jpg", "ok/alias.jpg"]
    assert [o.key for o in store.list("ok/al")] == ["ok/alias.jpg"]
