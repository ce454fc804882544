"""Schemathesis against /api/v1/openapi.json with an editor's token: no 5xx, and every response
agrees with the document (status code, content type, body schema).

Bounded and deterministic: a fixed number of examples per operation, derandomised Hypothesis,
no example database.  Half of the generated requests use the path parameters of real objects
(an event, an album, a photo), so the operations get past their 404s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gallery.models import Role
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.conftest import make_token, make_user

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import checks as st_checks  # noqa: E402


@schemathesis.serializer("application/offset+octet-stream")
def _tus_chunk(ctx: Any, value: Any) -> bytes:
    """A tus PATCH body: raw bytes (what the generator made, as bytes)."""
    return value if isinstance(value, bytes) else str(value).encode()


EXAMPLES_PER_OPERATION = 20
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:600]


def _fuzz(
    operation: Any, *, headers: dict[str, str], real: dict[str, Any], tried: dict[str, int], failures: dict[str, str]
) -> None:
    """The bounded examples of one operation; failures are collected in ``failures``, not raised."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), use_real=st.booleans())
    def run(case: Any, use_real: bool) -> None:
        if use_real and case.path_parameters:
            case.path_parameters = {k: real.get(k, v) for k, v in case.path_parameters.items()}
        tried[operation.label] = tried.get(operation.label, 0) + 1
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected, reported below
            failures.setdefault(operation.label, f"{case.method} {case.formatted_path}: {_short(exc)}")

    run()


@pytest.mark.slow
def test_the_api_survives_fuzzing_and_keeps_its_schema(make_instance: Callable[..., Flask]) -> None:
    app = make_instance()
    with app.app_context():
        token = make_token(make_user(Role.editor))
        album = make_album("fuzz-album", event_slug="fuzz-event")
        photo_id = add_photo(app.test_client(), token, album.slug, jpeg(1))
    # No app context from here on: every request gets its own, as in production.
    real: dict[str, Any] = {"event": "fuzz-event", "album": "fuzz-album", "photo_id": photo_id}
    headers = {"Authorization": f"Bearer {token}"}

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6, [op.label for op in operations]
    failures: dict[str, str] = {}
    tried: dict[str, int] = {}

    for operation in operations:
        _fuzz(operation, headers=headers, real=real, tried=tried, failures=failures)

    assert all(tried.get(op.label, 0) >= 5 for op in operations), tried
    assert not failures, "\n".join(f"{label}: {text}" for label, text in sorted(failures.items()))
