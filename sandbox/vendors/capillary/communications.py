"""The direct communication APIs of seed 000 (#7-#11): email and SMS (v1.1), email (v2),
sendMessage (SMS, email, WhatsApp, Zalo) and WeChat.

The recipient is matched to a customer by the address on that channel; a blocked customer's
message is answered exactly like a delivered one and recorded SUPPRESSED.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sandbox import normalise
from sandbox.clock import iso, parse_iso
from sandbox.doc import Doc
from sandbox.engine import Category, Channel, Priority
from sandbox.errors import ApiError
from sandbox.http import Context, Reply
from sandbox.normalise import Unreadable
from sandbox.vendors.capillary import customers, messaging
from sandbox.vendors.capillary.envelopes import batch_outcome, v11_ok
from sandbox.vendors.capillary.errors import MESSAGES, CapillaryError, NoCommunication, v2_error
from sandbox.vendors.capillary.handler_table import handlers


class InvalidRecipient(CapillaryError):
    pass


@dataclass(frozen=True)
class ListChannel:
    """How one sendMessage-style list reads and answers."""

    channel: Channel
    body_list: str  # key of the list in the request
    result_list: str  # key of the list in the response
    to_field: str
    text_field: str
    invalid_code: int
    # v2 sendMessage's echo of an item: the time it was sent at when it gives no
    # scheduledTime (Capillary's sms and e-mail samples; its bulk WhatsApp sample does not),
    # and an e-mail's `"fileHandler": [], "attachments": []` (its e-mail samples)
    stamps_unscheduled: bool = True
    echoes_files: bool = False

    @property
    def invalid_message(self) -> str:
        return MESSAGES[self.invalid_code]


LISTS = {
    "sms": ListChannel(Channel.SMS, "sms", "smsList", "to", "body", 4203),
    "email": ListChannel(Channel.EMAIL, "email", "emails", "to", "body", 8055, echoes_files=True),
    "whatsapp": ListChannel(
        Channel.WHATSAPP,
        "whatsappMessage",
        "whatsapp",
        "receiver",
        "template",
        403,
        stamps_unscheduled=False,
    ),
    "zalo": ListChannel(Channel.ZALO, "zaloMessage", "zalo", "receiver", "template", 403),
}
WECHAT = ListChannel(Channel.WECHAT, "wechatMessage", "wechat", "receiver", "template", 403)
# the v1.1 APIs read the same lists; an invalid SMS or e-mail address has its own v1.1 code
V11_LISTS = {
    **LISTS,
    "sms": replace(LISTS["sms"], invalid_code=4101),
    "email": replace(LISTS["email"], invalid_code=4208),
}


def _category(item: dict[str, Any]) -> tuple[Priority, Category]:
    """Direct sends are TRANS unless the item says BULK (docs/contract.md section 4)."""
    if item.get("priority") == "BULK":
        return Priority.BULK, Category.PROMOTIONAL
    return Priority.TRANS, Category.TRANSACTIONAL


def _checked_address(ctx: Context, list_channel: ListChannel, value: Any, where: str) -> str:
    """The item's recipient as Capillary holds it (`customers.recipient_address`)."""
    field = f"{where}.{list_channel.to_field}"
    try:
        return customers.recipient_address(ctx.data, list_channel.channel, value, field)
    except Unreadable as unreadable:
        raise InvalidRecipient(
            f"{list_channel.invalid_message}: {unreadable.message}",
            field=field,
            code=list_channel.invalid_code,
        ) from None


def _sender(item: dict[str, Any], where: str) -> str | None:
    """The item's sender (`sender`, or `from` on e-mail) trimmed, None when it gives none
    (a blank one included: Capillary's sender is optional); one with an invisible character
    is a 400 naming it."""
    sender = item.get("sender")
    if sender is None and item.get("from") is None:  # (most items name none)
        return None
    name = "sender" if str(sender or "").strip() else "from"
    return normalise.read_optional_sender(item.get(name), f"{where}.{name}")


def _send_one(ctx: Context, item: dict[str, Any], list_channel: ListChannel, where: str) -> Doc:
    """Send one item; `where` names it in errors (e.g. "sms[0]")."""
    to = _checked_address(ctx, list_channel, item[list_channel.to_field], where)
    priority, category = _category(item)
    message = messaging.Outgoing(
        channel=list_channel.channel,
        category=category,
        priority=priority,
        to=to,
        subject=item.get("subject"),
        body=item.get(list_channel.text_field),
        sender=_sender(item, where),
    )
    tx = ctx.data.begin()
    record = messaging.send(
        ctx, tx, message, customers.find_recipient(ctx.data, list_channel.channel, to)
    )
    tx.commit()
    return record


