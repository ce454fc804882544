"""Configuration: the only module that reads the environment.

Every ``GALLERY_*`` variable of the public contract is parsed here, typed and
validated once at start-up.  A bad value stops the application with a message a
person can act on (``ConfigError``), never later with a stack trace.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from gallery.media.budget import DEFAULT_BUDGET_MP, DEFAULT_WAIT_SECONDS

ENVIRONMENTS = ("development", "production", "testing")
S3_CHECKSUM_MODES = ("when_supported", "when_required")


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    env: str
    instance_path: Path
    database_url: str
    storage_url: str
    s3_endpoint_url: str | None
    s3_region: str | None
    s3_checksum_mode: str
    s3_connect_timeout: float
    s3_read_timeout: float
    s3_max_attempts: int
    s3_total_timeout: float
    public_media_url: str | None
    secret_key: str
    celery_broker_url: str | None
    ratelimit_storage_url: str
    max_upload_mb: int
    max_pixels: int
    derivative_sizes: tuple[int, ...]
    embed_allowed_origins: tuple[str, ...]
    log_level: str
    log_format: str = "text"  # GALLERY_LOG_FORMAT: text | json
    metrics: bool = False  # GALLERY_METRICS: /metrics answers (loopback, or GALLERY_METRICS_TOKEN)
    metrics_token: str | None = None
    metrics_multiproc_dir: Path | None = None  # PROMETHEUS_MULTIPROC_DIR: one folder for all gunicorn workers
    secret_key_generated: bool = field(default=False, compare=False)
    # Redis broker: a task not acknowledged within this many seconds (its worker died)
    # is handed to another worker (tasks are acknowledged late).
    celery_visibility_timeout: int = 3600
    # Test-only (GALLERY_ENV=testing): seconds the derivative task sleeps before
    # working, so fault tests can kill a worker mid-task.  Refused in other environments.
    test_task_delay: float = 0.0
    # The public address of the site (scheme, host, optional path): absolute URLs are built
    # from it, and requests for any other host are refused.  None: the request's host
    # (development and testing only).
    base_url: str | None = None
    # How many reverse proxies in front of Gallery append to X-Forwarded-For (0: ignore it).
    trusted_proxies: int = 0
    # Megapixels this process may decode at the same time (each process has its own budget),
    # and how long an upload waits for room before it is answered 503 with Retry-After.
    decode_budget_mp: float = DEFAULT_BUDGET_MP
    decode_wait_seconds: float = DEFAULT_WAIT_SECONDS
    # Seconds an unlisted or private album's signed media URL works (GALLERY_PRIVATE_MEDIA_TTL).
    private_media_ttl: int = 3600

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def trusted_hosts(self) -> tuple[str, ...]:
        """Flask's TRUSTED_HOSTS: the base URL's host name; () accepts any host."""
        host = urlsplit(self.base_url).hostname if self.base_url else None
        return (host,) if host else ()

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def storage_scheme(self) -> str:
        return urlsplit(self.storage_url).scheme

    def describe(self) -> dict[str, str]:
        """Settings as a person would want to see them (secrets masked)."""
        return {
            "GALLERY_ENV": self.env,
            "GALLERY_INSTANCE_PATH": str(self.instance_path),
            "GALLERY_DATABASE_URL": _mask_password(self.database_url),
            "GALLERY_STORAGE_URL": self.storage_url,
            "GALLERY_S3_ENDPOINT_URL": self.s3_endpoint_url or "",
            "GALLERY_PUBLIC_MEDIA_URL": self.public_media_url or "",
            "GALLERY_CELERY_BROKER_URL": _mask_password(self.celery_broker_url or ""),
            "GALLERY_MAX_UPLOAD_MB": str(self.max_upload_mb),
            "GALLERY_MAX_PIXELS": str(self.max_pixels),
            "GALLERY_DERIVATIVE_SIZES": ",".join(map(str, self.derivative_sizes)),
            "GALLERY_EMBED_ALLOWED_ORIGINS": " ".join(self.embed_allowed_origins),
            "GALLERY_BASE_URL": self.base_url or "",
            "GALLERY_TRUSTED_PROXIES": str(self.trusted_proxies),
            "GALLERY_DECODE_BUDGET_MP": f"{self.decode_budget_mp:g}",
            "GALLERY_DECODE_WAIT_SECONDS": f"{self.decode_wait_seconds:g}",
            "GALLERY_PRIVATE_MEDIA_TTL": str(self.private_media_ttl),
            "GALLERY_SECRET_KEY": "(generated in the instance folder)" if self.secret_key_generated else "***",
            "GALLERY_RATELIMIT_STORAGE_URL": _mask_password(self.ratelimit_storage_url),
            "GALLERY_S3_REQUEST_CHECKSUM": self.s3_checksum_mode,
            "GALLERY_S3_CONNECT_TIMEOUT": f"{self.s3_connect_timeout:g}",
            "GALLERY_S3_READ_TIMEOUT": f"{self.s3_read_timeout:g}",
            "GALLERY_S3_MAX_ATTEMPTS": str(self.s3_max_attempts),
            "GALLERY_S3_TOTAL_TIMEOUT": f"{self.s3_total_timeout:g}",
            "GALLERY_CELERY_VISIBILITY_TIMEOUT": str(self.celery_visibility_timeout),
            "GALLERY_LOG_LEVEL": self.log_level,
            "GALLERY_LOG_FORMAT": self.log_format,
            "GALLERY_METRICS": "true" if self.metrics else "false",
            "GALLERY_METRICS_TOKEN": "***" if self.metrics_token else "",
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_multiproc_dir or ""),
        }


def _mask_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def _str(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = _str(env, name)
    if raw is None:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is out of range: use a number from {minimum} to {maximum}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = _str(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is out of range: use a number from {minimum} to {maximum}")
    return value


def _http_url(name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}={raw!r} must be an http:// or https:// URL")
    return raw.rstrip("/")


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
    budget = _float(env, "GALLERY_DECODE_BUDGET_MP", max(DEFAULT_BUDGET_MP, minimum), minimum=0.001, maximum=1_000_000)
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
        connect=_float(env, "GALLERY_S3_CONNECT_TIMEOUT", 3.0, minimum=0.1, maximum=300),
        read=_float(env, "GALLERY_S3_READ_TIMEOUT", 15.0, minimum=0.1, maximum=3600),
        attempts=_int(env, "GALLERY_S3_MAX_ATTEMPTS", 2, minimum=1, maximum=20),
        total=_float(env, "GALLERY_S3_TOTAL_TIMEOUT", 25.0, minimum=0.2, maximum=3600),
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
    delay = _float(env, "GALLERY_TEST_TASK_DELAY", 0.0, minimum=0.0, maximum=600.0)
    if delay and env_name != "testing":
        raise ConfigError("GALLERY_TEST_TASK_DELAY is a test hook: it is only allowed with GALLERY_ENV=testing")
    return delay


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)

    env_name = (_str(env, "GALLERY_ENV") or "development").lower()
    if env_name not in ENVIRONMENTS:
        raise ConfigError(f"GALLERY_ENV={env_name!r}: use one of {', '.join(ENVIRONMENTS)}")

    instance_raw = _str(env, "GALLERY_INSTANCE_PATH")
    # Default: ./instance in the working directory (never beside the package, which may be site-packages).
    instance_path = Path(instance_raw or "instance").expanduser().resolve()
    try:
        instance_path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"GALLERY_INSTANCE_PATH={str(instance_path)!r}: cannot create the folder ({exc.strerror or exc}); "
            "point it to a writable folder"
        ) from None

    database_url = parse_database_url(_str(env, "GALLERY_DATABASE_URL") or f"sqlite:///{instance_path / 'gallery.db'}")
    storage_url = parse_storage_url(
        _str(env, "GALLERY_STORAGE_URL") or (instance_path / "media").as_uri(), instance_path
    )

    checksum_mode = (_str(env, "GALLERY_S3_REQUEST_CHECKSUM") or "when_supported").lower()
    if checksum_mode not in S3_CHECKSUM_MODES:
        raise ConfigError(
            f"GALLERY_S3_REQUEST_CHECKSUM={checksum_mode!r}: use when_supported (AWS, recent MinIO) "
            "or when_required (stores that reject the newer default checksums)"
        )

    s3_timeouts = _s3_timeouts(env)

    broker = _str(env, "GALLERY_CELERY_BROKER_URL")
    if broker is not None and urlsplit(broker).scheme not in ("redis", "rediss", "amqp", "amqps", "memory"):
        raise ConfigError(f"GALLERY_CELERY_BROKER_URL={broker!r}: use a redis:// (or amqp://) URL")

    ratelimit = _str(env, "GALLERY_RATELIMIT_STORAGE_URL")
    if ratelimit is None:
        ratelimit = broker if broker and broker.startswith(("redis://", "rediss://")) else "memory://"

    log_level = (_str(env, "GALLERY_LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"GALLERY_LOG_LEVEL={log_level!r}: use DEBUG, INFO, WARNING or ERROR")
    log_format = (_str(env, "GALLERY_LOG_FORMAT") or "text").lower()
    if log_format not in ("text", "json"):
        raise ConfigError(f"GALLERY_LOG_FORMAT={log_format!r}: use text or json")
    metrics_flag = (_str(env, "GALLERY_METRICS") or "false").lower()
    if metrics_flag not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(f"GALLERY_METRICS={metrics_flag!r}: use true or false")
    multiproc = _str(env, "PROMETHEUS_MULTIPROC_DIR")

    secret_key, generated = _secret_key(env_name, _str(env, "GALLERY_SECRET_KEY"), instance_path)
    base_url = parse_base_url(_str(env, "GALLERY_BASE_URL"), env_name)
    max_pixels = _int(env, "GALLERY_MAX_PIXELS", 150_000_000, minimum=1, maximum=10_000_000_000)

    return Settings(
        env=env_name,
        instance_path=instance_path,
        database_url=database_url,
        storage_url=storage_url,
        s3_endpoint_url=_http_url("GALLERY_S3_ENDPOINT_URL", _str(env, "GALLERY_S3_ENDPOINT_URL")),
        s3_region=_str(env, "AWS_REGION") or _str(env, "AWS_DEFAULT_REGION"),
        s3_checksum_mode=checksum_mode,
        s3_connect_timeout=s3_timeouts.connect,
        s3_read_timeout=s3_timeouts.read,
        s3_max_attempts=s3_timeouts.attempts,
        s3_total_timeout=s3_timeouts.total,
        public_media_url=_http_url("GALLERY_PUBLIC_MEDIA_URL", _str(env, "GALLERY_PUBLIC_MEDIA_URL")),
        secret_key=secret_key,
        secret_key_generated=generated,
        celery_broker_url=broker,
        ratelimit_storage_url=ratelimit,
        max_upload_mb=_int(env, "GALLERY_MAX_UPLOAD_MB", 200, minimum=1, maximum=100_000),
        max_pixels=max_pixels,
        decode_budget_mp=_decode_budget_mp(env, max_pixels),
        decode_wait_seconds=_float(
            env, "GALLERY_DECODE_WAIT_SECONDS", DEFAULT_WAIT_SECONDS, minimum=0.0, maximum=3600.0
        ),
        derivative_sizes=parse_sizes(_str(env, "GALLERY_DERIVATIVE_SIZES")),
        embed_allowed_origins=parse_origins(_str(env, "GALLERY_EMBED_ALLOWED_ORIGINS")),
        log_level=log_level,
        log_format=log_format,
        metrics=metrics_flag in ("true", "1", "yes"),
        metrics_token=_str(env, "GALLERY_METRICS_TOKEN"),
        metrics_multiproc_dir=Path(multiproc) if multiproc else None,
        celery_visibility_timeout=_int(
            env, "GALLERY_CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1, maximum=7 * 24 * 3600
        ),
        test_task_delay=_test_task_delay(env, env_name),
        base_url=base_url,
        trusted_proxies=_int(env, "GALLERY_TRUSTED_PROXIES", 0, minimum=0, maximum=10),
        private_media_ttl=_int(env, "GALLERY_PRIVATE_MEDIA_TTL", 3600, minimum=1, maximum=10**9),
    )
