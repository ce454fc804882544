"""The core settings' own value rules: storage and database URLs, sizes, origins, the base URL,
the secret key, the decode budget and the S3 time limits."""

from __future__ import annotations

import ipaddress
import math
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from gallery.config.parsing import ConfigError, integer, number
from gallery.media.budget import DEFAULT_BUDGET_MP

# S3 bucket names: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit, not an IP address.
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# An origin's host[:port] as CSP source expressions allow it (optionally "*." first): nothing that
# could end the directive (";", quotes, spaces) can get into the Content-Security-Policy header.
_ORIGIN_HOST_RE = re.compile(
    r"(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?"
)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def parse_storage_url(raw: str, instance_path: Path) -> str:
    parts = urlsplit(raw)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(
                f"GALLERY_STORAGE_URL={raw!r}: a file:// URL needs an absolute path, e.g. file:///var/lib/gallery/media"
            )
        if not parts.path.startswith("/"):
            raise ConfigError(f"GALLERY_STORAGE_URL={raw!r}: the path must be absolute")
        return raw
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigError(f"GALLERY_STORAGE_URL={raw!r}: name the bucket, e.g. s3://gallery-media/prefix")
        bucket = parts.netloc
        if not _BUCKET_RE.fullmatch(bucket) or ".." in bucket or _is_ip(bucket):
            raise ConfigError(
                f"GALLERY_STORAGE_URL={raw!r}: {bucket!r} is not a valid bucket name "
                "(3-63 lower-case letters, digits, dots and hyphens)"
            )
        return raw
    scheme = parts.scheme or raw
    raise ConfigError(f"unsupported storage URL scheme {scheme!r}: use file:// or s3://")


def parse_database_url(raw: str) -> str:
    scheme = urlsplit(raw).scheme
    if scheme.startswith("sqlite"):
        return raw
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        # psycopg 3 is the driver we ship; normalise the common spellings to it.
        rest = raw.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}"
    raise ConfigError(
        f"GALLERY_DATABASE_URL={raw!r}: unsupported database {scheme!r}; "
        "use sqlite:///path/to/gallery.db or postgresql://user@host/dbname"
    )


def parse_sizes(raw: str | None) -> tuple[int, ...]:
    if raw is None:
        return (400, 1024, 2048)
    sizes: set[int] = set()
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            size = int(item)
        except ValueError:
            raise ConfigError(f"GALLERY_DERIVATIVE_SIZES={raw!r}: {item!r} is not a whole number of pixels") from None
        if not 16 <= size <= 8192:
            raise ConfigError(f"GALLERY_DERIVATIVE_SIZES={raw!r}: {size} is outside 16-8192 pixels")
        sizes.add(size)
    if not sizes:
        raise ConfigError("GALLERY_DERIVATIVE_SIZES is empty: give comma-separated long-edge sizes, e.g. 400,1024,2048")
    return tuple(sorted(sizes))


def parse_origins(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ("*",)
    origins = tuple(o.strip().rstrip("/") for o in raw.replace(",", " ").split() if o.strip())
    if not origins:
        return ("'none'",)
    for origin in origins:
        if origin in ("*", "'self'", "'none'"):
            continue
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not _ORIGIN_HOST_RE.fullmatch(parts.netloc)
            or parts.path
            or parts.query
            or parts.fragment
        ):
            raise ConfigError(
                f"GALLERY_EMBED_ALLOWED_ORIGINS: {origin!r} is not an origin; use e.g. https://news.example.org (or *)"
            )
    return origins


_BASE_URL_HINT = "give the public address of the site, e.g. https://photos.example.org"


