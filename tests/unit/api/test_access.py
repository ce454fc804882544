"""Who may call a route (gallery/api/access.py): the permission is checked before the body is read,
and the document says so (bearer security, 401/403 answers) for exactly the protected routes."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from gallery.api.spec import SERVER, generate
from gallery.core.permissions import Permission
from tests.unit.api.helpers import call, error


def test_the_role_is_checked_before_the_body(client: FlaskClient, tokens: dict[str, str]) -> None:
    # an unreadable body from a role that may not call the route: 403, not 400
    assert error(call(client, "POST", "/events", tokens["photographer"], data="{"), 403)["code"] == "forbidden"
    assert error(call(client, "POST", "/events", None, data="{"), 401)["code"] == "unauthorized"
    assert error(call(client, "POST", "/events", tokens["editor"], data="{", content_type="application/json"), 400)


# A bearer token; the resumable and direct uploads also take the upload page's logged-in session.
PROTECTED = ([{"bearer": []}], [{"bearer": []}, {"session": []}])


def test_protected_routes_document_their_permission_and_answers(client: FlaskClient) -> None:
    protected = {rule.endpoint: view for rule in client.application.url_map.iter_rules()
                 if rule.endpoint.startswith("api.")
                 for view in [client.application.view_functions[rule.endpoint]]}  # fmt: skip
    needs = {}  # (document path, method) -> the permission its view checks, or None
    for rule in client.application.url_map.iter_rules():
        if rule.endpoint in protected:
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(SERVER))
            for method in rule.methods or ():
                needs[path, method.lower()] = getattr(protected[rule.endpoint], "required_permission", None)
    document = generate()["paths"]
    for path, item in document.items():
        for method, op in item.items():
            if method == "parameters":
                continue
            permission = needs[path, method]
            if op["security"] in PROTECTED:
                assert permission is not None, (path, method)
                assert {"401", "403"} <= set(op["responses"]), (path, method)
                assert f"needs {permission.value}" in op["responses"]["403"]["description"], (path, method)
            else:
                assert op["security"] in ([{}, {"bearer": []}], [{}]), (path, method)
                assert permission is None, (path, method)
    needing = {getattr(view, "required_permission", None) for view in protected.values()} - {None}
    assert needing <= set(Permission) and Permission.edit_content in needing and Permission.upload in needing
