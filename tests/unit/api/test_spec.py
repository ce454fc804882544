"""The generated OpenAPI document (gallery/api/spec.py): valid OpenAPI 3, every error answer in the
contract's shape, no catch-all answer, bearer security on the routes that need a permission."""

from __future__ import annotations

from openapi_spec_validator import validate

from gallery.api.spec import generate

METHODS = {"get", "post", "patch", "put", "delete"}


def operations() -> list[tuple[str, str, dict]]:
    return [(path, method, op) for path, item in generate()["paths"].items() for method, op in item.items()
            if method in METHODS]  # fmt: skip


def test_the_document_is_valid_openapi() -> None:
    document = generate()
    validate(document)
    assert document["servers"] == [{"url": "/api/v1"}]
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_errors_have_the_contract_shape_and_nothing_is_left_to_default() -> None:
    error = generate()["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    for path, method, op in operations():
        assert "default" not in op["responses"], (path, method)
        for status, answer in op["responses"].items():
            if status.startswith(("4", "5")) and "content" in answer:
                assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_new_routes_are_documented_with_their_security() -> None:
    ops = {(path, method): op for path, method, op in operations()}
    for key in [("/events", "get"), ("/events/{event}", "get"), ("/events/{event}/reports/{report}", "get"),
                ("/albums/{album}/photos", "get"), ("/events/{event}/albums", "get")]:  # fmt: skip
        assert ops[key]["security"] == [{}, {"bearer": []}], key
        assert "401" in ops[key]["responses"]
    for key in [("/events/{event}", "patch"), ("/events/{event}", "delete"), ("/albums/{album}", "delete"),
                ("/events/{event}/reports", "post"), ("/events/{event}/reports/{report}", "delete")]:  # fmt: skip
        assert ops[key]["security"] == [{"bearer": []}], key
        assert {"401", "403"} <= set(ops[key]["responses"]), key
    assert ops[("/events/{event}", "delete")]["responses"]["409"]["description"].startswith("code `not_empty`")
    page = generate()["components"]["schemas"]["EventPage"]
    assert page["required"] == ["items", "next"] and page["properties"]["next"]["nullable"] is True
