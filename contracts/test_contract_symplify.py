"""Fuzz every operation of openapi/symplify.yaml in-process, with the token of a tenant of its
own (see _support.OperationTenants), and follow the document's links (create a list -> add a
contact -> read it / block it, list -> send) in a stateful run."""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis import Case

from contracts import _support

pytestmark = pytest.mark.contract

APP = _support.new_app()
SCHEMA = _support.load(APP, "symplify.yaml")
DOCUMENT = "symplify"
TENANTS = _support.OperationTenants(APP, SCHEMA, DOCUMENT, "fuzz-sym")


@SCHEMA.auth(refresh_interval=None)
class SymplifyToken:
    """The tenant's token on every request."""

    def get(self, case: Case, context: Any) -> dict[str, str] | None:
        return {"X-Carma-Authentication-Token": TENANTS.of(case)["value"]}

    def set(self, case: Case, data: dict[str, str], context: Any) -> None:
        case.headers.update(data)


@pytest.fixture
def fuzz_tenant(request: pytest.FixtureRequest) -> dict[str, Any]:
    return TENANTS.reset(request.node.operation_label)


# The fixture's account, lists and contact (sandbox.testing.example)
ACCOUNT = _support.FIXTURE["symplify"]["accounts"][0]
CUSTOMER_ID = str(ACCOUNT["customer_id"])
LIST_IDS = [int(listed["id"]) for listed in ACCOUNT["lists"]]
CONTACT = ACCOUNT["lists"][0]["contacts"][0]
SEARCHES = {"ORIGINALID": CONTACT["original_id"], "EMAIL": CONTACT["email"]}
FAR_FUTURE = "2099-12-31"  # the fuzz tenants keep real time


def aim(case: Case) -> None:
    """Point most schema-valid accounts, lists, contacts and searches at the fixture's (3 in
    4, by value), so positive runs reach success answers, not only 403 and 404."""
    if _support.is_positive_at(case, "path"):
        params = case.path_parameters
        if _support.pick(params.get("customerid"), "customerid", 4):
            params["customerid"] = CUSTOMER_ID
        if "listId" in params and _support.pick(params["listId"], "listId", 4):
            params["listId"] = _support.choose(params["listId"], LIST_IDS)
        if "originalId" in params and _support.pick(params["originalId"], "originalId", 4):
            params["originalId"] = CONTACT["original_id"]
    operation_id = case.operation.definition.raw["operationId"]
    if operation_id in ("blockContact", "releaseContactBlock", "getContactBlock"):
        for location, target in (("body", case.body), ("query", case.query)):
            if _support.is_positive_at(case, location) and isinstance(target, dict):
                aim_search(target, operation_id)


def aim_search(dto: dict[str, Any], operation_id: str) -> None:
    if "findBy" not in dto or not _support.pick(dto.get("searchValue"), "search", 4):
        return
    dto["searchValue"] = SEARCHES["ORIGINALID" if dto["findBy"] == "ORIGINALID" else "EMAIL"]
    dto["listId"] = _support.choose(dto.get("listId"), ["-1", *map(str, LIST_IDS)])
    if operation_id == "blockContact":
        dto["blockUntil"] = FAR_FUTURE
    elif operation_id == "releaseContactBlock":
        dto["blockUntil"] = ""


@SCHEMA.parametrize()
def test_symplify_operation(case: Case, fuzz_tenant: dict[str, Any]) -> None:
    aim(case)
    _support.call_and_check(DOCUMENT, case)


def test_symplify_stateful() -> None:
    """Scenarios following the links: create a list, add a contact, read it, block it, send to
    the list, release the block."""
    operations = [
        "createList",
        "addContact",
        "getContact",
        "blockContact",
        "sendToList",
        "releaseContactBlock",
    ]
    tenant = _support.tenant_name("fuzz-sym-stateful", "links")
    _support.run_links(TENANTS, operations, tenant, aim)
