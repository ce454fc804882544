"""Who may call a route (gallery/api/access.py): the permission is checked before the body is read,
and the document says so (bearer security, 401/403 answers) for exactly the protected routes."""

from __future__ import annotations

from flask.testing import FlaskClient

from gallery.api.spec import generate
from gallery.core.permissions import Permission
from tests.unit.api.helpers import call, error


def test_the_role_is_checked_before_the_body(client: FlaskClient, tokens: dict[str, str]) -> None:
    # an unreadable body from a role that may not call the route: 403, not 400
    assert error(call(client, "POST", "/events", tokens["photographer"], data="{"), 403)["code"] == "forbidden"
    assert error(call(client, "POST", "/events", None, data="{"), 401)["code"] == "unauthorized"
    assert error(call(client, "POST", "/events", tokens["editor"], data="{", content_type="application/json"), 400)


def test_protected_routes_document_their_permission_and_answers(client: FlaskClient) -> None:
    protected = {rule.endpoint: view for rule in client.application.url_map.iter_rules()
                 if rule.endpoint.startswith("api.")
                 for view in [client.application.view_functions[rule.endpoint]]}  # fmt: skip
    document = generate()["paths"]
    for path, item in document.items():
        for method, op in item.items():
            if method == "parameters":
                continue
            if op["security"] == [{"bearer": []}]:
                assert {"401", "403"} <= set(op["responses"]), (path, method)
                assert "needs " in op["responses"]["403"]["description"]
            else:
                assert op["security"] in ([{}, {"bearer": []}], [{}]), (path, method)
    needing = {getattr(view, "required_permission", None) for view in protected.values()} - {None}
    assert needing <= set(Permission) and Permission.edit_content in needing and Permission.upload in needing
