"""Reading requests (gallery/api/parser.py): marshmallow's error messages become the contract's
422 naming the first field in error."""

from __future__ import annotations

import pytest

from gallery.api.parser import error_message, first_error


@pytest.mark.parametrize(("messages", "expected"), [
    ({"title": ["Missing data for required field."]}, ("title", "Missing data for required field.")),
    ({"albums": {0: ["Not a valid string."]}}, ("albums", "Not a valid string.")),
    ({"_schema": ["Invalid input type."]}, (None, "Invalid input type.")),
    ({"a": ["first"], "b": ["second"]}, ("a", "first")),
    ({}, (None, "invalid value")),
])  # fmt: skip
def test_first_error(messages: dict, expected: tuple) -> None:
    assert first_error(messages) == expected


def test_messages() -> None:
    assert error_message("title", "Missing data for required field.") == "title is required"
    assert error_message("colour", "Unknown field.") == "unknown or read-only field: colour"
    assert error_message("limit", "Must be at most 200.") == "limit: Must be at most 200."
    assert error_message(None, "Invalid input type.") == "Invalid input type."
