"""OTP generate and validate (seed 000 #12, #13): codes read from the outbox, single use,
15 minutes on the tenant clock, the same code resent within validity."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    MOBILE,
    OTP_CODE,
    Cap,
    assert_created,
    assert_names,
    messages_of,
    otp,
    outcomes,
    v2_error,
    validate,
)

GENERATE, VALIDATE = "/v2/otp/generate", "/v2/otp/validate"


def code_in(message: dict[str, Any]) -> str:
    found = OTP_CODE.search(message["body"])
    assert found, message["body"]
    return found.group(1)


def generate(cap: Cap, body: Any) -> tuple[int, str]:
    created = assert_created(cap.post(GENERATE, body))
    return created, code_in(cap.outbox()[0])


def test_generate_sends_a_six_digit_code(cap: Cap) -> None:
    created, _ = generate(cap, otp(MOBILE[ACTIVE], "SMS"))
    assert created != 1
    [message] = cap.outbox()
    assert (message["category"], message["channel"], message["to"]) == (
        "OTP",
        "SMS",
        MOBILE[ACTIVE],
    )
    assert message["operation"] == "generateOtp" and message["customer_id"] == str(ACTIVE)


def test_generate_then_validate_once(cap: Cap) -> None:
    _, code = generate(cap, otp(MOBILE[ACTIVE], "SMS"))
    response = cap.post(VALIDATE, validate(MOBILE[ACTIVE], code))
    assert response.status_code == 200
    assert response.json() == {"entity": True, "warnings": []}
    again = cap.post(VALIDATE, validate(MOBILE[ACTIVE], code))
    assert again.status_code == 400
    assert again.json()["entity"] is False


def test_validate_sends_nothing(cap: Cap) -> None:
    _, code = generate(cap, otp(MOBILE[BLOCKED], "SMS"))
    before = cap.outbox()
    cap.post(VALIDATE, validate(MOBILE[BLOCKED], code))
    cap.post(VALIDATE, validate(MOBILE[ACTIVE], "000000"))
    assert cap.outbox() == before


def test_wrong_code_is_entity_false(cap: Cap) -> None:
    _, code = generate(cap, otp(MOBILE[ACTIVE], "SMS"))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = cap.post(VALIDATE, validate(MOBILE[ACTIVE], wrong))
    assert response.status_code == 400
    assert response.json() == {"entity": False, "warnings": []}


def test_code_is_bound_to_its_action(cap: Cap) -> None:
    _, code = generate(cap, otp(MOBILE[ACTIVE], "SMS", action="REGISTRATION"))
    assert cap.post(VALIDATE, validate(MOBILE[ACTIVE], code, action="GENERIC")).status_code == 400
    assert (
        cap.post(VALIDATE, validate(MOBILE[ACTIVE], code, action="REGISTRATION")).status_code == 200
    )


def test_code_expires_after_15_minutes_of_tenant_clock(frozen: Cap) -> None:
    _, code = generate(frozen, otp(MOBILE[ACTIVE], "SMS"))
    frozen.tenant.advance_clock(901)
    response = frozen.post(VALIDATE, validate(MOBILE[ACTIVE], code))
    assert response.status_code == 400
    assert response.json()["entity"] is False


def test_code_is_valid_just_before_15_minutes(frozen: Cap) -> None:
    _, code = generate(frozen, otp(MOBILE[ACTIVE], "SMS"))
    frozen.tenant.advance_clock(899)
    assert frozen.post(VALIDATE, validate(MOBILE[ACTIVE], code)).status_code == 200


def test_regenerating_within_validity_resends_the_same_code(frozen: Cap) -> None:
    first, code = generate(frozen, otp(MOBILE[ACTIVE], "SMS"))
    frozen.tenant.advance_clock(600)
    response = frozen.post(GENERATE, otp(MOBILE[ACTIVE], "SMS"))
    assert response.status_code == 200
    assert response.json() == {"createdId": 1, "warnings": []}
    messages = frozen.outbox()
    assert len(messages) == 2
    assert code_in(messages[0]) == code
    assert frozen.post(VALIDATE, validate(MOBILE[ACTIVE], code)).status_code == 200
    assert first != 1


def test_regenerating_after_expiry_makes_a_new_otp(frozen: Cap) -> None:
    assert_created(frozen.post(GENERATE, otp(MOBILE[ACTIVE], "SMS")))
    frozen.tenant.advance_clock(901)
    created, new = generate(frozen, otp(MOBILE[ACTIVE], "SMS"))
    assert created != 1
    assert frozen.post(VALIDATE, validate(MOBILE[ACTIVE], new)).status_code == 200


def test_email_otp_uses_the_email_template(cap: Cap) -> None:
    body = otp(EMAIL[ACTIVE], "EMAIL", entity="EMAIL")
    body["emailTemplate"] = {"subject": "Your code", "body": "Code: {{ validation_code }}"}
    _, code = generate(cap, body)
    [message] = cap.outbox()
    assert (message["channel"], message["to"], message["subject"]) == (
        "EMAIL",
        EMAIL[ACTIVE],
        "Your code",
    )
    assert message["body"] == f"Code: {code}"
    assert cap.post(VALIDATE, validate(EMAIL[ACTIVE], code, entity="EMAIL")).status_code == 200


def test_both_sends_sms_and_email_with_one_code(cap: Cap) -> None:
    assert_created(cap.post(GENERATE, otp(MOBILE[ACTIVE], "BOTH")))
    messages = cap.outbox()
    assert sorted(m["channel"] for m in messages) == ["EMAIL", "SMS"]
    assert len({code_in(m) for m in messages}) == 1


def test_otp_to_blocked_customer_is_suppressed_but_answered(cap: Cap) -> None:
    body = otp(MOBILE[BLOCKED], "WHATSAPP")
    assert_created(cap.post(GENERATE, body))
    [message] = cap.outbox()
    assert (message["channel"], message["status"], message["reason"]) == (
        "WHATSAPP",
        "SUPPRESSED",
        "CUSTOMER_STATUS_BLOCKED",
    )
    assert outcomes(message)["customer_status_block"] == "suppress"


def test_phone_channel_is_accepted_with_a_warning_and_no_message(cap: Cap) -> None:
    response = cap.post(GENERATE, otp(MOBILE[ACTIVE], "PHONE"))
    assert response.status_code == 200
    assert response.json()["warnings"] and "PHONE" in messages_of(response.json())
    assert cap.outbox() == []


GENERATE_CASES = [
    ("entity type", {"entityType": "PHONE"}, 601, "entityType"),
    ("null entity type", {"entityType": None}, 601, "entityType"),
    ("empty entity value", {"entityValue": ""}, 602, "entityValue"),
    ("action", {"action": "LOGIN"}, 600, "action"),
    ("no channels", {"channels": []}, 603, "channels"),
    ("channel type", {"channels": [{"type": "FAX"}]}, 603, "channels[0].type"),
    ("channels not a list", {"channels": "SMS"}, 603, "channels"),
    (
        "whatsapp template",
        {"channels": [{"type": "WHATSAPP"}]},
        607,
        ("whatsappTemplateName", "template name"),
    ),
    (
        "zalo template",
        {"channels": [{"type": "ZALO"}]},
        621,
        ("zaloTemplateIdentifier", "template identifier"),
    ),
    (
        "no address",
        {"entityType": "EMAIL", "entityValue": "x@example.com"},
        603,
        ("channels[0].value", "channels[0]"),
    ),
]


@pytest.mark.parametrize("case", GENERATE_CASES, ids=[c[0] for c in GENERATE_CASES])
def test_generate_refuses_bad_input(cap: Cap, case: tuple[Any, ...]) -> None:
    _, change, code, field = case
    response = cap.post(GENERATE, {**otp(MOBILE[ACTIVE], "SMS"), **change})
    assert response.status_code == 400, response.text
    assert v2_error(response)["code"] == code
    assert_names(v2_error(response)["message"], field)
    assert cap.outbox() == []


@pytest.mark.parametrize(
    ("missing", "code"),
    [("entityType", 601), ("entityValue", 602), ("action", 600), ("channels", 603)],
)
def test_generate_missing_field_is_its_code(cap: Cap, missing: str, code: int) -> None:
    body = {k: v for k, v in otp(MOBILE[ACTIVE], "SMS").items() if k != missing}
    response = cap.post(GENERATE, body)
    assert response.status_code == 400
    assert v2_error(response)["code"] == code
    assert missing in v2_error(response)["message"]
    assert cap.outbox() == []


@pytest.mark.parametrize(
    ("missing", "code"),
    [("entityType", 601), ("entityValue", 602), ("code", 604), ("action", 600)],
)
def test_validate_missing_field_is_its_code(cap: Cap, missing: str, code: int) -> None:
    body = {k: v for k, v in validate(MOBILE[ACTIVE], "123456").items() if k != missing}
    response = cap.post(VALIDATE, body)
    assert response.status_code == 400
    assert v2_error(response)["code"] == code
    assert missing in v2_error(response)["message"]


def test_validate_with_unknown_action_is_600(cap: Cap) -> None:
    response = cap.post(VALIDATE, validate(MOBILE[ACTIVE], "123456", action="LOGIN"))
    assert response.status_code == 400
    assert v2_error(response)["code"] == 600
    assert "action" in v2_error(response)["message"]
