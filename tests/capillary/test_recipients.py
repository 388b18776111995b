"""Issue 23 item 6: a customer is found however an API writes their address, as Capillary
finds them; what cannot be read is a 400 naming the field and changes nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.testing import Sandbox, in_process

from .helpers import (
    BLOCKED,
    MOBILE,
    SOURCE,
    Cap,
    assert_suppressed,
    batch,
    codes_of,
    email_v2,
    email_v11,
    messages_of,
    otp,
    send_message,
    sms_v11,
    status_query,
    validate,
)

# Gopal (blocked) mobile 919353491050: the tenant's org reads national numbers in India
MOBILES = [
    "00919353491050",  # the international prefix
    "0919353491050",  # a trunk 0 before the number with its country code
    "09353491050",  # the national number with its trunk 0
    "+91 93534-91050",
    "(+91) 93534.91050",
    "+91 (0) 93534 91050",
    "0091 93534 91050",
    "+91\u00a093534\u00a091050",  # no-break spaces, as formatted numbers are copied
]
# Gopal's e-mail gcr@example.com
EMAILS = [
    "gcr@example.com.",  # the fully qualified domain's trailing dot
    "Gopal Rao <GCR@Example.com>",
    "<gcr@example.com>",
    "  GCR@EXAMPLE.COM  ",
]
# invisible characters that would make another address of the same letters
INVISIBLE = ["\u200b", "\u200d", "\ufeff", "\u00ad", "\u202e", "\u2066", "\x07"]


def _only_message(cap: Cap, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code < 300, response.text
    [message] = cap.outbox()
    return message


@pytest.mark.parametrize("written", MOBILES)
def test_an_sms_reaches_the_blocked_customer_however_the_number_is_written(
    cap: Cap, written: str
) -> None:
    message = _only_message(
        cap,
        cap.post(
            "/v2/communications/sendMessage",
            send_message("sms", written),
            params={"channel": "sms"},
        ),
    )
    assert_suppressed(message)
    assert message["customer_id"] == str(BLOCKED)
    assert message["to"] == MOBILE[BLOCKED]  # the number as Capillary holds it


@pytest.mark.parametrize("written", EMAILS)
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1.1/communications/email", email_v11),
        ("/v2/communications/email", email_v2),
        ("/v2/communications/sendMessage?channel=email", lambda to: send_message("email", to)),
    ],
)
def test_an_email_reaches_the_blocked_customer_however_the_address_is_written(
    cap: Cap, written: str, path: str, body: Any
) -> None:
    message = _only_message(cap, cap.post(path, body(written)))
    assert_suppressed(message)
    assert message["customer_id"] == str(BLOCKED)


def test_the_v11_sms_api_finds_the_customer_by_a_national_number(cap: Cap) -> None:
    message = _only_message(cap, cap.post("/v1.1/communications/sms", sms_v11("0 93534 91050")))
    assert_suppressed(message)


# every lookup by mobile or e-mail: (method, path, query) with {name}/{value} to fill
LOOKUPS = [
    (
        "GET",
        "/v2/customers/lookup",
        {**SOURCE, "identifierName": "{name}", "identifierValue": "{value}"},
    ),
    (
        "GET",
        "/v2/customers/lookup/subscriptions",
        {**SOURCE, "identifierName": "{name}", "identifierValue": "{value}"},
    ),
    (
        "GET",
        "/v2/customers/interaction",
        {"identifierName": "{name}", "identifierValue": "{value}"},
    ),
    (
        "GET",
        "/v1.1/customer/interaction",
        {"identifierName": "{name}", "identifierValue": "{value}"},
    ),
    ("GET", "/v1.1/customer/interaction", {"{name}": "{value}"}),
    ("GET", "/v1.1/customer/get", {"{name}": "{value}"}),
    ("GET", "/v1.1/customer/subscriptions", {"{name}": "{value}"}),
]


def _filled(query: dict[str, str], name: str, value: str) -> dict[str, str]:
    fill = {"{name}": name, "{value}": value}
    return {fill.get(k, k): fill.get(v, v) for k, v in query.items()}


@pytest.mark.parametrize(
    ("name", "written"),
    [("mobile", MOBILES[0]), ("mobile", MOBILES[1]), ("mobile", MOBILES[2]), ("mobile", MOBILES[4])]
    + [("email", e) for e in EMAILS],
)
@pytest.mark.parametrize("lookup", LOOKUPS, ids=lambda v: f"{v[1]}?{','.join(v[2])}")
def test_every_lookup_finds_the_customer_however_the_identifier_is_written(
    cap: Cap, lookup: tuple[str, str, dict[str, str]], name: str, written: str
) -> None:
    method, path, query = lookup
    response = cap.call(method, path, params=_filled(query, name, written))
    assert response.status_code == 200, response.text  # not found: 400 (8015, 1012)
    if path not in {"/v2/customers/lookup/subscriptions", "/v2/customers/interaction"}:
        assert str(BLOCKED) in response.text, response.text


def test_a_status_label_is_assigned_by_a_national_number(cap: Cap) -> None:
    response = cap.put(
        "/v2/customers/lookup/status",
        {"status": "ACTIVE", "label": "Active", "reason": "cleared"},
        params=status_query("09353491050"),
    )
    assert response.status_code == 200, response.text
    assert "Active" in {entry["label"] for entry in cap.status_log(BLOCKED)}


def test_a_v11_request_names_the_customer_by_any_spelling_of_the_mobile(cap: Cap) -> None:
    item = {"type": "GOODWILL", "base_type": "POINTS", "points": 10}
    item["customer"] = {"mobile": "0091 93534 91050"}
    response = cap.post("/v1.1/request/add", batch("request", item))
    assert response.status_code == 200, response.text
    notices = cap.outbox()
    assert {m["channel"] for m in notices} == {"SMS", "EMAIL"}
    for message in notices:
        assert_suppressed(message)


def test_a_v11_subscription_names_the_customer_by_any_spelling_of_the_email(cap: Cap) -> None:
    item = {"email": "Gopal <GCR@Example.com.>", "channel": "email", "priority": "BULK"}
    item.update(scope="all", is_subscribed="0")
    response = cap.post("/v1.1/customer/subscriptions", batch("subscription", item))
    assert response.status_code == 200, response.text
    subscriptions = cap.customer(BLOCKED)["subscriptionInfo"]["subscriptions"]
    assert {"channel": "EMAIL", "priority": "BULK", "type": "OPTOUT"} in subscriptions


def test_an_otp_is_generated_and_validated_under_two_spellings_of_one_number(cap: Cap) -> None:
    generated = cap.post("/v2/otp/generate", otp("0919353491050"))
    assert generated.status_code == 200, generated.text
    [message] = cap.outbox()
    assert_suppressed(message)  # blocked: the code is recorded, not delivered
    code = re.search(r"\b(\d{6})\b", message["body"])
    assert code is not None
    validated = cap.post("/v2/otp/validate", validate("+91 93534 91050", code[1]))
    assert validated.json() == {"entity": True, "warnings": []}, validated.text


def test_a_registration_under_another_spelling_is_the_same_customer(cap: Cap) -> None:
    body = {"profiles": [{"identifiers": [{"type": "mobile", "value": "+91 93534 91050"}]}]}
    response = cap.post("/v2/customers", body)
    assert response.status_code == 400, response.text
    assert 8006 in codes_of(response.json())  # already exists
    again = cap.post("/v1.1/customer/add", batch("customer", {"email": "<GCR@example.com.>"}))
    customer = again.json()["response"]["customers"]["customer"][0]
    assert customer["user_id"] == BLOCKED, again.text  # updated, not registered twice


def test_a_new_customer_is_stored_with_the_number_in_its_normal_form(cap: Cap) -> None:
    body = {"profiles": [{"identifiers": [{"type": "mobile", "value": "0 91234 56789"}]}]}
    created = cap.post("/v2/customers", body)
    assert created.status_code == 200, created.text
    found = cap.lookup("+91 91234 56789")
    assert found.json()["entity"] == created.json()["createdId"], found.text
    shown = cap.customer(created.json()["createdId"])
    assert shown["profiles"][0]["identifiers"] == [{"type": "mobile", "value": "919123456789"}]


def test_explain_reads_the_address_as_the_sends_do(cap: Cap) -> None:
    for to in ("00919353491050", "Gopal <gcr@example.com.>"):
        channel = "SMS" if "@" not in to else "EMAIL"
        probe = {"vendor": "capillary", "channel": channel, "to": to}
        answer = cap.control("POST", "/explain", probe)
        assert answer.json()["reason"] == "CUSTOMER_STATUS_BLOCKED", answer.text


# --- what cannot be read ---------------------------------------------------------------------
@pytest.mark.parametrize("invisible", INVISIBLE)
def test_an_email_with_an_invisible_character_is_refused_naming_the_field(
    cap: Cap, invisible: str
) -> None:
    before = cap.snapshot()
    written = f"gcr{invisible}@example.com"
    response = cap.post("/v2/communications/email", email_v2(written))
    assert response.status_code == 400, response.text
    assert "email[0].to" in messages_of(response.json())
    assert f"U+{ord(invisible):04X}" in messages_of(response.json())
    listed = cap.post(
        "/v2/communications/sendMessage?channel=email", send_message("email", written)
    )
    assert listed.status_code == 400, listed.text
    assert 8055 in codes_of(listed.json()), listed.text
    assert cap.snapshot() == before


@pytest.mark.parametrize(
    ("request_", "field", "code"),
    [
        (
            (
                "GET",
                "/v2/customers/lookup",
                {**SOURCE, "identifierName": "email", "identifierValue": "gcr\u200b@example.com"},
                None,
            ),
            "identifierValue",
            8013,
        ),
        (("POST", "/v2/otp/generate", None, otp("9193534\u200b91050")), "entityValue", 602),
        (
            (
                "POST",
                "/v2/otp/generate",
                None,
                otp("gcr\u200b@example.com", "EMAIL", entity="EMAIL"),
            ),
            "entityValue",
            602,
        ),
        (
            (
                "POST",
                "/v2/customers",
                None,
                {
                    "profiles": [
                        {"identifiers": [{"type": "email", "value": "\ufeffnew@example.com"}]}
                    ]
                },
            ),
            "profiles[0].identifiers[0].value",
            8014,
        ),
        (
            ("POST", "/v1.1/customer/add", None, batch("customer", {"mobile": "+91 93534 9105O"})),
            "mobile",
            1001,
        ),
        (
            ("POST", "/v1.1/communications/sms", None, sms_v11("919353491050\u200b")),
            "root.sms[0].to",
            None,
        ),
        (
            (
                "POST",
                "/v2/communications/sendMessage?channel=sms",
                None,
                send_message("sms", "919353491050", sender="shop\u200b"),
            ),
            "sms[0].sender",
            None,
        ),
    ],
    ids=["lookup", "otp-mobile", "otp-email", "register-v2", "register-v11", "sms-v11", "sender"],
)
def test_what_cannot_be_read_is_a_400_naming_the_field_and_changes_nothing(
    cap: Cap, request_: tuple[str, str, Any, Any], field: str, code: int | None
) -> None:
    method, path, params, body = request_
    before = cap.snapshot()
    response = cap.call(method, path, body, params=params)
    assert response.status_code == 400, response.text
    assert field in messages_of(response.json()), response.text
    if code is not None:
        assert code in codes_of(response.json()), response.text
    assert cap.snapshot() == before


def test_a_sender_is_recorded_trimmed(cap: Cap) -> None:
    body = send_message("sms", MOBILE[BLOCKED], sender="  STORE1  ")
    message = _only_message(cap, cap.post("/v2/communications/sendMessage?channel=sms", body))
    assert message["from"] == "STORE1"


# --- the org's default country ---------------------------------------------------------------
def _tenant(sandbox: Sandbox, org: Any, mobile: str) -> Cap:
    section: dict[str, Any] = {"customers": [{"id": 1, "mobile": mobile, "status_label": "Off"}]}
    section["status_labels"] = [{"name": "Off", "block_communications": True}]
    if org is not None:
        section["org"] = org
    tenant = sandbox.create_tenant({"capillary": section})
    return Cap(tenant.http, tenant, tenant.capillary_auth())


@pytest.mark.parametrize(
    ("org", "stored", "written"),
    [
        ({"default_country": "GB"}, "+44 7700 900123", "07700 900123"),
        ({"default_country": 44}, "447700900123", "07700-900123"),
        ({"default_country": "+1"}, "+1 415 555 2671", "1 (415) 555-2671"),
        ({"default_country": "ru"}, "+7 912 345 67 89", "8 912 345-67-89"),
        (None, "919353491050", "09353491050"),  # a Capillary org's base country: India
    ],
)
def test_a_national_number_is_read_in_the_orgs_default_country(
    sandbox: Sandbox, org: Any, stored: str, written: str
) -> None:
    cap = _tenant(sandbox, org, stored)
    try:
        sent = cap.post("/v2/communications/sendMessage?channel=sms", send_message("sms", written))
        message = _only_message(cap, sent)
        assert message["customer_id"] == "1", message
        assert message["status"] == "SUPPRESSED", message
    finally:
        cap.tenant.delete()


def test_without_a_default_country_a_national_number_matches_only_as_written(
    sandbox: Sandbox,
) -> None:
    cap = _tenant(sandbox, {"default_country": None}, "919353491050")
    try:
        sent = cap.post(
            "/v2/communications/sendMessage?channel=sms", send_message("sms", "09353491050")
        )
        message = _only_message(cap, sent)
        assert (message["customer_id"], message["status"]) == (None, "DELIVERED"), message
        snapshot = cap.tenant.snapshot()
        assert snapshot["capillary"]["org"] == {"default_country": None}
    finally:
        cap.tenant.delete()


@pytest.mark.parametrize("code", ["XX", "India", 999, ""])
def test_a_default_country_that_names_none_is_refused_naming_it(
    sandbox: Sandbox, http: httpx.Client, code: Any
) -> None:
    document = {"capillary": {"org": {"default_country": code}, "customers": []}}
    response = http.put("/_sandbox/tenants/t-nowhere", json=document)
    assert response.status_code == 400, response.text
    assert "capillary.org.default_country" in response.text
    assert http.get("/_sandbox/tenants/t-nowhere").status_code == 404


def test_a_fixture_is_stored_in_the_normal_form_and_its_snapshot_loads_back(
    sandbox: Sandbox,
) -> None:
    """A document written by an earlier release (or by hand) in any spelling loads in
    today's normal form, the org's country kept, and matches every spelling."""
    section = {
        "org": {"default_country": "91"},
        "status_labels": [{"name": "Off", "block_communications": True}],
        "customers": [
            {"id": 1, "mobile": "0091 93534 91050", "email": "Gopal <GCR@Example.com.>"},
            {"id": 2, "mobile": "09988221100", "status_label": "Off"},
        ],
        "otps": [
            {
                "subject": "MOBILE:+91 93534 91050:GENERIC",
                "code": "123456",
                "created_id": 1,
                "expires_at": "2099-01-01T00:00:00Z",
            },
        ],
    }
    tenant = sandbox.create_tenant({"capillary": section})
    cap = Cap(tenant.http, tenant, tenant.capillary_auth())
    try:
        written = tenant.snapshot()["capillary"]
        assert written["org"] == {"default_country": "IN"}
        people = {c["id"]: c for c in written["customers"]}
        assert (people[1]["mobile"], people[1]["email"]) == ("919353491050", "GCR@Example.com")
        assert people[2]["mobile"] == "919988221100"
        assert written["otps"][0]["subject"] == "MOBILE:919353491050:GENERIC"
        assert cap.lookup("gcr@example.com", "email").json()["entity"] == 1
        validated = cap.post("/v2/otp/validate", validate("09353491050", "123456"))
        assert validated.json()["entity"] is True, validated.text
        sandbox.create_tenant(tenant.snapshot(), name=tenant.name)  # loads back as it was
        assert tenant.snapshot()["capillary"]["customers"] == written["customers"]
    finally:
        tenant.delete()


def test_a_declared_pending_change_takes_the_new_number_in_its_normal_form(
    sandbox: Sandbox,
) -> None:
    """A pending change a document declares is read as the API reads a new value (a national
    number in the org's country): approved, the blocked customer is found by every spelling
    of the new number. (Its new value was kept as written, `0 90000 12345`, whose key is not
    `919000012345`: a send to +91 90000 12345 was DELIVERED to the blocked customer.)"""
    section = {
        "status_labels": [{"name": "Off", "block_communications": True}],
        "customers": [{"id": 1, "mobile": "919353491050", "status_label": "Off"}],
        "requests": [
            {
                "id": 13_000_001,
                "customer_id": "1",
                "status": "PENDING",
                "type": "CHANGE_IDENTIFIER",
                "base_type": "MOBILE",
                "new_value": "0 90000 12345",
                "requested_on": "2026-01-01T00:00:00Z",
            }
        ],
    }
    tenant = sandbox.create_tenant({"capillary": section})
    cap = Cap(tenant.http, tenant, tenant.capillary_auth())
    try:
        declared = tenant.snapshot()["capillary"]["requests"][0]
        assert declared["new_value"] == "919000012345"
        approved = cap.call("PUT", "/v2/changeRequest/13000001", {"status": "APPROVED"})
        assert approved.status_code == 200, approved.text
        tenant.clear_outbox()
        for written in ("+91 90000 12345", "09000012345", "919000012345"):
            sent = cap.post(
                "/v2/communications/sendMessage?channel=sms", send_message("sms", written)
            )
            assert sent.status_code == 200, sent.text
        assert [(m["customer_id"], m["status"]) for m in tenant.outbox()] == [
            ("1", "SUPPRESSED")
        ] * 3
    finally:
        tenant.delete()


EARLIER = Path(__file__).parents[1] / "data" / "tenants" / "2ed6c79"


@pytest.mark.parametrize("written", ["09353491050", "919353491050", "+91 93534 91050"])
def test_a_mobile_an_earlier_release_stored_as_a_national_number_is_still_found(
    tmp_path: Path, written: str
) -> None:
    """An earlier release stored a fixture's `09353491050` as those digits, and its data
    directory loads as it is (no fixture is read again): the blocked customer is found by
    every spelling of the number in the org's country, the one the earlier release matched
    included. (Every send to them was DELIVERED after the upgrade.)"""
    shutil.copytree(EARLIER / "national", tmp_path / "tenants" / "national")
    with in_process(data_dir=tmp_path) as sandbox:
        tenant = sandbox.tenant("national")
        cap = Cap(tenant.http, tenant, tenant.capillary_auth())
        sent = cap.post("/v2/communications/sendMessage?channel=sms", send_message("sms", written))
        message = _only_message(cap, sent)
        assert (message["customer_id"], message["status"]) == ("1", "SUPPRESSED"), message
        found = cap.lookup(written, "mobile")
        assert found.json()["entity"] == 1, found.text
        registered = cap.post(
            "/v2/customers",
            {"profiles": [{"identifiers": [{"type": "mobile", "value": written}]}]},
        )
        assert registered.status_code == 400, registered.text
        assert 8006 in codes_of(registered.json())  # already exists: not a second customer
