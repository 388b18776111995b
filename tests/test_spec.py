"""The OpenAPI documents drive routing and validation: every operation has a handler and
every handler an operation; validation errors name the field and carry vendor codes."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox import control, openapi
from sandbox.app import (
    VENDORS,
    HandlerMismatch,
    check_handlers,
    load_operations,
    with_vendor_operations,
)
from sandbox.errors import InvalidInput
from sandbox.openapi import Operation, compile_document, field_name, resolve_refs
from sandbox.settings import Settings
from sandbox.vendor import Vendor

# the control plane with the operations the vendors bring to it (Capillary's status labels)
DOCUMENTS = [
    *((vendor, None) for vendor in VENDORS),
    (with_vendor_operations(control.VENDOR, VENDORS), VENDORS),
]


@pytest.mark.parametrize(("vendor", "sections"), DOCUMENTS, ids=lambda v: getattr(v, "name", ""))
def test_every_operation_has_a_handler_and_every_handler_an_operation(
    vendor: Vendor, sections: tuple[Vendor, ...] | None
) -> None:
    operations = load_operations(Settings(), vendor, sections)  # raises on any mismatch
    assert {op.operation_id for op in operations} == set(vendor.handlers)


def test_operation_ids_are_unique_across_vendors() -> None:
    """A fault is set by operationId alone (PUT /_sandbox/tenants/{t}/faults/{operationId})."""
    ids = [op for vendor in VENDORS for op in vendor.handlers]
    assert len(ids) == len(set(ids))
    assert set(ids).isdisjoint(control.VENDOR.handlers)


def test_a_mismatch_stops_the_app_from_starting() -> None:
    lonely = Vendor("x", {"ghost": lambda ctx: None}, control.VENDOR.authenticate, "sandbox")  # type: ignore[arg-type,return-value]
    with pytest.raises(HandlerMismatch, match="handlers without an operation \\['ghost'\\]"):
        check_handlers(lonely, [])


def test_the_fourteen_block_communication_apis_are_all_documented() -> None:
    operations = load_operations(Settings(), VENDORS[0])
    numbered = sorted(
        (op.definition["x-block-communication-api"], op.method, op.path)
        for op in operations
        if "x-block-communication-api" in op.definition
    )
    assert [number for number, _, _ in numbered] == list(range(1, 15))
    assert numbered[9] == (10, "POST", "/v2/communications/sendMessage")
    assumed = {path for _, _, path in numbered if "changeRequest" in path or "internal" in path}
    assert assumed == {
        "/v2/customer/{customerId}/changeRequest",
        "/v2/changeRequest/{id}",
        "/v2/internal/subscription/configuration",
    }


DOC: dict[str, Any] = {
    "paths": {
        "/x": {
            "post": {
                "operationId": "x",
                "x-sandbox-items": "/root/item",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 5}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Body"}}
                    },
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Body": {
                "type": "object",
                "required": ["root"],
                "properties": {
                    "root": {
                        "type": "object",
                        "properties": {
                            "item": {"type": "array", "items": {"$ref": "#/components/schemas/I"}}
                        },
                    }
                },
            },
            "I": {
                "type": "object",
                "required": ["kind"],
                "properties": {
                    "kind": {"type": "string", "enum": ["A", "B"], "x-sandbox-error-code": 77}
                },
            },
        }
    },
}


def operation() -> Operation:
    return compile_document(DOC, "test")[0]


def test_refs_are_inlined() -> None:
    resolved = resolve_refs({"$ref": "#/components/schemas/I"}, DOC)
    assert resolved["properties"]["kind"]["enum"] == ["A", "B"]


def test_a_bad_item_fails_alone_with_its_field_and_vendor_code() -> None:
    errors = operation().validate_body({"root": {"item": [{"kind": "A"}, {"kind": "TANS"}]}})
    assert list(errors) == [("root", "item", 1)]
    error = errors[("root", "item", 1)]
    assert error.field == "root.item[1].kind" and error.vendor_code == 77
    assert '"TANS" is not one of the allowed values "A", "B"' in error.message


def test_an_envelope_error_fails_the_whole_request() -> None:
    with pytest.raises(InvalidInput) as raised:
        operation().validate_body({"wrong": 1})
    assert raised.value.field == "root" and raised.value.message == "root is required"


def test_query_parameters_are_coerced_then_validated() -> None:
    op = operation()
    assert op.parse_parameters("query", {"limit": "3"}, None) == {"limit": 3}
    with pytest.raises(InvalidInput, match="limit"):
        op.parse_parameters("query", {"limit": "9"}, None)
    with pytest.raises(InvalidInput, match='"many" is not of type integer'):
        op.parse_parameters("query", {"limit": "many"}, None)


def test_a_query_string_seen_before_gives_the_same_parameters_in_a_dict_of_its_own() -> None:
    """`Operation.parsed_query` keeps what it parsed: each request still gets a dict of its
    own, a refused query string is refused every time, and what it keeps is bounded."""
    op = operation()
    reads: list[bytes] = []

    def reader(text: bytes) -> Any:
        def read() -> tuple[dict[str, str], dict[str, list[str]]]:
            reads.append(text)
            key, _, value = text.decode().partition("=")
            return {key: value}, {}

        return read

    first = op.parsed_query(b"limit=3", reader(b"limit=3"))
    first["limit"] = 99  # a handler changing its own
    again = op.parsed_query(b"limit=3", reader(b"limit=3"))
    assert again == {"limit": 3} and again is not first
    assert reads == [b"limit=3"]  # parsed once
    for _ in range(2):
        with pytest.raises(InvalidInput, match="limit"):
            op.parsed_query(b"limit=9", reader(b"limit=9"))
    assert reads == [b"limit=3", b"limit=9", b"limit=9"]
    long = b"limit=1&" + b"x" * openapi.QUERY_KEPT
    assert op.parsed_query(long, reader(b"limit=1")) == {"limit": 1}
    assert long not in op._queries  # a long one is not kept
    for number in range(2 * openapi.QUERIES_KEPT):
        op.parsed_query(b"x=%d" % number, reader(b"x=%d" % number))
    assert len(op._queries) == openapi.QUERIES_KEPT


def test_field_names_read_like_paths() -> None:
    assert field_name(["root", "sms", 0, "to"]) == "root.sms[0].to"
    assert field_name([]) == "body"


def test_an_unknown_error_envelope_stops_the_app_from_starting() -> None:
    odd = Vendor("x", {}, control.VENDOR.authenticate, "no-such-envelope")
    with pytest.raises(
        HandlerMismatch, match="no error envelope registered as \\['no-such-envelope'\\]"
    ):
        check_handlers(odd, [])


def test_a_vendors_control_plane_operation_is_served_only_with_that_vendor() -> None:
    without = load_operations(Settings(), control.VENDOR, VENDORS[1:])
    assert "putStatusLabel" not in {op.operation_id for op in without}
    assert "putStatusLabel" in with_vendor_operations(control.VENDOR, VENDORS).handlers
    assert "putStatusLabel" not in control.VENDOR.handlers