def parse_base_url(raw: str | None, env_name: str) -> str | None:
    """GALLERY_BASE_URL: an http(s) URL with a host and at most a path; required in production."""
    if raw is None:
        if env_name == "production":
            raise ConfigError(
                "GALLERY_BASE_URL is required when GALLERY_ENV=production (absolute URLs are built from it "
                f"and other Host headers are refused): {_BASE_URL_HINT}"
            )
        return None
    parts = urlsplit(raw)
    try:
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        raise ConfigError(f"GALLERY_BASE_URL={raw!r} has an invalid port: {_BASE_URL_HINT}") from None
    host = parts.hostname or ""
    if (
        parts.scheme.lower() not in ("http", "https")
        or not ((_ORIGIN_HOST_RE.fullmatch(host) and not host.startswith("*.")) or _is_ip(host))
        or parts.username is not None
        or parts.query
        or parts.fragment
        or any(c.isspace() for c in raw)
    ):
        raise ConfigError(f"GALLERY_BASE_URL={raw!r} is not a site address: {_BASE_URL_HINT}")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _secret_key(env_name: str, raw: str | None, instance_path: Path) -> tuple[str, bool]:
    if raw:
        if env_name == "production" and len(raw) < 32:
            raise ConfigError("GALLERY_SECRET_KEY is too short for production: use at least 32 random characters")
        return raw, False
    if env_name == "production":
        raise ConfigError(
            "GALLERY_SECRET_KEY is required when GALLERY_ENV=production: "
            "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    key_file = instance_path / "secret_key"
    try:
        if key_file.exists():
            key = key_file.read_text().strip()
            if key:
                return key, False
        # Written whole to a private temporary file, then linked into place: the link fails if
        # another process got there first, and then everybody uses that process's key.
        key = secrets.token_urlsafe(48)
        temp = instance_path / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(key + "\n")
            try:
                os.link(temp, key_file)
            except FileExistsError:
                return key_file.read_text().strip(), False
        finally:
            temp.unlink(missing_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot keep the generated secret key in {key_file} ({exc.strerror or exc}): "
            "make GALLERY_INSTANCE_PATH writable or set GALLERY_SECRET_KEY"
        ) from None
    return key, True


def _decode_budget_mp(env: Mapping[str, str], max_pixels: int) -> float:
    """GALLERY_DECODE_BUDGET_MP: at least GALLERY_MAX_PIXELS in megapixels, so that every
    image the pixel limit allows can be decoded; by default 150 MP or that minimum."""
    minimum = max_pixels / 1_000_000
    budget = number(env, "GALLERY_DECODE_BUDGET_MP", max(DEFAULT_BUDGET_MP, minimum), minimum=0.001, maximum=1_000_000)
    if budget < minimum:
        raise ConfigError(
            f"GALLERY_DECODE_BUDGET_MP={budget:g} is below GALLERY_MAX_PIXELS={max_pixels} ({minimum:g} MP): "
            f"an image at the pixel limit could never be decoded; use at least {minimum:g}, "
            "or lower GALLERY_MAX_PIXELS"
        )
    return budget


class S3Timeouts(NamedTuple):
    connect: float
    read: float
    attempts: int
    total: float


#: gunicorn.conf.py gives a request this much longer than GALLERY_S3_TOTAL_TIMEOUT (database,
#: decoding and the rest of the request happen outside the storage budget).
WORKER_TIMEOUT_MARGIN = 35


def _s3_timeouts(env: Mapping[str, str]) -> S3Timeouts:
    """The S3 client's limits: per attempt (connect, read), attempts, and the total storage
    time of one web request, which must leave room for at least one whole attempt."""
    timeouts = S3Timeouts(
        connect=number(env, "GALLERY_S3_CONNECT_TIMEOUT", 3.0, minimum=0.1, maximum=300),
        read=number(env, "GALLERY_S3_READ_TIMEOUT", 15.0, minimum=0.1, maximum=3600),
        attempts=integer(env, "GALLERY_S3_MAX_ATTEMPTS", 2, minimum=1, maximum=20),
        total=number(env, "GALLERY_S3_TOTAL_TIMEOUT", 25.0, minimum=0.2, maximum=3600),
    )
    one_attempt = timeouts.connect + timeouts.read
    if timeouts.total < one_attempt:
        raise ConfigError(
            f"GALLERY_S3_TOTAL_TIMEOUT={timeouts.total:g} is shorter than one attempt: "
            f"GALLERY_S3_CONNECT_TIMEOUT ({timeouts.connect:g} s) + GALLERY_S3_READ_TIMEOUT ({timeouts.read:g} s) "
            f"= {one_attempt:g} s; raise the total or lower the others"
        )
    return timeouts


def worker_timeout(environ: Mapping[str, str] | None = None) -> int:
    """Seconds gunicorn lets a request run (``timeout`` in gunicorn.conf.py): the storage time
    budget of a request (GALLERY_S3_TOTAL_TIMEOUT) plus :data:`WORKER_TIMEOUT_MARGIN`."""
    total = _s3_timeouts(os.environ if environ is None else environ).total
    return math.ceil(total) + WORKER_TIMEOUT_MARGIN


def _test_task_delay(env: Mapping[str, str], env_name: str) -> float:
    delay = number(env, "GALLERY_TEST_TASK_DELAY", 0.0, minimum=0.0, maximum=600.0)
    if delay and env_name != "testing":
        raise ConfigError("GALLERY_TEST_TASK_DELAY is a test hook: it is only allowed with GALLERY_ENV=testing")
    return delay
