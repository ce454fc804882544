"""Blobs in a local folder (the embedded default, ``file:///path``).

Layout under ``root``::

    <key>                   the object's bytes, e.g. originals/ab/cd/abcd....jpg
    .~tmp/<random>.part     files being written (never listed; removed on any failure)
    .~meta/<key>.json       sidecar: {"sha256", "content_type", "size", "mtime_ns"}

``.~tmp`` and ``.~meta`` contain ``~``, which no key may contain, so they can never collide with a
stored object. Writes are atomic: the bytes go to a temporary file that is hashed while written,
flushed and fsynced, checked, and only then moved into place with ``os.replace`` (the directory is
fsynced too). A reader therefore sees either the old or the new complete object, never a partial one.

The sidecar is trusted only while it still describes the file next to it (same size and
modification time in nanoseconds); otherwise ``stat`` reports ``content_type``/``sha256`` as
``None`` rather than stale values (e.g. after a crash between the two renames, or after a copy that
did not preserve modification times). ``list`` does not read sidecars (like S3 listings, it reports
``content_type``/``sha256`` as ``None``); use ``stat`` for them.

Keys can never escape ``root``: they are validated by :func:`validate_key`, and the resolved path
(following symlinks) must stay inside the resolved root. A key whose path is a folder, or whose
parent path is a file, is reported as ``NotFound`` when read and as ``StorageError`` when written.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import BinaryIO

from gallery.storage.base import (
    ByteChunks,
    InvalidKey,
    NotFound,
    Storage,
    StorageError,
    StoredObject,
    sha256_mismatch,
    size_mismatch,
    validate_key,
)

__all__ = ["LocalStorage"]

TMP_DIR = ".~tmp"
META_DIR = ".~meta"
_COPY_CHUNK = 1 << 20


def _fsync_dir(path: Path) -> None:
    """fsync a directory so a rename inside it is durable (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink_quietly(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)


class LocalStorage(Storage):
    """Objects as files under ``root``; see the module docstring for layout and guarantees."""

    name: str = "local"

    def __init__(self, root: Path | str, public_base_url: str | None = None) -> None:
        try:
            path = Path(root).expanduser()
            path.mkdir(parents=True, exist_ok=True)
            self.root: Path = path.resolve(strict=True)
            (self.root / TMP_DIR).mkdir(exist_ok=True)
            (self.root / META_DIR).mkdir(exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create or open the storage folder {str(root)!r}: {exc.strerror or exc}"
            ) from exc
        self.public_base_url: str | None = public_base_url.rstrip("/") if public_base_url else None

    # -- helpers -----------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _error(self, action: str, key: str, exc: OSError) -> StorageError:
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            reason = "no space left on the device"
        return StorageError(f"cannot {action} {key!r} in {self.root}: {reason}")

    def _path(self, key: str) -> Path:
        validate_key(key)
        path = self.root.joinpath(*key.split("/"))
        resolved = path.resolve(strict=False)
        if resolved != self.root and not resolved.is_relative_to(self.root):
            raise InvalidKey(f"storage key {key!r} resolves outside {self.root} (through a symlink)")
        if resolved == self.root:
            raise InvalidKey(f"storage key {key!r} resolves to the storage root itself")
        return path

    def _meta_path(self, key: str) -> Path:
        parts = key.split("/")
        parts[-1] += ".json"
        return self.root.joinpath(META_DIR, *parts)

    def _new_temp(self) -> tuple[Path, int]:
        tmp_dir = self.root / TMP_DIR
        tmp_dir.mkdir(exist_ok=True)
        path = tmp_dir / f"{uuid.uuid4().hex}.part"
        # os.open with 0o666 lets the umask decide permissions, like any other file the app writes.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        return path, fd

    def _install(self, src: Path, dst: Path, key: str) -> None:
        """Move ``src`` to ``dst`` atomically, creating parents; retry if a concurrent delete pruned them."""
        for attempt in range(5):
            try:
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
                break
            except FileNotFoundError:
                if attempt == 4:
                    raise
            except IsADirectoryError as exc:
                raise StorageError(
                    f"cannot store {key!r} in {self.root}: a folder already exists at that path"
                ) from exc
            except (FileExistsError, NotADirectoryError) as exc:
                raise StorageError(
                    f"cannot store {key!r} in {self.root}: part of its path is an existing file, not a folder"
                ) from exc
        _fsync_dir(dst.parent)

    def _prune_empty_dirs(self, start: Path, stop: Path) -> None:
        current = start
        while current != stop and current.is_relative_to(stop):
            try:
                current.rmdir()
            except OSError:
                return
            current = current.parent

    def _read_meta(self, key: str, st: os.stat_result) -> dict[str, object]:
        try:
            with open(self._meta_path(key), "rb") as fh:
                meta = json.loads(fh.read(64 * 1024))
        except (OSError, ValueError):
            return {}
        if not isinstance(meta, dict) or meta.get("size") != st.st_size or meta.get("mtime_ns") != st.st_mtime_ns:
            return {}
        return meta

    def _stat_file(self, key: str, path: Path) -> os.stat_result:
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"no object {key!r} in {self.root}") from None
        except OSError as exc:
            raise self._error("read", key, exc) from exc
        if not os.path.isfile(path):
            raise NotFound(f"no object {key!r} in {self.root} (a folder is at that path)")
        return st

    @staticmethod
    def _record(key: str, st: os.stat_result, meta: dict[str, object]) -> StoredObject:
        content_type = meta.get("content_type")
        sha256 = meta.get("sha256")
        return StoredObject(
            key=key,
            size=st.st_size,
            last_modified=datetime.fromtimestamp(st.st_mtime, tz=UTC),
            content_type=content_type if isinstance(content_type, str) else None,
            sha256=sha256 if isinstance(sha256, str) else None,
        )

    # -- Storage protocol --------------------------------------------------------------------------

    def _write(self, key: str, stream: BinaryIO, expected: str, content_type: str, size: int | None) -> StoredObject:
        path = self._path(key)
        meta_path = self._meta_path(key)
        tmp: Path | None = None
        meta_tmp: Path | None = None
        try:
            try:
                tmp, fd = self._new_temp()
            except OSError as exc:
                raise self._error("write", key, exc) from exc
            digest = hashlib.sha256()
            written = 0
            with os.fdopen(fd, "wb", buffering=0) as fh:
                while True:
                    chunk = stream.read(_COPY_CHUNK)  # the caller's stream: its errors propagate as they are
                    if not chunk:
                        break
                    digest.update(chunk)
                    written += len(chunk)
                    try:
                        view = memoryview(chunk)
                        while view:
                            n = fh.write(view)
                            view = view[n:]
                    except OSError as exc:
                        raise self._error("write", key, exc) from exc
                try:
                    os.fsync(fh.fileno())
                    st = os.fstat(fh.fileno())
                except OSError as exc:
                    raise self._error("write", key, exc) from exc
            actual = digest.hexdigest()
            if size is not None and written != size:
                raise size_mismatch(key, written, size)
            if actual != expected:
                raise sha256_mismatch(key, actual, expected)
            meta = {"sha256": actual, "content_type": content_type, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
            try:
                meta_tmp, meta_fd = self._new_temp()
                with os.fdopen(meta_fd, "wb") as mf:
                    mf.write(json.dumps(meta, sort_keys=True).encode())
                    mf.flush()
                    os.fsync(mf.fileno())
                self._install(tmp, path, key)
                tmp = None
                self._install(meta_tmp, meta_path, key)
                meta_tmp = None
            except OSError as exc:
                raise self._error("write", key, exc) from exc
        finally:
            _unlink_quietly(tmp)
            _unlink_quietly(meta_tmp)
        return self._record(key, st, meta)

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return open(path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"no object {key!r} in {self.root}") from None
        except OSError as exc:
            raise self._error("read", key, exc) from exc

    def _chunks(self, key: str, chunk_size: int, start: int, end: int | None) -> ByteChunks:
        fh = self.open(key)
        try:
            fh.seek(start)
        except OSError as exc:
            fh.close()
            raise self._error("read", key, exc) from exc
        remaining = None if end is None else end - start + 1

        def chunks() -> Iterator[bytes]:
            nonlocal remaining
            while remaining is None or remaining > 0:
                want = chunk_size if remaining is None else min(chunk_size, remaining)
                try:
                    data = fh.read(want)
                except OSError as exc:
                    raise self._error("read", key, exc) from exc
                if not data:
                    return
                if remaining is not None:
                    remaining -= len(data)
                yield data

        return ByteChunks(chunks(), fh.close)

    def stat(self, key: str) -> StoredObject:
        path = self._path(key)
        st = self._stat_file(key, path)
        return self._record(key, st, self._read_meta(key, st))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        meta_path = self._meta_path(key)
        for target, stop in ((path, self.root), (meta_path, self.root / META_DIR)):
            try:
                os.unlink(target)
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                continue
            except PermissionError as exc:
                if target.is_dir():  # some platforms report EPERM for unlink() on a folder
                    continue
                raise self._error("delete", key, exc) from exc
            except OSError as exc:
                raise self._error("delete", key, exc) from exc
            _fsync_dir(target.parent)
            self._prune_empty_dirs(target.parent, stop)

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        if not isinstance(prefix, str):
            raise TypeError("prefix must be a string")
        folder = prefix.rpartition("/")[0]
        if folder:
            try:
                validate_key(folder)
            except InvalidKey:
                return iter(())  # no valid key can start with this prefix
        base = self.root.joinpath(*folder.split("/")) if folder else self.root
        resolved_base = base.resolve(strict=False)
        if resolved_base != self.root and not resolved_base.is_relative_to(self.root):
            return iter(())  # the folder is a symlink out of the root

        found: list[StoredObject] = []
        pending: list[tuple[str, str]] = [(str(base), folder)]
        while pending:
            directory, rel = pending.pop()
            try:
                with os.scandir(directory) as scan:
                    entries = list(scan)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                raise StorageError(f"cannot list {prefix!r} in {self.root}: {exc.strerror or exc}") from exc
            for entry in entries:
                if not rel and entry.name in (TMP_DIR, META_DIR):
                    continue
                key = f"{rel}/{entry.name}" if rel else entry.name
                try:
                    validate_key(key)
                    if entry.is_dir(follow_symlinks=False):
                        if f"{key}/".startswith(prefix) or prefix.startswith(f"{key}/"):
                            pending.append((entry.path, key))
                        continue
                    if not key.startswith(prefix):
                        continue
                    if entry.is_symlink():
                        st = self._path(key).stat()  # InvalidKey if it points out of the root
                    else:
                        st = entry.stat(follow_symlinks=False)
                except (InvalidKey, OSError):
                    continue  # not a valid key, escapes the root, or vanished meanwhile
                if S_ISREG(st.st_mode):
                    found.append(self._record(key, st, {}))
        found.sort(key=lambda obj: obj.key)
        return iter(found)

    def local_path(self, key: str) -> Path | None:
        """The object's file, safe to pass to ``send_file``; ``None`` if no object is stored under ``key``."""
        path = self._path(key)
        return path if path.is_file() else None

    def describe(self) -> str:
        text = self.root.as_uri()
        if self.public_base_url:
            text += f" (public at {self.public_base_url})"
        return text
