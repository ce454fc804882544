"""Takedown schemas (gallery/api/schemas/takedowns.py): boxes in fractions, the action and
decision enums, and the request's fields read from the model."""

from __future__ import annotations

import marshmallow as ma
import pytest

from gallery.api.schemas.takedowns import BoxSchema, DecisionSchema, TakedownRequestInSchema


def test_boxes_are_fractions() -> None:
    assert BoxSchema().load({"x": 0, "y": 0.5, "w": 1, "h": 0.25}) == {"x": 0.0, "y": 0.5, "w": 1.0, "h": 0.25}
    for bad in ({"x": 1.5, "y": 0, "w": 0.1, "h": 0.1}, {"x": 0, "y": 0, "w": 0, "h": 0.1}, {"x": 0, "y": 0, "w": 0.1}):
        with pytest.raises(ma.ValidationError):
            BoxSchema().load(bad)


def test_request_and_decision_bodies() -> None:
    loaded = TakedownRequestInSchema().load({"action": "blur", "boxes": [{"x": 0, "y": 0, "w": 0.5, "h": 0.5}]})
    assert str(loaded["action"]) == "blur"
    with pytest.raises(ma.ValidationError) as bad:
        TakedownRequestInSchema().load({"action": "burn", "reason": "x" * 2001})
    assert set(bad.value.messages) == {"action", "reason"}
    with pytest.raises(ma.ValidationError):
        TakedownRequestInSchema().load({"action": "blur", "boxes": [{"x": 0, "y": 0, "w": 0.1, "h": 0.1}] * 21})
    assert DecisionSchema().load({"action": "erase"}) == {"action": "erase"}
    with pytest.raises(ma.ValidationError):
        DecisionSchema().load({"action": "delete"})