def _send_item(
    ctx: Context,
    item: Any,
    list_channel: ListChannel,
    where: str,
    error: ApiError | None,
) -> tuple[Doc | None, ApiError | None]:
    """One item of a list send that fails alone: its message, or why it has none (its schema
    error, or its refusal). The items sent are written with the request, once its answer is
    made: a storage failure then is the whole request's 503 and sends nothing."""
    if error is not None:
        return None, error
    recorded = len(ctx.message_ids)
    try:
        return _send_one(ctx, item, list_channel, where), None
    except ApiError as exc:
        del ctx.message_ids[recorded:]  # (staged in a transaction that was dropped)
        return None, exc


def _utc(moment: datetime) -> str:
    """2026-11-23T10:00:00Z, as Capillary echoes scheduledTime (in UTC)."""
    return _to_second(iso(moment))


def _to_second(stamp: str) -> str:
    """An `iso` stamp to the second: 2026-11-23T10:00:00.123Z -> 2026-11-23T10:00:00Z."""
    return stamp[:19] + "Z"


# an ISO 8601 date-time whose time may be written with one-digit parts, as Capillary's own
# sample writes `2025-06-14T18:55:0Z`
_LOOSE_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


def _scheduled(value: Any) -> Any:
    """A v2 item's scheduledTime as Capillary echoes it: the instant in UTC
    (`2024-02-22T00:25:06+05:30` -> `2024-02-21T18:55:06Z`; no offset: UTC). One it cannot
    read as ISO 8601 is echoed as given (assumed: Capillary publishes no answer to one, and
    the sandbox schedules nothing)."""
    match = _LOOSE_TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return value
    date, hour, minute, second, fraction, zone = match.groups()
    written = f"{date}T{int(hour):02d}:{int(minute):02d}:{int(second or 0):02d}"
    try:
        return _utc(parse_iso(written + (fraction or "") + (zone or "")))
    except ValueError:  # (not a date, or past the calendar in UTC)
        return value


# --- v1.1 email / sms, v2 email ---------------------------------------------------------------
def _only_item(root: dict[str, Any], key: str) -> tuple[dict[str, Any], str]:
    """The one item of a v1.1 sms or email body and where it is: Capillary's pages write
    it as an object (`root.sms`, the JSON twin of their XML) and as a one-item list
    (`root.sms[0]`); the document lets both through, nothing else."""
    given = root[key]
    if isinstance(given, list):
        return given[0], f"root.{key}[0]"
    return given, f"root.{key}"


@handlers("sendEmailV11")
def send_email_v11(ctx: Context) -> Reply:
    item, where = _only_item(ctx.body["root"], "email")
    record = _send_one(ctx, item, V11_LISTS["email"], where)
    return v11_ok(email=_email_echo(item, record, "scheduled_time"))


@handlers("sendSmsV11")
def send_sms_v11(ctx: Context) -> Reply:
    item, where = _only_item(ctx.body["root"], "sms")
    record = _send_one(ctx, item, V11_LISTS["sms"], where)
    return v11_ok(
        sms={
            "id": record["id"],
            "to": record["to"],
            "status": "Sent",
            "scheduled_time": item.get("scheduled_time"),
        }
    )


@handlers("sendEmailV2")
def send_email_v2(ctx: Context) -> Reply:
    item = ctx.body["email"][0]
    record = _send_one(ctx, item, LISTS["email"], "email[0]")
    return v11_ok(email=_email_echo(item, record, "scheduledTime"))


def _email_echo(item: dict[str, Any], record: Doc, schedule_key: str) -> dict[str, Any]:
    return {
        "id": record["id"],
        "to": record["to"],
        "cc": item.get("cc"),
        "bcc": item.get("bcc"),
        "status": "Queued",
        "subject": item.get("subject"),
        "description": item.get("body"),
        schedule_key: item.get(schedule_key),
    }


# --- v1.1 sendMessage: a list per channel under `root`, each item answered alone --------------
SCHEDULE_KEYS = ("scheduled_time", "scheduledTime")  # the reference writes both


@handlers("sendMessageV11")
def send_message_v11(ctx: Context) -> Reply:
    """Capillary's send-communication-message (research 7a). Its example answers one SMS as
    `{"response": {"status": {"success": "true", "code": "200", "message": "success"}, "sms":
    {"id", "to", "status": "Sent", "scheduled_time"}}}`: statuses are strings here, as there."""
    list_channel = V11_LISTS[str(ctx.query.get("channel", "sms")).lower()]
    items = _items(ctx.body["root"], list_channel, "root.")  # (the schema requires `root`)
    results: list[dict[str, Any]] = []
    succeeded = 0
    for index, item in enumerate(items):
        where = f"root.{list_channel.body_list}[{index}]"
        error = ctx.item_errors.get(("root", list_channel.body_list, index))
        record, error = _send_item(ctx, item, list_channel, where, error)
        results.append(
            _v11_sent(list_channel, item if isinstance(item, dict) else {}, record, error)
        )
        succeeded += error is None
    http, message = batch_outcome(len(items), succeeded)
    status = {
        "success": "true" if succeeded else "false",
        "code": str(http),
        "message": "success" if http == 200 else message,
    }
    answered = results[0] if len(results) == 1 else results
    return Reply({"response": {"status": status, list_channel.body_list: answered}}, http)


