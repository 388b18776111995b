"""Bad input: a 4xx in Messangi's envelope (`meta.explain` naming the field, `data: null`),
and nothing stored or sent."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import BLOCKED, FREE, SENDS, Msg, entry, explain, lookup


def nothing_changed(msg: Msg) -> None:
    assert msg.find(**lookup(FREE)).status_code == 404
    assert msg.find(**lookup("free@example.com", "news@example.com", "EMAIL")).status_code == 404
    assert msg.tenant.outbox() == []


@pytest.mark.parametrize("missing", ["to", "reason", "type", "from"])
def test_add_without_a_required_field_names_it(msg: Msg, missing: str) -> None:
    body = entry(FREE)
    del body[missing]
    response = msg.add(body)
    assert response.status_code == 400
    assert missing in explain(response)
    nothing_changed(msg)


@pytest.mark.parametrize(
    ("label", "body", "field"),
    [
        ("unknown type", entry(FREE, kind="FAX"), "type"),
        ("lower-case type", entry(FREE, kind="sms"), "type"),
        ("unknown listType", entry(FREE, listType="WHITE"), "listType"),
        ("phone on an EMAIL list", entry(FREE, "news@example.com", "EMAIL"), "to"),
        ("e-mail on an SMS list", entry("free@example.com"), "to"),
        ("letters for a number", entry("call me maybe"), "to"),
        ("too long a number", entry("+1234567890123456"), "to"),
        ("empty to", entry(""), "to"),
        ("number for to", entry(5255), "to"),
        ("empty from", entry(FREE, ""), "from"),
        ("null reason", entry(FREE, reason=None), "reason"),
    ],
)
def test_add_with_a_bad_field_names_it(msg: Msg, label: str, body: Any, field: str) -> None:
    response = msg.add(body)
    assert response.status_code == 400, label
    assert explain(response).startswith(field) or f"{field} " in explain(response), label
    nothing_changed(msg)


@pytest.mark.parametrize("raw", [b"{", b"[]", b"null", b'"to"', b"{'to': 1}"])
def test_malformed_bodies_are_refused(msg: Msg, raw: bytes) -> None:
    response = msg.http.post(
        "/messangi/subscribers",
        content=raw,
        headers={**msg.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert explain(response)
    nothing_changed(msg)


@pytest.mark.parametrize("missing", ["type", "from", "listType", "to"])
def test_get_requires_all_four_parameters(msg: Msg, missing: str) -> None:
    params = lookup()
    del params[missing]
    response = msg.find(**params)
    assert response.status_code == 400
    assert missing in explain(response)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({**lookup(), "type": "PUSH"}, "type"),
        ({**lookup(), "listType": "WHITE"}, "listType"),
        (lookup(BLOCKED, "news@example.com", "EMAIL"), "to"),
    ],
)
def test_get_with_a_bad_parameter_names_it(msg: Msg, params: dict[str, str], field: str) -> None:
    response = msg.find(**params)
    assert response.status_code == 400
    assert field in explain(response)


def test_delete_with_an_id_that_is_not_24_hex_names_it(msg: Msg) -> None:
    response = msg.call("DELETE", "/subscribers/not-an-id")
    assert response.status_code == 400
    assert "id" in explain(response)
    assert msg.find(**lookup()).status_code == 200


@pytest.mark.parametrize("operation", sorted(SENDS))
@pytest.mark.parametrize("missing", ["from", "to"])
def test_a_send_without_from_or_to_names_it(msg: Msg, operation: str, missing: str) -> None:
    path, body = SENDS[operation]
    to = "free@example.com" if operation == "sendEmail" else FREE
    request = {**body, "from": "141555549", "to": to}
    del request[missing]
    response = msg.post(path, request)
    assert response.status_code == 400
    assert missing in explain(response)
    nothing_changed(msg)


@pytest.mark.parametrize(
    ("operation", "to", "extra", "field"),
    [
        ("sendSms", "free@example.com", {}, "to"),
        ("sendSms", FREE, {"type": "MO"}, "type"),
        ("sendSms", FREE, {"text": ""}, "text"),
        ("sendSms", FREE, {"text": "x" * 1601}, "text"),
        ("sendEmail", FREE, {}, "to"),
        ("sendEmail", "free@example.com", {"subject": None}, "subject"),
        ("sendWhatsapp", "free@example.com", {}, "to"),
        ("sendWhatsapp", FREE, {"body": None, "type": "text"}, "body"),
        ("sendWhatsapp", FREE, {"type": "template"}, "templateName"),
        ("sendWhatsapp", FREE, {"type": "image"}, "type"),
        ("sendRcs", "not a number", {}, "to"),
    ],
)
def test_a_send_with_a_bad_field_names_it(
    msg: Msg, operation: str, to: str, extra: dict[str, Any], field: str
) -> None:
    path, body = SENDS[operation]
    request = {
        k: v for k, v in {**body, "from": "141555549", "to": to, **extra}.items() if v is not None
    }
    response = msg.post(path, request)
    assert response.status_code == 400, response.text
    assert field in explain(response)
    nothing_changed(msg)


def test_an_unknown_path_answers_in_the_envelope(msg: Msg) -> None:
    response = msg.call("GET", "/raven/v9/nothing")
    assert response.status_code == 404
    assert "/messangi/raven/v9/nothing" in explain(response)


def test_a_wrong_method_answers_405_in_the_envelope(msg: Msg) -> None:
    response = msg.call("PUT", "/subscribers", entry())
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert explain(response)
