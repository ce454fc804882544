"""Configuration: the only package that reads the environment.

Every ``GALLERY_*`` variable of the public contract is parsed here, typed and validated once at
start-up.  A bad value stops the application with a message a person can act on
(``ConfigError``), never later with a stack trace.  ``settings`` holds the core settings and the
loader; each feature's settings live in their own section module (``consent``, ``uploads``,
``schedule``, ``operations``)."""

from gallery.config.parsing import ConfigError
from gallery.config.settings import ENVIRONMENTS, S3_CHECKSUM_MODES, Settings, load_settings
from gallery.config.values import (
    WORKER_TIMEOUT_MARGIN,
    S3Timeouts,
    parse_base_url,
    parse_database_url,
    parse_origins,
    parse_sizes,
    parse_storage_url,
    worker_timeout,
)

__all__ = [
    "ENVIRONMENTS",
    "S3_CHECKSUM_MODES",
    "WORKER_TIMEOUT_MARGIN",
    "ConfigError",
    "S3Timeouts",
    "Settings",
    "load_settings",
    "parse_base_url",
    "parse_database_url",
    "parse_origins",
    "parse_sizes",
    "parse_storage_url",
    "worker_timeout",
]
