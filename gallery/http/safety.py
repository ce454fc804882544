"""Helpers for redirect targets that came from the request."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths are followed (no open redirects)."""
    if not target:
        return default
    target = target.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return default  # control characters: header injection, or browsers dropping tabs/newlines
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
