"""The routing layer on its own: which endpoint a path reaches, with which path parameters,
and the envelope of a path that names no operation."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.app import VENDORS, load_operations
from sandbox.asgi import Incoming
from sandbox.routing import OperationRouter
from sandbox.settings import Settings

CAPILLARY = VENDORS[0]


@pytest.fixture(scope="module")
def router() -> OperationRouter:
    settings = Settings()
    return OperationRouter(
        CAPILLARY,
        load_operations(settings, CAPILLARY),
        1_000_000,
    )


def incoming(method: str, path: str) -> Incoming:
    scope: dict[str, Any] = {"method": method, "path": path, "query_string": b"", "headers": []}
    return Incoming(scope, receive=None)  # type: ignore[arg-type]


def operations_of(router: OperationRouter, path: str) -> set[str]:
    resolved = router.resolve(path)
    assert resolved is not None, path
    return {op.operation_id for op in resolved[0].by_method.values()}


def test_a_literal_path_is_found_without_parameters(router: OperationRouter) -> None:
    endpoint, params = router.resolve("/v2/communications/sendMessage")  # type: ignore[misc]
    assert params == {}
    assert endpoint.by_method["POST"].operation_id == "sendMessage"


def test_a_templated_path_gives_its_parameters(router: OperationRouter) -> None:
    endpoint, params = router.resolve("/v2/customers/42/statusLog")  # type: ignore[misc]
    assert params == {"userId": "42"}
    assert endpoint.by_method["GET"].operation_id == "getStatusLog"


def test_a_literal_segment_wins_over_a_parameter(router: OperationRouter) -> None:
    assert operations_of(router, "/v2/customers/lookup/status") == {"updateCustomerStatus"}
    assert "lookupCustomerV2" in operations_of(router, "/v2/customers/lookup")


def test_a_parameter_does_not_span_segments(router: OperationRouter) -> None:
    assert router.resolve("/v2/customers/4/2/statusLog") is None


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/v1.1/nothing/here", "response"),  # v1.1's {"response": {"status": ...}}
        ("/v2/nothing/here", "errors"),  # v2's {"errors": [...]}
        ("/v9/unknown", "errors"),  # a version the vendor has not: its default envelope
    ],
)
def test_an_unknown_path_answers_404_in_the_envelope_of_its_version(
    router: OperationRouter, path: str, shape: str
) -> None:
    status, body, _ = router.not_found(incoming("GET", path), path)
    assert status == 404
    assert shape in body
