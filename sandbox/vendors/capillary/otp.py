"""OTP generate and validate (seed 000 #12, #13).

Generate ignores subscription opt-outs by design but never the status-label block: the
engine's subscription rule answers `bypass` for the OTP category, the block rule still
suppresses. Codes expire on the tenant clock.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sandbox.clock import iso, parse_iso
from sandbox.doc import Doc
from sandbox.engine import Category, Channel
from sandbox.http import Context, Reply
from sandbox.normalise import Unreadable
from sandbox.store import TenantData
from sandbox.vendors.capillary import customers, messaging
from sandbox.vendors.capillary.envelopes import v2_created
from sandbox.vendors.capillary.errors import (
    InvalidEntityValue,
    InvalidOtpChannel,
    WhatsappTemplateMissing,
    ZaloTemplateMissing,
)
from sandbox.vendors.capillary.handler_table import handlers

VALIDITY = timedelta(minutes=15)
OTP_IDS_START = 10_001
SEQUENCE = "otp"  # the id sequence of the OTPs' createdId
DEFAULT_TEMPLATE = "Hi user.Your otp for validation is {{ validation_code }}."
DEFAULT_EMAIL = {
    "subject": "Validation Code",
    "body": "Dear Customer, The validation code for your request is: {{ validation_code }}.",
}
# OTP channel type -> the message channels it sends on (BOTH: mobile and e-mail)
CHANNELS = {
    "SMS": (Channel.SMS,),
    "MOBILE": (Channel.SMS,),
    "EMAIL": (Channel.EMAIL,),
    "BOTH": (Channel.SMS, Channel.EMAIL),
    "WHATSAPP": (Channel.WHATSAPP,),
    "ZALO": (Channel.ZALO,),
    "PHONE": (),  # a voice call: accepted, not emulated
}


def _entity(data: TenantData, body: dict[str, Any]) -> tuple[str, str]:
    """(entity field, the entity's address as stored); a 400 naming entityValue (602) when
    it cannot be read."""
    field = "mobile" if str(body["entityType"]).upper() == "MOBILE" else "email"
    try:
        return field, customers.read_identifier(data, field, body["entityValue"], "entityValue")
    except Unreadable as unreadable:
        raise InvalidEntityValue(
            f"{InvalidEntityValue.default_message}: {unreadable.message}", field="entityValue"
        ) from None


def subject_key(entity_type: str, address: str, action: Any) -> str:
    """The OTP's key: one live OTP per entity (its address's key) and action."""
    field = "mobile" if entity_type.upper() == "MOBILE" else "email"
    return f"{entity_type.upper()}:{customers.identifier_key(field, address)}:{action}"


def _subject(data: TenantData, body: dict[str, Any]) -> tuple[str, str, str]:
    """(entity field, its address, the OTP's key)."""
    field, address = _entity(data, body)
    return field, address, subject_key(str(body["entityType"]), address, body["action"])


def _fill(template: str, code: str) -> str:
    return template.replace("{{ validation_code }}", code).replace("{{validation_code}}", code)


@handlers("generateOtp")
def generate_otp(ctx: Context) -> Reply:
    data, body, now = ctx.data, ctx.body, ctx.now
    field, address, subject = _subject(data, body)
    customer = customers.find(data, field, address)
    deliveries = _deliveries(data, body, field, address, customer)
    tx = data.begin()
    live = data["otps"].get(subject)
    if live is not None and parse_iso(live["expires_at"]) > now:
        code, created_id = live["code"], 1  # Capillary: "the same OTP ... createdId appears as 1"
    else:
        code = f"{secrets.randbelow(1_000_000):06d}"
        created_id = tx.next_id(SEQUENCE, OTP_IDS_START)
        tx.put(
            "otps",
            {
                "subject": subject,
                "code": code,
                "created_id": created_id,
                "expires_at": iso(now + VALIDITY),
            },
        )
    for channel, to in deliveries:
        if channel is Channel.EMAIL:
            template = {**DEFAULT_EMAIL, **(body.get("emailTemplate") or {})}
            subject_line, text = template["subject"], _fill(template["body"], code)
        else:
            subject_line, text = None, _fill(body.get("template") or DEFAULT_TEMPLATE, code)
        message = messaging.Outgoing(channel, Category.OTP, to, subject=subject_line, body=text)
        messaging.send(ctx, tx, message, customer)
    tx.commit()
    warnings = []
    if any(str(c["type"]).upper() == "PHONE" for c in body["channels"]):
        warnings.append(
            {"status": False, "code": 603, "message": "PHONE (voice) delivery is not emulated"}
        )
    return v2_created(created_id, warnings)


def _deliveries(
    data: TenantData, body: dict[str, Any], entity_field: str, entity: str, customer: Doc | None
) -> list[tuple[Channel, str]]:
    """(channel, address) for every requested channel; raises for a channel it cannot use."""
    deliveries: list[tuple[Channel, str]] = []
    for index, requested in enumerate(body["channels"]):
        kind = str(requested["type"]).upper()
        if kind == "WHATSAPP" and not body.get("whatsappTemplateName"):
            raise WhatsappTemplateMissing(field="whatsappTemplateName")
        if kind == "ZALO" and not body.get("zaloTemplateIdentifier"):
            raise ZaloTemplateMissing(field="zaloTemplateIdentifier")
        for channel in CHANNELS[kind]:
            wanted = customers.RECIPIENT_FIELD[channel]
            given = requested.get("value") if kind != "BOTH" else None
            where = f"channels[{index}].value"
            address = (
                _channel_address(data, channel, given, where)
                if given not in (None, "")
                else entity
                if wanted == entity_field
                else (customer or {}).get(wanted)
            )
            if not address:
                raise InvalidOtpChannel(
                    f'"Invalid or Null communication channel value passed": channels[{index}] '
                    f"({kind}) has no value and the entity has no {wanted}",
                    field=f"channels[{index}].value",
                )
            deliveries.append((channel, address))
    return deliveries


def _channel_address(data: TenantData, channel: Channel, given: Any, where: str) -> str:
    """A channel's own `value`, read as its channel's address; 603 naming it when it
    cannot be read."""
    try:
        return customers.recipient_address(data, channel, given, where)
    except Unreadable as unreadable:
        raise InvalidOtpChannel(
            f"{InvalidOtpChannel.default_message}: {unreadable.message}", field=where
        ) from None


@handlers("validateOtp")
def validate_otp(ctx: Context) -> Reply:
    data, body = ctx.data, ctx.body
    _, _, subject = _subject(data, body)
    live = data["otps"].get(subject)
    valid = (
        live is not None
        and parse_iso(live["expires_at"]) > ctx.now
        and str(body["code"]).strip() == live["code"]
    )
    if not valid:
        return Reply({"entity": False, "warnings": []}, 400)
    tx = data.begin()
    tx.delete("otps", subject)  # a code validates once
    tx.commit()
    return Reply({"entity": True, "warnings": []})
