"""The in-memory store (gallery/storage/memory.py): what it does beyond the contract every backend
meets (tests/storage/test_contract.py)."""

from __future__ import annotations

import threading

import pytest

from gallery.storage import (
    InvalidKey,
    MemoryStorage,
    NotFound,
)
from tests.storage.helpers import put_bytes


def test_memory_storage_is_thread_safe() -> None:
    store = MemoryStorage()

    def work(n: int) -> None:
        for i in range(200):
            put_bytes(store, f"t{n}/{i:03d}", f"{n}-{i}".encode())
            if i % 2:
                store.delete(f"t{n}/{i - 1:03d}")
            list(store.list(f"t{n}/"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = [o.key for o in store.list()]
    assert keys == sorted(f"t{n}/{i:03d}" for n in range(8) for i in range(1, 200, 2))
    assert store.open("t3/199").read() == b"3-199"


def test_describe_repr_and_no_local_path() -> None:
    store = MemoryStorage()
    assert store.describe() == "memory://"
    assert repr(store) == "MemoryStorage(<0 objects>)"
    put_bytes(store, "originals/a", b"abc")
    assert repr(store) == "MemoryStorage(<1 objects>)"
    assert store.local_path("originals/a") is None
    with pytest.raises(InvalidKey):
        store.local_path("../escape")


def test_public_urls_only_with_a_public_base_and_only_when_asked() -> None:
    assert MemoryStorage().url("derivatives/a/400.jpg", public=True) is None
    store = MemoryStorage(public_base_url="https://cdn.example.org/media/")
    assert store.url("derivatives/a/400.jpg", public=True) == "https://cdn.example.org/media/derivatives/a/400.jpg"
    assert store.url("derivatives/a/400.jpg") is None  # private: served through the app
    with pytest.raises(InvalidKey):
        store.url("/absolute", public=True)


def test_nothing_is_shared_between_stores() -> None:
    first, second = MemoryStorage(), MemoryStorage()
    put_bytes(first, "k", b"only here")
    assert first.exists("k") and not second.exists("k")
    with pytest.raises(NotFound):
        second.stat("k")
    with pytest.raises(TypeError):
        list(first.list(prefix=None))  # type: ignore[arg-type]
