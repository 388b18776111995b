"""Fuzz every operation of openapi/capillary.yaml in-process, authenticated as a fuzz tenant.

Each operation gets its own tenant, created from the FIXTURE before its run, so a run's
requests and answers do not depend on which operations ran before it (or on which xdist worker).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from schemathesis import Case

from contracts import _support

pytestmark = pytest.mark.contract

APP = _support.new_app()
SCHEMA = _support.load(APP, "capillary.yaml")
DOCUMENT = "capillary"
OPERATION_IDS = _support.operation_ids(SCHEMA)

# The credentials of the tenant the running operation is fuzzed as.
ACTIVE: dict[str, Any] = {}


@SCHEMA.auth(refresh_interval=None)
class CapillaryBasicAuth:
    """The fuzz tenant's till credentials, as HTTP Basic, on every secured Capillary request."""

    def get(self, case: Case, context: Any) -> tuple[str, str] | None:
        if not ACTIVE or not case.operation.definition.raw.get("security", True):
            return None
        return ACTIVE["username"], ACTIVE["password"]

    def set(self, case: Case, data: tuple[str, str], context: Any) -> None:
        from requests.auth import _basic_auth_str

        # The sandbox reads a token before Basic credentials; a generated token would only be
        # rejected (401), so the valid Basic credentials replace any generated alternative.
        for name in [name for name in case.headers if name.lower() == "x-cap-api-oauth-token"]:
            del case.headers[name]
        case.headers["Authorization"] = _basic_auth_str(*data)


@pytest.fixture
def fuzz_tenant(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """A fresh tenant for this operation; its Capillary credentials become the active ones."""
    name = _support.tenant_name("fuzz-cap", OPERATION_IDS[request.node.operation_label])
    credentials = _support.put_tenant(APP, name)
    ACTIVE.clear()
    ACTIVE.update(credentials["capillary"])
    yield credentials
    ACTIVE.clear()


# Identifiers of the fixture's customers, so positive requests also reach existing ones.
CUSTOMER_IDS = [customer["id"] for customer in _support.CUSTOMERS]
IDENTIFIERS = {
    "mobile": [customer["mobile"] for customer in _support.CUSTOMERS],
    "email": [customer["email"] for customer in _support.CUSTOMERS],
    "id": [str(customer["id"]) for customer in _support.CUSTOMERS],
    "externalId": ["EXT-1", "EXT-2"],
    "external_id": ["EXT-1", "EXT-2"],
}


def aim_at_fixture(case: Case) -> None:
    """Point most schema-valid identifiers at the fixture's customers (3 in 4, by value)."""
    if _support.is_positive_at(case, "path"):
        for name in ("customerId", "userId"):
            value = case.path_parameters.get(name)
            if value is not None and _support.pick(value, name, 4):
                case.path_parameters[name] = _support.choose(value, CUSTOMER_IDS)
    if _support.is_positive_at(case, "query") and isinstance(case.query, dict):
        kind = case.query.get("identifierName")
        value = case.query.get("identifierValue")
        if kind in IDENTIFIERS and value is not None and _support.pick(value, "identifier", 4):
            case.query["identifierValue"] = _support.choose(value, IDENTIFIERS[kind])


@SCHEMA.parametrize()
def test_capillary_operation(case: Case, fuzz_tenant: dict[str, Any]) -> None:
    aim_at_fixture(case)
    _support.call_and_check(DOCUMENT, case)