def _v11_sent(
    list_channel: ListChannel, item: dict[str, Any], record: Doc | None, error: ApiError | None
) -> dict[str, Any]:
    """One item's answer: the example's fields, echoed, and the item's own status."""
    scheduled: dict[str, Any] = {k: item[k] for k in SCHEDULE_KEYS if k in item}
    if record is None:
        assert error is not None, "an item that was not sent has its error (_send_item)"
        failed: dict[str, Any] = {"status": "Failed", **scheduled}
        if item.get(list_channel.to_field) is not None:
            failed["to"] = str(item[list_channel.to_field])
        failed["item_status"] = {
            "success": "false",
            "code": str(error.vendor_code or 400),
            "message": error.message,
        }
        return failed
    sent: dict[str, Any] = {"id": record["id"], "to": record["to"], "status": "Sent", **scheduled}
    if list_channel.channel is Channel.EMAIL:
        sent.update({k: item[k] for k in ("cc", "bcc", "subject") if k in item})
    sent["item_status"] = {"success": "true", "code": "200", "message": "success"}
    return sent


# --- v2 sendMessage and WeChat: lists whose items succeed or fail alone -----------------------
@handlers("sendMessage")
def send_message(ctx: Context) -> Reply:
    return _send_list(ctx, LISTS[str(ctx.query.get("channel", "sms")).lower()])


@handlers("sendWechat")
def send_wechat(ctx: Context) -> Reply:
    return _send_list(ctx, WECHAT)


def _items(lists: dict[str, Any], list_channel: ListChannel, under: str = "") -> list[Any]:
    """The list the channel reads (`under` names where the lists sit, e.g. "root.")."""
    items: list[Any] | None = lists.get(list_channel.body_list)
    if not items:
        raise NoCommunication(
            f"No communication passed or Invalid request body: the {list_channel.channel.value} "
            f"channel reads the '{under}{list_channel.body_list}' list",
            field=f"{under}{list_channel.body_list}",
        )
    return items


def _send_list(ctx: Context, list_channel: ListChannel) -> Reply:
    items = _items(ctx.body, list_channel)
    results: list[dict[str, Any]] = []
    succeeded = 0
    sent_at = ""  # the echoed scheduledTime of items without one, formatted once
    for index, item in enumerate(items):
        where = f"{list_channel.body_list}[{index}]"
        error = ctx.item_errors.get((list_channel.body_list, index))
        _, error = _send_item(ctx, item, list_channel, where, error)
        echo = _echo(list_channel, item)
        if "scheduledTime" in echo:
            echo["scheduledTime"] = _scheduled(echo["scheduledTime"])
        elif list_channel.stamps_unscheduled:
            # (`_utc` of the request's time: its stamp, formatted once)
            echo["scheduledTime"] = sent_at = sent_at or _to_second(ctx.stamp)
        results.append(
            {
                list_channel.body_list: echo,
                "errors": [] if error is None else [v2_error(error)],
                "warnings": [],
            }
        )
        succeeded += error is None
    outcome = batch_outcome(len(items), succeeded)
    body = _list_status(len(items), succeeded, list_channel.result_list, results, outcome)
    return Reply(body, outcome[0])


def _echo(list_channel: ListChannel, item: Any) -> dict[str, Any]:
    """The item as its answer echoes it (an e-mail with its files, none unless given)."""
    echo = dict(item) if isinstance(item, dict) else {}
    if list_channel.echoes_files:
        echo.setdefault("fileHandler", [])
        echo.setdefault("attachments", [])
    return echo


def _list_status(
    count: int, succeeded: int, key: str, results: list[dict[str, Any]], outcome: tuple[int, str]
) -> dict[str, Any]:
    """The answer to a list of `count` items, `succeeded` of them (`outcome`: their
    `batch_outcome`, worked out once)."""
    code, message = outcome
    return {
        "status": {
            "count": count,
            "statusCode": {"status": succeeded == count, "code": code, "message": message},
            "successCount": succeeded,
            "warnings": [],
            "warningsAsStatusCode": [],
            "message": message,
            "code": code,
            "success": succeeded > 0,
        },
        key: results,
    }
