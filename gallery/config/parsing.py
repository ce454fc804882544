"""The readers every configuration section shares: one environment variable each, typed and
checked, with a message a person can act on when the value is wrong (:class:`ConfigError`)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message says how to fix it."""


def mask_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def integer(env: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = text(env, name)
    if raw is None:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is out of range: use a number from {minimum} to {maximum}")
    return value


def number(env: Mapping[str, str], name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is out of range: use a number from {minimum} to {maximum}")
    return value


def http_url(name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}={raw!r} must be an http:// or https:// URL")
    return raw.rstrip("/")


FLAG_WORDS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


def flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A yes/no setting: true/false (also 1/0, yes/no, on/off), any case."""
    raw = text(env, name)
    if raw is None:
        return default
    try:
        return FLAG_WORDS[raw.lower()]
    except KeyError:
        raise ConfigError(f"{name}={raw!r}: use true or false") from None
