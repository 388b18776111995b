"""A snapshot (docs/contract.md section 8) recreates a tenant's observable state exactly in another
tenant: every collection, the same answers from every read API, the same next ids; in JSON and
YAML; without credentials; and a document that does not fit is refused, naming the bad key."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
import pytest
import yaml

from sandbox.testing import Sandbox, Tenant
from sandbox.testing import messangi as messangi_calls
from sandbox.testing.capillary import CALLS
from sandbox.testing.example import ACTIVE, EXAMPLE_FIXTURE

FROZEN = "2026-11-23T10:00:00Z"


def _lived_in(sandbox: Sandbox) -> Tenant:
    """A tenant that has been through every kind of write the vendors and control plane do."""
    org = {"org": {"default_country": "IN"}}  # the org's settings: a collection of their own
    tenant = sandbox.create_tenant(
        {**EXAMPLE_FIXTURE, "capillary": {**EXAMPLE_FIXTURE["capillary"], **org}}
    )
    tenant.set_clock(now=FROZEN, frozen=True)
    customer = next(c for c in EXAMPLE_FIXTURE["capillary"]["customers"] if c["id"] == ACTIVE)
    for call in CALLS.values():
        with contextlib.suppress(AssertionError):  # a repeated change request is refused
            call(tenant, customer)
    CALLS["POST /v2/otp/generate (whatsapp)"](tenant, customer)  # one OTP left unvalidated
    capillary = tenant.capillary_auth()
    assert sandbox.http.put(
        "/capillary/v2/customers/lookup/status",
        params={
            "source": "INSTORE",
            "identifierName": "mobile",
            "identifierValue": customer["mobile"],
        },
        json={"label": "Suspended", "reason": "chargeback"},
        headers=capillary,
    ).is_success
    messangi_calls.blocklist(tenant, "SMS", "528811", "+525511111111")
    messangi_calls.send(tenant, "SMS", "528811", "+525511111111")
    symplify = tenant.symplify_auth()
    created = sandbox.http.post("/symplify/1234/lists", json={"name": "VIP"}, headers=symplify)
    list_id = created.json()["id"]
    assert sandbox.http.post(
        f"/symplify/1234/lists/{list_id}/contacts",
        json={"originalId": "900", "emailAddress": "vip@example.com"},
        headers=symplify,
    ).is_success
    assert sandbox.http.put(
        "/symplify/1234/lists/contacts/tempblock",
        json={
            "findBy": "ORIGINALID",
            "listId": "-1",
            "searchValue": "111",
            "blockUntil": "2026-12-01",
        },
        headers=symplify,
    ).is_success
    sandbox.http.post(
        "/symplify/1234/lists/42/send", json={"subject": "Hi", "body": "News"}, headers=symplify
    )
    assert sandbox.http.post(  # one trigger message sent now, one kept for the next day
        "/symplify/1234/triggers/7/messages", json={"originalId": "111"}, headers=symplify
    ).is_success
    assert sandbox.http.post(
        "/symplify/1234/triggers/7/messages",
        json={"originalId": "111", "deliveryTime": "2030-01-01T00:00:00+0000"},
        headers=symplify,
    ).is_success
    assert sandbox.http.post(  # a journey for the blocked contact: its message suppressed
        "/symplify/1234/journeys/11/commence", json={"id": "111"}, headers=symplify
    ).is_success
    started = sandbox.http.post(  # the journey for a file of contacts (batchtrigger/v2)
        "/symplify/1234/batchtrigger/v2",
        json={"type": "JOURNEY_COMMENCE", "entityId": 11},
        headers=symplify,
    ).json()
    assert sandbox.http.put(started["uploadUrl"], content=b'{"id": "222"}\n').is_success
    made = sandbox.http.post(  # an import of two contacts, one with a property
        "/symplify/1234/lists/42/imports", json={"delimiter": "59"}, headers=symplify
    ).json()
    assert sandbox.http.post(
        f"/symplify/1234/lists/42/recipients/{made['id']}",
        content=b"originalId;emailAddress;tier\n111;gaga@example.org;gold\n990;x@example.com;\n",
        headers={**symplify, "Content-Type": "text/csv"},
    ).is_success
    tenant.set_fault("sendEmailV2", 503, times=2, probability=0.5, seed=7)
    tenant.settings(rate_limits={"messangi": 500}, outbox_retention=5000)
    tenant.advance_clock(90)
    return tenant


def _store(sandbox: Sandbox, tenant: Tenant) -> Any:
    assert sandbox.caller is not None
    return sandbox.caller.app.store.get(tenant.name)  # type: ignore[attr-defined]


def _reads(sandbox: Sandbox, tenant: Tenant) -> dict[str, Any]:
    """What every read API of every vendor and the control plane answers."""
    capillary, symplify = tenant.capillary_auth(), tenant.symplify_auth()
    http = sandbox.http
    customer = {"identifierName": "mobile", "identifierValue": "919988221100"}
    gets: dict[str, tuple[str, dict[str, Any], dict[str, str]]] = {
        "lookup": (
            "/capillary/v2/customers/lookup",
            {**customer, "source": "INSTORE", "embed": "subscriptions"},
            capillary,
        ),
        "v11 customer": ("/capillary/v1.1/customer/get", {"mobile": "919988221100"}, capillary),
        "status log": (f"/capillary/v2/customers/{ACTIVE}/statusLog", {}, capillary),
        "v11 subscriptions": (
            "/capillary/v1.1/customer/subscriptions",
            {"mobile": "919876543210"},
            capillary,
        ),
        "v2 subscriptions": (f"/capillary/v2/customers/{ACTIVE}/subscriptions", {}, capillary),
        "v11 interactions": ("/capillary/v1.1/customer/interaction", customer, capillary),
        "v2 interactions": ("/capillary/v2/customers/interaction", customer, capillary),
        "blocklist": (
            "/messangi/subscribers",
            {"type": "SMS", "from": "528811", "listType": "BLACK", "to": "+525511111111"},
            tenant.messangi_auth(),
        ),
        "lists": ("/symplify/1234/lists", {}, symplify),
        "contacts": ("/symplify/1234/lists/42/contacts/all", {}, symplify),
        "triggers": ("/symplify/1234/triggers", {}, symplify),
        "batch": ("/symplify/1234/batches/1", {}, symplify),
        "block": (
            "/symplify/1234/lists/contacts/tempblock",
            {"findBy": "ORIGINALID", "listId": "-1", "searchValue": "111"},
            symplify,
        ),
    }
    answers = {
        name: http.get(path, params=params, headers=auth)
        for name, (path, params, auth) in gets.items()
    }
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
    result = {name: answer.json() for name, answer in answers.items()}
    del result["blocklist"]["meta"]["transactionId"]  # random in every Messangi answer
    result.update(
        outbox=tenant.outbox(),
        clock=tenant.clock(),
        settings=tenant.settings(),
        faults=http.get(f"{tenant.control}/faults").json(),
    )
    return result


def test_a_snapshot_recreates_every_collection_and_every_answer(sandbox: Sandbox) -> None:
    source = _lived_in(sandbox)
    original = _store(sandbox, source)
    names = list(original.collections)
    empty = [name for name in names if not len(original[name])]
    assert empty == [], "the lived-in tenant should touch every collection"
    copy = sandbox.create_tenant(source.snapshot())
    recreated = _store(sandbox, copy)
    for name in names:  # the same documents in the same order, but for Symplify's contacts: a
        # snapshot nests them by list (each list's order, observable, is what _reads compares)
        mine, theirs = recreated[name].snapshot(), original[name].snapshot()
        if name == "symplify_contacts":
            mine, theirs = (
                sorted(mine, key=lambda d: d["id"]),
                sorted(theirs, key=lambda d: d["id"]),
            )
        assert mine == theirs, name
        assert recreated[name].tallies == original[name].tallies, name
    assert recreated.sequences == original.sequences
    assert recreated["messages"].capacity == 5000
    assert _reads(sandbox, copy) == _reads(sandbox, source)


def test_the_copy_gives_the_same_next_ids(sandbox: Sandbox) -> None:
    source = _lived_in(sandbox)
    copy = sandbox.create_tenant(source.snapshot())
    for tenant in (source, copy):
        messangi_calls.blocklist(tenant, "SMS", "528811", "+525522222222")
        messangi_calls.send(tenant, "SMS", "141555549", "+525533333333")
    assert [m["id"] for m in copy.outbox()] == [m["id"] for m in source.outbox()]
    assert source.snapshot()["messangi"] == copy.snapshot()["messangi"]


def test_yaml_snapshots_load_back_and_carry_no_credentials(sandbox: Sandbox) -> None:
    source = _lived_in(sandbox)
    answer = sandbox.http.get(f"{source.control}/snapshot", headers={"Accept": "application/yaml"})
    assert answer.headers["content-type"] == "application/yaml"
    for secret in ("password", "oauth_secret"):
        assert source.credentials["capillary"][secret] not in answer.text
    assert source.credentials["symplify"]["value"] not in answer.text
    document = yaml.safe_load(answer.text)
    assert document["snapshot"]["format"] == 1 and document["snapshot"]["tenant"] == source.name
    copy = sandbox.create_tenant(answer.content)  # the YAML text, as a file would hold it
    assert copy.credentials != source.credentials
    mine, theirs = copy.snapshot(), source.snapshot()
    assert {**mine, "snapshot": None} == {**theirs, "snapshot": None}


def test_a_reset_restores_the_snapshot_it_was_made_from(sandbox: Sandbox) -> None:
    source = _lived_in(sandbox)
    document = source.snapshot()
    copy = sandbox.create_tenant(document)
    copy.clear_outbox()
    copy.advance_clock(3600)
    copy.clear_faults()
    copy.reset()
    after = copy.snapshot()
    assert {**after, "snapshot": None} == {**document, "snapshot": None}
    assert copy.clock() == {"now": "2026-11-23T10:01:30.000Z", "frozen": True}


def test_a_running_clock_keeps_its_distance_from_real_time(sandbox: Sandbox) -> None:
    source = sandbox.create_tenant({})
    source.advance_clock(86_400)
    copy = sandbox.create_tenant(source.snapshot())
    assert copy.snapshot()["clock"]["offset_seconds"] == 86_400
    assert copy.clock()["frozen"] is False


def test_a_fixture_may_declare_what_a_snapshot_holds(sandbox: Sandbox) -> None:
    """One format: a hand-written fixture with a frozen clock, a blocked contact, a fault and a
    message works like a snapshot; the message counts in the interaction history."""
    message = {
        "id": "1000007",
        "vendor": "capillary",
        "operation": "sendMessage",
        "channel": "SMS",
        "to": "919988221100",
        "from": None,
        "customer_id": str(ACTIVE),
        "category": "TRANSACTIONAL",
        "priority": "TRANS",
        "subject": None,
        "body": "hello",
        "status": "DELIVERED",
        "reason": None,
        "decision": [],
        "created_at": FROZEN,
    }
    fixture = {
        **EXAMPLE_FIXTURE,
        "clock": {"now": FROZEN, "frozen": True},
        "faults": [{"operationId": "sendMessage", "status": 503, "times": 1}],
        "outbox": [message],
        "symplify": {
            "accounts": [
                {
                    "customer_id": "1234",
                    "lists": [
                        {
                            "id": 42,
                            "contacts": [
                                {
                                    "original_id": "111",
                                    "email": "lady_gaga@example.com",
                                    "temp_block": {"until": "2026-11-30"},
                                }
                            ],
                        }
                    ],
                }
            ]
        },
    }
    tenant = sandbox.create_tenant(fixture)
    auth = tenant.capillary_auth()
    history = sandbox.http.get(
        "/capillary/v1.1/customer/interaction",
        params={"identifierName": "mobile", "identifierValue": "919988221100"},
        headers=auth,
    ).json()
    [network] = history["response"]["customer"]["interactions"]["network"]
    sms = next(i for i in network["interaction"] if i["type"] == "sms")
    assert sms["count"] == 1
    refused = sandbox.http.post(
        "/capillary/v2/communications/sendMessage",
        json={"sms": [{"to": "919988221100", "body": "x"}]},
        headers=auth,
    )
    assert refused.status_code == 503
    block = sandbox.http.get(
        "/symplify/1234/lists/contacts/tempblock",
        params={"findBy": "ORIGINALID", "listId": "42", "searchValue": "111"},
        headers=tenant.symplify_auth(),
    ).json()
    assert (block["blocked"], block["blockUntil"]) == (True, "2026-11-30")
    sandbox.http.post(
        "/symplify/1234/lists/42/send",
        json={"subject": "s", "body": "b"},
        headers=tenant.symplify_auth(),
    )
    assert tenant.outbox()[0]["id"] == "1000008"  # after the declared message
    tenant.assert_suppressed(to="lady_gaga@example.com", reason="CONTACT_TEMP_BLOCKED")


BAD_DOCUMENTS = [
    (
        {"capillary": {"customers": [{"id": 1, "mobil": "919988221100"}]}},
        "capillary.customers[0].mobil",
    ),
    ({"outbox": [{"id": "1"}]}, "outbox[0].vendor"),
    ({"clock": {"now": "yesterday", "frozen": True}}, "clock.now"),
    (
        {"capillary": {"customers": [{"id": 1, "created_at": "not a time"}]}},
        "capillary.customers[0].created_at",
    ),
    ({"faults": [{"operationId": "sendTelegram", "status": 503}]}, "faults[0].operationId"),
    ({"snapshot": {"format": 2}}, "snapshot.format"),
    (
        {
            "symplify": {
                "accounts": [
                    {
                        "customer_id": "1",
                        "lists": [
                            {
                                "id": 1,
                                "contacts": [
                                    {"original_id": "a", "temp_block": {"until": "2026-02-30"}}
                                ],
                            }
                        ],
                    }
                ]
            }
        },
        "symplify.accounts[0].lists[0].contacts[0].temp_block.until",
    ),
    (
        {
            "messangi": {
                "blocklist": [{"to": "+525500000000", "from": "1", "type": "SMS", "date": "soon"}]
            }
        },
        "messangi.blocklist[0].date",
    ),
    ({"sequences": {"Message": 3}}, "sequences"),
    (
        {
            "faults": [
                {"operationId": "sendMessage", "status": 503},
                {"operationId": "sendMessage", "status": 500},
            ]
        },
        "faults[1].operationId",
    ),
]


@pytest.mark.parametrize(("document", "field"), BAD_DOCUMENTS)
def test_a_document_that_does_not_fit_is_refused_naming_the_key(
    http: httpx.Client, document: dict[str, Any], field: str
) -> None:
    answer = http.put("/_sandbox/tenants/refused", json=document)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == field, answer.text
    assert http.get("/_sandbox/tenants/refused").status_code == 404  # nothing created


def test_an_unknown_tenant_has_no_snapshot(http: httpx.Client) -> None:
    answer = http.get("/_sandbox/tenants/nobody/snapshot")
    assert answer.status_code == 404
    assert answer.json()["error"]["field"] == "tenant"
