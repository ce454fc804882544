"""The settings object: every ``GALLERY_*`` variable of the public contract, parsed once at
start-up by :func:`load_settings`.  Core settings are fields here; each feature keeps its own
settings in a section module of this package (``consent``, ``uploads``, ``schedule``,
``operations``), a frozen dataclass with ``load(env)`` and ``describe()``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from gallery.config import consent as consent_section
from gallery.config import operations as operations_section
from gallery.config import schedule as schedule_section
from gallery.config import uploads as uploads_section
from gallery.config.consent import ConsentSettings
from gallery.config.operations import OperationsSettings
from gallery.config.parsing import ConfigError, http_url, integer, mask_password, number, text
from gallery.config.schedule import ScheduleSettings
from gallery.config.uploads import UploadSettings
from gallery.config.values import (
    _decode_budget_mp,
    _s3_timeouts,
    _secret_key,
    _test_task_delay,
    parse_base_url,
    parse_database_url,
    parse_origins,
    parse_sizes,
    parse_storage_url,
)
from gallery.media.budget import DEFAULT_BUDGET_MP, DEFAULT_WAIT_SECONDS

ENVIRONMENTS = ("development", "production", "testing")
S3_CHECKSUM_MODES = ("when_supported", "when_required")


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
    # Feature sections (gallery/config/<section>.py), each with its own variables.
    consent: ConsentSettings = field(default_factory=ConsentSettings)
    uploads: UploadSettings = field(default_factory=UploadSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    operations: OperationsSettings = field(default_factory=OperationsSettings)

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
        sections = (self.consent, self.uploads, self.schedule, self.operations)
        return {
            **{name: value for section in sections for name, value in section.describe().items()},
            "GALLERY_ENV": self.env,
            "GALLERY_INSTANCE_PATH": str(self.instance_path),
            "GALLERY_DATABASE_URL": mask_password(self.database_url),
            "GALLERY_STORAGE_URL": self.storage_url,
            "GALLERY_S3_ENDPOINT_URL": self.s3_endpoint_url or "",
            "GALLERY_PUBLIC_MEDIA_URL": self.public_media_url or "",
            "GALLERY_CELERY_BROKER_URL": mask_password(self.celery_broker_url or ""),
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
            "GALLERY_RATELIMIT_STORAGE_URL": mask_password(self.ratelimit_storage_url),
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


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)

    env_name = (text(env, "GALLERY_ENV") or "development").lower()
    if env_name not in ENVIRONMENTS:
        raise ConfigError(f"GALLERY_ENV={env_name!r}: use one of {', '.join(ENVIRONMENTS)}")

    instance_raw = text(env, "GALLERY_INSTANCE_PATH")
    # Default: ./instance in the working directory (never beside the package, which may be site-packages).
    instance_path = Path(instance_raw or "instance").expanduser().resolve()
    try:
        instance_path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"GALLERY_INSTANCE_PATH={str(instance_path)!r}: cannot create the folder ({exc.strerror or exc}); "
            "point it to a writable folder"
        ) from None

    database_url = parse_database_url(text(env, "GALLERY_DATABASE_URL") or f"sqlite:///{instance_path / 'gallery.db'}")
    storage_url = parse_storage_url(
        text(env, "GALLERY_STORAGE_URL") or (instance_path / "media").as_uri(), instance_path
    )

    checksum_mode = (text(env, "GALLERY_S3_REQUEST_CHECKSUM") or "when_supported").lower()
    if checksum_mode not in S3_CHECKSUM_MODES:
        raise ConfigError(
            f"GALLERY_S3_REQUEST_CHECKSUM={checksum_mode!r}: use when_supported (AWS, recent MinIO) "
            "or when_required (stores that reject the newer default checksums)"
        )

    s3_timeouts = _s3_timeouts(env)

    broker = text(env, "GALLERY_CELERY_BROKER_URL")
    if broker is not None and urlsplit(broker).scheme not in ("redis", "rediss", "amqp", "amqps", "memory"):
        raise ConfigError(f"GALLERY_CELERY_BROKER_URL={broker!r}: use a redis:// (or amqp://) URL")

    ratelimit = text(env, "GALLERY_RATELIMIT_STORAGE_URL")
    if ratelimit is None:
        ratelimit = broker if broker and broker.startswith(("redis://", "rediss://")) else "memory://"

    log_level = (text(env, "GALLERY_LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"GALLERY_LOG_LEVEL={log_level!r}: use DEBUG, INFO, WARNING or ERROR")
    log_format = (text(env, "GALLERY_LOG_FORMAT") or "text").lower()
    if log_format not in ("text", "json"):
        raise ConfigError(f"GALLERY_LOG_FORMAT={log_format!r}: use text or json")
    metrics_flag = (text(env, "GALLERY_METRICS") or "false").lower()
    if metrics_flag not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(f"GALLERY_METRICS={metrics_flag!r}: use true or false")
    multiproc = text(env, "PROMETHEUS_MULTIPROC_DIR")

    secret_key, generated = _secret_key(env_name, text(env, "GALLERY_SECRET_KEY"), instance_path)
    base_url = parse_base_url(text(env, "GALLERY_BASE_URL"), env_name)
    max_pixels = integer(env, "GALLERY_MAX_PIXELS", 150_000_000, minimum=1, maximum=10_000_000_000)

    return Settings(
        env=env_name,
        instance_path=instance_path,
        database_url=database_url,
        storage_url=storage_url,
        s3_endpoint_url=http_url("GALLERY_S3_ENDPOINT_URL", text(env, "GALLERY_S3_ENDPOINT_URL")),
        s3_region=text(env, "AWS_REGION") or text(env, "AWS_DEFAULT_REGION"),
        s3_checksum_mode=checksum_mode,
        s3_connect_timeout=s3_timeouts.connect,
        s3_read_timeout=s3_timeouts.read,
        s3_max_attempts=s3_timeouts.attempts,
        s3_total_timeout=s3_timeouts.total,
        public_media_url=http_url("GALLERY_PUBLIC_MEDIA_URL", text(env, "GALLERY_PUBLIC_MEDIA_URL")),
        secret_key=secret_key,
        secret_key_generated=generated,
        celery_broker_url=broker,
        ratelimit_storage_url=ratelimit,
        max_upload_mb=integer(env, "GALLERY_MAX_UPLOAD_MB", 200, minimum=1, maximum=100_000),
        max_pixels=max_pixels,
        decode_budget_mp=_decode_budget_mp(env, max_pixels),
        decode_wait_seconds=number(
            env, "GALLERY_DECODE_WAIT_SECONDS", DEFAULT_WAIT_SECONDS, minimum=0.0, maximum=3600.0
        ),
        derivative_sizes=parse_sizes(text(env, "GALLERY_DERIVATIVE_SIZES")),
        embed_allowed_origins=parse_origins(text(env, "GALLERY_EMBED_ALLOWED_ORIGINS")),
        log_level=log_level,
        log_format=log_format,
        metrics=metrics_flag in ("true", "1", "yes"),
        metrics_token=text(env, "GALLERY_METRICS_TOKEN"),
        metrics_multiproc_dir=Path(multiproc) if multiproc else None,
        celery_visibility_timeout=integer(
            env, "GALLERY_CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1, maximum=7 * 24 * 3600
        ),
        test_task_delay=_test_task_delay(env, env_name),
        base_url=base_url,
        trusted_proxies=integer(env, "GALLERY_TRUSTED_PROXIES", 0, minimum=0, maximum=10),
        private_media_ttl=integer(env, "GALLERY_PRIVATE_MEDIA_TTL", 3600, minimum=1, maximum=10**9),
        consent=consent_section.load(env),
        uploads=uploads_section.load(env, storage_scheme=urlsplit(storage_url).scheme),
        schedule=schedule_section.load(env),
        operations=operations_section.load(env),
    )
