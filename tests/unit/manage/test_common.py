"""What the management views share (gallery/manage/common.py): telling a script's fetch() from a form, JSON
errors, and ids and numbers from form values."""

from __future__ import annotations

import pytest
from flask import Flask

from gallery.core.errors import ConflictError, ValidationError
from gallery.manage.common import int_list, json_error, parse_int, wants_json


def test_wants_json_only_when_json_is_what_the_script_asks_for() -> None:
    app = Flask("common")
    for accept, expected in (
        ("application/json", True),
        ("text/html", False),
        ("*/*", False),
        ("", False),
        ("text/html, application/json;q=0.5", False),
    ):
        with app.test_request_context("/", headers={"Accept": accept} if accept else {}):
            assert wants_json() is expected, accept


def test_json_error_has_the_contract_shape_and_the_status() -> None:
    with Flask("common").test_request_context("/"):
        response, status = json_error(ValidationError("caption is too long", field="caption"), photo_id=7)
        assert status == 422
        assert response.get_json() == {
            "error": {"code": "validation_error", "message": "caption is too long", "field": "caption", "photo_id": 7}
        }
        response, status = json_error(ConflictError("taken"))
        assert status == 409 and response.get_json() == {"error": {"code": "conflict", "message": "taken"}}


def test_int_list_takes_ids_only() -> None:
    assert int_list([" 1", "22 ", "2147483647"], field="ids") == [1, 22, 2147483647]
    assert int_list([], field="ids") == []
    for bad in ("0", "-1", "2147483648", "1.5", "x", "", "12345678901"):
        with pytest.raises(ValidationError) as info:
            int_list(["3", bad], field="photo_ids")
        assert info.value.field == "photo_ids" and "is not an id" in info.value.message


def test_parse_int_within_bounds() -> None:
    assert parse_int(" 5 ", field="position") == 5
    assert parse_int("-3", field="n", minimum=-5, maximum=5) == -3
    for bad in (None, "", "x", "6", "-1", "1e3", "99999999999"):
        with pytest.raises(ValidationError) as info:
            parse_int(bad, field="n", maximum=5)
        assert info.value.message == "use a whole number from 0 to 5" and info.value.field == "n"
