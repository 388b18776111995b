"""Fuzz every operation of openapi/messangi.yaml in-process, with the Bearer key of a tenant
of its own (see _support.OperationTenants), and follow the document's links (add -> get/delete
a blocklist entry, send -> read its status) in a stateful run."""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis import Case

from contracts import _support

pytestmark = pytest.mark.contract

APP = _support.new_app()
SCHEMA = _support.load(APP, "messangi.yaml")
DOCUMENT = "messangi"
TENANTS = _support.OperationTenants(APP, SCHEMA, DOCUMENT, "fuzz-msg")


@SCHEMA.auth(refresh_interval=None)
class MessangiBearer:
    """The tenant's API key on every secured request."""

    def get(self, case: Case, context: Any) -> dict[str, str] | None:
        if case.operation.definition.raw.get("security") == []:
            return None
        return {"Authorization": TENANTS.of(case)["value"]}

    def set(self, case: Case, data: dict[str, str], context: Any) -> None:
        case.headers.update(data)


@pytest.fixture
def fuzz_tenant(request: pytest.FixtureRequest) -> dict[str, Any]:
    return TENANTS.reset(request.node.operation_label)


# The fixture's blocklist: its entries, their ids (fixed by the fixture's order), its senders.
ENTRIES: list[dict[str, Any]] = _support.FIXTURE["messangi"]["blocklist"]
ENTRY_IDS = [f"{n:024x}" for n in range(1, len(ENTRIES) + 1)]
SENDERS = [sender["from"] for sender in _support.FIXTURE["messangi"]["senders"]]
PHONES = ["+525500000000", "52 55 0000 0000", "+14155550100"]
EMAILS = ["blocked@example.com", "Someone@Example.com"]
PHONE_SENDS = ("sendSms", "sendWhatsapp", "sendRcs")


def aim(case: Case) -> None:
    """Most schema-valid recipients, senders, ids and logins are pointed at real ones (3 in 4,
    by value), so positive runs reach success answers, not only "not a phone number"."""
    operation_id = case.operation.definition.raw["operationId"]
    if _support.is_positive_at(case, "path") and operation_id == "deleteSubscriber":
        value = case.path_parameters.get("id")
        if value is not None and _support.pick(value, "id", 4):
            case.path_parameters["id"] = _support.choose(value, ENTRY_IDS)
    query = case.query
    if (
        operation_id == "getSubscriber"
        and _support.is_positive_at(case, "query")
        and isinstance(query, dict)
        and _support.pick(query.get("to"), "query", 4)
    ):
        entry = _support.choose(query.get("to"), ENTRIES)
        query.update(type=entry["type"], to=entry["to"], **{"from": entry["from"]})
    body = case.body
    if not isinstance(body, dict) or not _support.is_positive_at(case, "body"):
        return
    if not _support.pick(body, operation_id, 4):
        return
    if operation_id == "login":
        credentials = TENANTS.of(case)
        body.update(username=credentials["username"], password=credentials["password"])
    elif operation_id == "addSubscriber":
        email = body.get("type") == "EMAIL"
        body["to"] = _support.choose(body.get("to"), EMAILS if email else PHONES)
        body["from"] = _support.choose(body.get("from"), SENDERS)
    elif operation_id in PHONE_SENDS or operation_id == "sendEmail":
        body["to"] = _support.choose(
            body.get("to"), PHONES if operation_id in PHONE_SENDS else EMAILS
        )
        body["from"] = _support.choose(body.get("from"), SENDERS)
    elif operation_id == "sendNotification" and isinstance(body.get("request"), dict):
        request = body["request"]
        request["to"] = _support.choose(request.get("to"), PHONES)
        request["shortcode"] = _support.choose(request.get("shortcode"), SENDERS)


@SCHEMA.parametrize()
def test_messangi_operation(case: Case, fuzz_tenant: dict[str, Any]) -> None:
    aim(case)
    _support.call_and_check(DOCUMENT, case)


def test_messangi_stateful() -> None:
    """Scenarios following the links: add -> get / delete / send to it, send -> status."""
    operations = [
        "addSubscriber",
        "getSubscriber",
        "deleteSubscriber",
        "sendSms",
        "sendNotification",
        "getMessage",
    ]
    tenant = _support.tenant_name("fuzz-msg-stateful", "links")
    _support.run_links(TENANTS, operations, tenant, aim)
