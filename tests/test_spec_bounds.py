"""Every number, date and id a vendor request takes is bounded in its document (CONTRACT
section 13): an integer by what the store keeps (64 bits, or the vendor's documented range),
a date by its documented form (years 0001-9999), so a value beyond is a 400 naming the field
before any handler reads it; and the bounds hold at run time too (a 5,000-digit id in a
path, a query or a body is such a 400)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.openapi import HTTP_METHODS, load_document, resolve_refs
from sandbox.testing import Sandbox, Tenant

DOCUMENTS = Path(__file__).resolve().parent.parent / "openapi"
VENDORS = ("capillary", "messangi", "symplify")
INT64 = (-(2**63), 2**63 - 1)
DAY = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def request_schemas(vendor: str) -> Iterator[tuple[str, Any]]:
    """(where, schema) of every parameter and JSON body of the vendor's operations."""
    document = load_document(DOCUMENTS / f"{vendor}.yaml")
    for item in document["paths"].values():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            operation = resolve_refs(operation, document)
            label = f"{vendor} {operation['operationId']}"
            shared = [resolve_refs(p, document) for p in item.get("parameters", [])]
            for parameter in shared + operation.get("parameters", []):
                yield f"{label} {parameter['in']}:{parameter['name']}", parameter.get("schema", {})
            content = (operation.get("requestBody") or {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            if body is not None:
                yield f"{label} body", body


def nodes(where: str, schema: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every sub-schema, named by where it is."""
    if not isinstance(schema, dict):
        return
    yield where, schema
    for name, sub in (schema.get("properties") or {}).items():
        yield from nodes(f"{where}.{name}", sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from nodes(f"{where}[]", schema[key])
    for key in ("anyOf", "oneOf", "allOf"):
        for index, sub in enumerate(schema.get(key) or []):
            yield from nodes(f"{where}<{key}{index}>", sub)


def kinds(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if kind else set()


def every_node() -> Iterator[tuple[str, dict[str, Any]]]:
    for vendor in VENDORS:
        for where, schema in request_schemas(vendor):
            yield from nodes(where, schema)


def test_every_number_a_vendor_request_takes_is_bounded_within_64_bits() -> None:
    unbounded = []
    for where, schema in every_node():
        if not kinds(schema) & {"integer", "number"} or "enum" in schema or "const" in schema:
            continue
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if low is None or high is None or low < INT64[0] or high > INT64[1]:
            unbounded.append(f"{where}: {low}..{high}")
    assert unbounded == []


def test_every_date_a_vendor_request_takes_has_its_documented_form() -> None:
    dates = {where: schema for where, schema in every_node() if schema.get("format") == "date"}
    assert dates, "blockUntil is one"
    assert {where: schema.get("pattern") for where, schema in dates.items()} == dict.fromkeys(
        dates, DAY
    )


@pytest.fixture
def shop(sandbox: Sandbox) -> Iterator[Tenant]:
    made = sandbox.create_tenant({})
    yield made
    made.delete()


HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (("GET", f"/capillary/v2/customers/{HUGE}?source=INSTORE", None), "customerId"),
        (("GET", f"/capillary/v1.1/customer/interaction?id=1&offset={HUGE}", None), "offset"),
        (("GET", f"/capillary/v1.1/customer/subscriptions?id=1&limit={HUGE}", None), "limit"),
        (("GET", f"/symplify/1/lists/{HUGE}", None), "listId"),
        (("GET", f"/symplify/1/lists/42/contacts/all?lastId={HUGE}", None), "lastId"),
        (
            (
                "POST",
                "/symplify/1/triggers/7/messages",
                {"originalId": "1", "campaignId": 2**64 - 1},
            ),
            "campaignId",
        ),
        (
            (
                "POST",
                "/symplify/1/lists/contacts/tempblock",
                {"findBy": "ORIGINALID", "listId": HUGE, "searchValue": "1"},
            ),
            "listId",
        ),
    ],
)
def test_an_id_of_5000_digits_anywhere_is_a_400_naming_it(
    sandbox: Sandbox, shop: Tenant, request_: tuple[str, str, Any], field: str
) -> None:
    method, path, body = request_
    vendor = path.split("/")[1]
    headers = shop.capillary_auth() if vendor == "capillary" else shop.symplify_auth()
    answer = sandbox.http.request(method, path, json=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert field in answer.text
