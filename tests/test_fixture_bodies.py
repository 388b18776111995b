"""A fixture document as a new user sends it (issue 27, item 4): without a Content-Type, or with
curl's default one, it is read by its content (JSON if it parses as JSON, else YAML); where the
header contradicts the body, or the body is neither, the 400 says which header to send. Every
refusal leaves the tenant as it was."""

from __future__ import annotations

import json

import pytest
import yaml

from sandbox.testing import Sandbox
from sandbox.testing.example import EXAMPLE_FIXTURE

TENANT = "/_sandbox/tenants/by-content"
YAML_TEXT = yaml.safe_dump(EXAMPLE_FIXTURE).encode()
JSON_TEXT = json.dumps(EXAMPLE_FIXTURE).encode()
# what curl sends with -d / --data-binary and no -H, what some clients send for bytes
UNSAID = [None, "application/x-www-form-urlencoded", "text/plain", "application/octet-stream"]


def put(sandbox: Sandbox, body: bytes, content_type: str | None) -> tuple[int, dict[str, str]]:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = sandbox.http.put(TENANT, content=body, headers=headers)
    return answer.status_code, answer.json().get("error", {})


@pytest.mark.parametrize("content_type", UNSAID, ids=str)
@pytest.mark.parametrize("body", [YAML_TEXT, JSON_TEXT], ids=["yaml", "json"])
def test_a_fixture_whose_content_type_says_nothing_is_read_by_its_content(
    sandbox: Sandbox, body: bytes, content_type: str | None
) -> None:
    status, _ = put(sandbox, body, content_type)
    try:
        assert status == 201
        tenant = sandbox.tenant("by-content")
        assert tenant.snapshot()["capillary"]["customers"][0]["mobile"] == "919353491050"
    finally:
        sandbox.http.delete(TENANT)


def test_a_yaml_fixture_labelled_json_is_refused_naming_the_header_to_send(
    sandbox: Sandbox,
) -> None:
    status, error = put(sandbox, YAML_TEXT, "application/json")
    assert status == 400
    assert error["message"].startswith("request body is not valid JSON: ")
    assert error["message"].endswith("(for a YAML document send Content-Type: application/yaml)"), (
        error
    )
    assert sandbox.http.get(TENANT).status_code == 404  # nothing was made


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"capillary": {"customers": [}', "request body is not valid JSON: "),
        (b"capillary: [customers: {", "body is not valid YAML: "),
    ],
    ids=["json-like", "yaml-like"],
)
def test_a_body_neither_json_nor_yaml_says_which_header_to_send(
    sandbox: Sandbox, body: bytes, problem: str
) -> None:
    status, error = put(sandbox, body, None)
    assert status == 400 and error["field"] == "body"
    assert error["message"].startswith(problem), error
    assert error["message"].endswith(
        "(no Content-Type said which: send Content-Type: application/json or application/yaml)"
    ), error
    assert sandbox.http.get(TENANT).status_code == 404


# --- identifiers written as numbers ------------------------------------------------------------

UNQUOTED = b"""
capillary:
  customers:
    - {mobile: 919353491050, external_id: 4242}
messangi:
  senders:
    - {from: 141555549, type: SMS}
  blocklist:
    - {to: 525500000000, from: 141555549, type: SMS}
symplify:
  accounts:
    - customer_id: 1234
      lists:
        - id: 42
          contacts:
            - {original_id: 111, mobile: 46701234567}
"""


def test_identifiers_written_as_numbers_are_read_as_their_digits_for_every_vendor(
    sandbox: Sandbox,
) -> None:
    answer = sandbox.http.put(
        TENANT, content=UNQUOTED, headers={"Content-Type": "application/yaml"}
    )
    try:
        assert answer.status_code == 201, answer.text
        snapshot = sandbox.tenant("by-content").snapshot()
        customer = snapshot["capillary"]["customers"][0]
        assert (customer["mobile"], customer["external_id"]) == ("919353491050", "4242")
        entry = snapshot["messangi"]["blocklist"][0]
        assert (entry["from"], entry["to"]) == ("141555549", "525500000000")
        account = snapshot["symplify"]["accounts"][0]
        contact = account["lists"][0]["contacts"][0]
        assert (account["customer_id"], contact["original_id"]) == ("1234", "111")
        assert contact["mobile"] == "46701234567"
    finally:
        sandbox.http.delete(TENANT)


def test_the_same_document_in_json_with_numbers_loads_alike(sandbox: Sandbox) -> None:
    document = yaml.safe_load(UNQUOTED)
    answer = sandbox.http.put(TENANT, json=document)
    try:
        assert answer.status_code == 201, answer.text
        tenant = sandbox.tenant("by-content")
        sent = tenant.http.post(
            "/messangi/raven/v2/messages",
            json={"from": "141555549", "to": "525500000000", "text": "Hi", "type": "MT"},
            headers=tenant.messangi_auth(),
        )
        assert sent.status_code == 200
        tenant.assert_suppressed(to="+525500000000", reason="SENDER_BLOCKLISTED")
    finally:
        sandbox.http.delete(TENANT)
