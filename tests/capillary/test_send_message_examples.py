"""Capillary's "Send communication message" page (v2 `POST /v2/communications/sendMessage`,
research 8a, index id 59700524222): each of its sample requests, sent as written, is answered
exactly as its sample response shows, the clock at the instant the sample's echoed
`scheduledTime` says the request was made. E-mail items echo `"fileHandler": []` and
`"attachments": []`; a `scheduledTime` is echoed as an instant in UTC (`2025-06-14T18:55:0Z`
as `2025-06-14T18:55:00Z`, `2024-02-22T00:25:06+05:30` as `2024-02-21T18:55:06Z`)."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import Cap

SMS_TEXT = "Hi :smile: (\U0001f60a )wish you a happy wedding anniversary!?"
OTP_TEXT = "747977 is the OTP for Go+. Valid for 15 minutes. f1obOaOBiPA"
SUBJECT = "Request to Void Check: <Reward Transaction ID>"


def status(count: int) -> dict[str, Any]:
    return {
        "count": count,
        "statusCode": {"status": True, "code": 200, "message": "Success"},
        "successCount": count,
        "warnings": [],
        "warningsAsStatusCode": [],
        "code": 200,
        "success": True,
        "message": "Success",
    }


def email(to: str, **extra: Any) -> dict[str, Any]:
    return {"to": to, **extra, "bcc": "", "from": "rewards@rallyengage.com", "subject": SUBJECT,
            "body": ""}  # fmt: skip


def echoed(item: dict[str, Any], when: str) -> dict[str, Any]:
    return {**item, "scheduledTime": when, "fileHandler": [], "attachments": []}


# (channel, the request's body, the clock, the sample response), as the page writes them
# (its bulk samples comment out `cc` and `scheduledTime`: left out here)
SINGLE_EMAIL = email("tomswayer@capillarytech.com", cc="tomswayer21@capillarytech.com")
BULK_EMAIL = [email("tomswayer@capillarytech.com"), email("tomswayer09@capillarytech.com")]
SMS = {"to": "919777785302", "body": SMS_TEXT, "scheduledTime": "2025-06-14T18:55:0Z",
       "sender": "7381814046"}  # fmt: skip
BULK_SMS = [{"to": to, "body": SMS_TEXT, "sender": "7381814046"}
            for to in ("918866775544", "914455776688")]  # fmt: skip
WHATSAPP = {"receiver": "919988221100", "template": OTP_TEXT,
            "scheduledTime": "2024-02-22T00:25:06+05:30"}  # fmt: skip
BULK_WHATSAPP = [{"receiver": to, "template": OTP_TEXT} for to in ("918899776655", "919988221100")]
SAMPLES: dict[str, tuple[str, dict[str, Any], str, dict[str, Any]]] = {
    "single email": (
        "email",
        {"email": [SINGLE_EMAIL]},
        "2025-09-26T14:21:07Z",
        {
            "status": status(1),
            "emails": [
                {
                    "email": echoed(SINGLE_EMAIL, "2025-09-26T14:21:07Z"),
                    "errors": [],
                    "warnings": [],
                }
            ],
        },
    ),
    "bulk email": (
        "email",
        {"email": BULK_EMAIL},
        "2025-11-05T06:25:21Z",
        {
            "status": status(2),
            "emails": [
                {"email": echoed(item, "2025-11-05T06:25:21Z"), "errors": [], "warnings": []}
                for item in BULK_EMAIL
            ],
        },
    ),
    "single sms": (
        "sms",
        {"sms": [SMS]},
        "2025-06-01T00:00:00Z",
        {
            "status": status(1),
            "smsList": [
                {
                    "sms": {**SMS, "scheduledTime": "2025-06-14T18:55:00Z"},
                    "errors": [],
                    "warnings": [],
                }
            ],
        },
    ),
    "bulk sms": (
        "sms",
        {"sms": BULK_SMS},
        "2025-11-05T06:38:37Z",
        {
            "status": status(2),
            "smsList": [
                {
                    "sms": {**item, "scheduledTime": "2025-11-05T06:38:37Z"},
                    "errors": [],
                    "warnings": [],
                }
                for item in BULK_SMS
            ],
        },
    ),
    "single whatsapp": (
        "whatsapp",
        {"whatsappMessage": [WHATSAPP]},
        "2024-02-01T00:00:00Z",
        {
            "status": status(1),
            "whatsapp": [
                {
                    "whatsappMessage": {**WHATSAPP, "scheduledTime": "2024-02-21T18:55:06Z"},
                    "errors": [],
                    "warnings": [],
                }
            ],
        },
    ),
    "bulk whatsapp": (
        "whatsapp",
        {"whatsappMessage": BULK_WHATSAPP},
        "2024-02-01T00:00:00Z",
        {
            "status": status(2),
            "whatsapp": [
                {"whatsappMessage": item, "errors": [], "warnings": []} for item in BULK_WHATSAPP
            ],
        },
    ),
    "zalo": (
        "zalo",
        {"zaloMessage": [{**WHATSAPP, "receiver": "919988221100"}]},
        "2024-02-01T00:00:00Z",
        {
            "status": status(1),
            "zalo": [
                {
                    "zaloMessage": {**WHATSAPP, "scheduledTime": "2024-02-21T18:55:06Z"},
                    "errors": [],
                    "warnings": [],
                }
            ],
        },
    ),
}


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_page_s_sample_is_answered_as_its_sample_response(cap: Cap, sample: str) -> None:
    channel, body, now, answer = SAMPLES[sample]
    cap.tenant.set_clock(now=now, frozen=True)
    response = cap.post("/v2/communications/sendMessage", body, params={"channel": channel})
    assert response.status_code == 200, response.text
    assert response.json() == answer


def test_a_scheduled_time_that_is_no_iso_instant_is_echoed_as_given(cap: Cap) -> None:
    """Capillary publishes no answer to one it cannot read; the sandbox schedules nothing
    and echoes it as written (x-sandbox-assumed)."""
    item = {"to": "919777785302", "body": "hi", "scheduledTime": "2012-08-05 22:00:00IST"}
    response = cap.post("/v2/communications/sendMessage", {"sms": [item]})
    assert response.status_code == 200, response.text
    assert response.json()["smsList"][0]["sms"]["scheduledTime"] == "2012-08-05 22:00:00IST"
