"""Fuzz every operation of openapi/capillary.yaml in-process, authenticated as a tenant of its
own (see _support.OperationTenants), and follow the document's links in stateful runs."""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis import Case

from contracts import _support

pytestmark = pytest.mark.contract

APP = _support.new_app()
SCHEMA = _support.load(APP, "capillary.yaml")
DOCUMENT = "capillary"
TENANTS = _support.OperationTenants(APP, SCHEMA, DOCUMENT, "fuzz-cap")


@SCHEMA.auth(refresh_interval=None)
class CapillaryBasicAuth:
    """The fuzz tenant's till credentials, as HTTP Basic, on every secured Capillary request."""

    def get(self, case: Case, context: Any) -> dict[str, str] | None:
        if case.operation.definition.raw.get("security") == []:
            return None
        return _support.basic_auth(TENANTS.of(case))

    def set(self, case: Case, data: dict[str, str], context: Any) -> None:
        # The sandbox reads a token before Basic credentials; a generated token would only be
        # rejected (401), so the valid Basic credentials replace any generated alternative.
        for name in [name for name in case.headers if name.lower() == "x-cap-api-oauth-token"]:
            del case.headers[name]
        case.headers.update(data)


@pytest.fixture
def fuzz_tenant(request: pytest.FixtureRequest) -> dict[str, Any]:
    """This operation's tenant, reset to the FIXTURE (same credentials) before its run."""
    return TENANTS.reset(request.node.operation_label)


# Identifiers of the fixture's customers, so positive requests also reach existing ones.
CUSTOMER_IDS = [customer["id"] for customer in _support.CUSTOMERS]
IDENTIFIERS = {
    "mobile": [customer["mobile"] for customer in _support.CUSTOMERS],
    "email": [customer["email"] for customer in _support.CUSTOMERS],
    "id": [str(customer["id"]) for customer in _support.CUSTOMERS],
    "externalId": ["EXT-1", "EXT-2"],
    "external_id": ["EXT-1", "EXT-2"],
}
V11_QUERY_IDENTIFIERS = ("mobile", "email", "external_id", "id")
LABELS = [label["name"] for label in _support.FIXTURE["capillary"]["status_labels"]]


def aim_at_fixture(case: Case) -> None:
    """Point most schema-valid identifiers at the fixture's customers (3 in 4, by value), so
    positive runs reach the success answers too, not only "customer not found"."""
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
        if case.operation.definition.raw["operationId"] in (
            "getCustomerV11",
            "getCustomerInteractionsV11",
            "getSubscriptionsV11",
        ):
            for name in V11_QUERY_IDENTIFIERS:
                value = case.query.get(name)
                if value is not None and _support.pick(value, name, 4):
                    case.query[name] = _support.choose(value, IDENTIFIERS[name])
    if _support.is_positive_at(case, "body"):
        shape_body(case)


def shape_body(case: Case) -> None:
    """Bodies whose free-form fields the sandbox reads more narrowly than the schema says."""
    body, operation_id = case.body, case.operation.definition.raw["operationId"]
    if not isinstance(body, dict) or not _support.pick(body, operation_id, 4):
        return
    if operation_id == "generateOAuthToken":
        credentials = TENANTS.of(case)
        body.update(key=credentials["oauth_key"], secret=credentials["oauth_secret"])
    elif operation_id == "addCustomerV2":
        # identifier types are free strings in the schema; the sandbox registers mobile,
        # email, externalId and wechat ones, and labels must exist in the tenant
        unique = _support.choose(body, range(10**9))
        body["profiles"][0]["identifiers"] = [{"type": "externalId", "value": f"FUZZ-{unique}"}]
        if "statusLabel" in body:
            body["statusLabel"] = _support.choose(body["statusLabel"], LABELS)
    elif operation_id == "updateCustomerStatus" and "label" in body:
        body["label"] = _support.choose(body["label"], LABELS)
    elif operation_id == "updateSubscriptionsV11":
        # items name a customer by one identifier; point them at the fixture's
        items = body.get("root", body).get("subscription")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                for name in V11_QUERY_IDENTIFIERS:
                    item.pop(name, None)
                item["mobile"] = _support.choose(repr(item), IDENTIFIERS["mobile"])


@SCHEMA.parametrize()
def test_capillary_operation(case: Case, fuzz_tenant: dict[str, Any]) -> None:
    aim_at_fixture(case)
    _support.call_and_check(DOCUMENT, case)


# ---------------------------------------------------------------- stateful: following links
# The links of capillary.yaml, split in two state machines because schemathesis only starts
# scenarios from the operations it judges "reliable roots" of the operations it is given.
WORKFLOWS = {
    # addCustomerV2 -> getCustomerV2 -> getCustomerInteractionsV2, addCustomerV2 ->
    # updateCustomerStatus -> sendMessage, addCustomerV2 -> getStatusLog / configureSubscription,
    # lookupCustomerV2 -> getCustomerV2
    "customer-journey": [
        "addCustomerV2",
        "lookupCustomerV2",
        "getCustomerV2",
        "getStatusLog",
        "updateCustomerStatus",
        "configureSubscription",
        "getCustomerInteractionsV2",
        "sendMessage",
    ],
    # addCustomerV2 -> createChangeRequest -> updateChangeRequest, the same for goodwill,
    # generateOtp -> validateOtp
    "requests-and-otp": [
        "addCustomerV2",
        "createChangeRequest",
        "updateChangeRequest",
        "createGoodwillRequest",
        "updateGoodwillRequest",
        "generateOtp",
        "validateOtp",
    ],
}


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_capillary_stateful(name: str) -> None:
    """SANDBOX_FUZZ_EXAMPLES scenarios of 2 to 8 calls each, following the links."""
    tenant = _support.tenant_name("fuzz-cap-stateful", name)
    _support.run_links(TENANTS, WORKFLOWS[name], tenant, aim_at_fixture, shape_body)
