"""The shared readers of gallery/config/parsing.py: one variable each, typed, with an actionable error."""

from __future__ import annotations

import pytest

from gallery.config.parsing import ConfigError, flag, http_url, integer, mask_password, number, text


def test_text_strips_and_treats_blank_as_unset() -> None:
    assert text({"A": "  x "}, "A") == "x"
    assert text({"A": "   "}, "A") is None
    assert text({}, "A") is None


def test_integer_range_and_underscores() -> None:
    assert integer({"N": "1_000"}, "N", 5, minimum=0, maximum=2000) == 1000
    assert integer({}, "N", 5, minimum=0, maximum=10) == 5
    with pytest.raises(ConfigError, match="N='x' is not a whole number"):
        integer({"N": "x"}, "N", 5, minimum=0, maximum=10)
    with pytest.raises(ConfigError, match="from 0 to 10"):
        integer({"N": "11"}, "N", 5, minimum=0, maximum=10)


def test_number() -> None:
    assert number({"F": "2.5"}, "F", 1.0, minimum=0, maximum=3) == 2.5
    with pytest.raises(ConfigError, match="not a number"):
        number({"F": "fast"}, "F", 1.0, minimum=0, maximum=3)


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("YES", True), ("1", True), ("off", False), ("0", False)]
)
def test_flag_words(raw: str, expected: bool) -> None:
    assert flag({"B": raw}, "B", not expected) is expected


def test_flag_default_and_error() -> None:
    assert flag({}, "B", True) is True
    with pytest.raises(ConfigError, match="B='maybe': use true or false"):
        flag({"B": "maybe"}, "B", True)


def test_http_url_and_mask() -> None:
    assert http_url("U", "https://cdn.example.org/") == "https://cdn.example.org"
    assert http_url("U", None) is None
    with pytest.raises(ConfigError, match="http:// or https://"):
        http_url("U", "ftp://x")
    assert mask_password("redis://:pw@host:6379/0") == "redis://:***@host:6379/0"
