"""The sends every sender's blocklist applies to: SMS (/raven/v2/messages), e-mail
(/crowsnest/v2/emails), WhatsApp (/balerion/v3/messages) and RCS (/rcs/v1/messages).

Messangi accepts a send to a blocklisted recipient like any other (`status: ACCEPTED`) and the
message then ends BLACKLISTED: "If the number is in the list, the message is not sent." The
sandbox records it SUPPRESSED with reason SENDER_BLOCKLISTED; GET /raven/v2/messages/{id}
shows BLACKLISTED. The message id Messangi answers is the outbox message's id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox import normalise
from sandbox.engine import Category, Channel, Facts, Intent, Status
from sandbox.errors import InvalidInput, NotFound
from sandbox.http import Context, Reply
from sandbox.store import Doc, TenantData
from sandbox.vendors.messangi import blocklist
from sandbox.vendors.messangi.collections import recipient_key
from sandbox.vendors.messangi.envelope import nanos, ok
from sandbox.vendors.messangi.registry import handlers


@dataclass(frozen=True)
class SendApi:
    """How one send API reads its request and answers it."""

    channel: Channel
    # the request's fields the answer echoes (besides id, from, to, status, date)
    echoed: tuple[str, ...]
    # (subject, body) of the outbox message, from the request
    content: Callable[[dict[str, Any]], tuple[str | None, str | None]]
    fixed: tuple[tuple[str, str], ...] = ()  # fields the answer always carries


def _whatsapp_content(body: dict[str, Any]) -> tuple[str | None, str | None]:
    kind = body.get("type", "text")
    if kind == "text" and not body.get("body"):
        raise InvalidInput("body: a text WhatsApp message needs a body", field="body")
    if kind == "template" and not body.get("templateName"):
        raise InvalidInput(
            "templateName: a template WhatsApp message needs a templateName", field="templateName"
        )
    return None, body.get("body") if kind == "text" else f"template {body['templateName']}"


SEND_APIS = {
    "sendSms": SendApi(
        Channel.SMS, ("text",), lambda b: (None, b["text"]), fixed=(("type", "MT"),)
    ),
    "sendEmail": SendApi(
        Channel.EMAIL, ("subject",), lambda b: (b["subject"], b.get("text") or b.get("html"))
    ),
    "sendWhatsapp": SendApi(Channel.WHATSAPP, (), _whatsapp_content),
    "sendRcs": SendApi(Channel.RCS, ("text",), lambda b: (None, b["text"])),
}
_STATUS = {Status.DELIVERED: "DELIVERED", Status.SUPPRESSED: "BLACKLISTED"}


def decision_inputs(
    data: TenantData,
    operation: str,
    channel: Channel,
    category: Category,
    *,
    sender: str,
    to: str,
    now: datetime,
) -> tuple[Intent, Facts]:
    """What a send from `sender` to `to` is decided on: the message (`to` in E.164 on phone
    channels, as Messangi answers it; the address as read on e-mail; the sender trimmed),
    and whether the recipient is on that sender's blocklist for the channel (a send and
    `explain` alike)."""
    address = blocklist.read_recipient(channel, to)
    sender = normalise.read_sender(sender, "from")
    intent = Intent(
        vendor="messangi",
        operation=operation,
        channel=channel,
        category=category,
        priority=None,
        to=address if channel is Channel.EMAIL else "+" + address,
        sender=sender,
    )
    recipient = recipient_key(channel, address)
    blocked = blocklist.is_blocklisted(data, channel, sender, recipient)
    return intent, Facts(now=now, sender_blocklisted=blocked)


def send(ctx: Context) -> Reply:
    api = SEND_APIS[ctx.op.operation_id]
    body = ctx.body
    subject, text = api.content(body)
    data = ctx.data
    intent, facts = decision_inputs(
        data,
        ctx.op.operation_id,
        api.channel,
        Category.TRANSACTIONAL,
        sender=body["from"],
        to=body["to"],
        now=ctx.now,
    )
    tx = data.begin()
    message, _ = ctx.record(tx, intent, facts, subject=subject, body=text)
    tx.commit()
    answer = _answer(message, api, body)
    answer["status"] = "ACCEPTED"  # either way: the blocklist stops it after acceptance
    return ok(ctx, answer)


for _operation in SEND_APIS:
    handlers(_operation)(send)


@handlers("getMessage")
def get_message(ctx: Context) -> Reply:
    """A sent message's status: DELIVERED, or BLACKLISTED when the blocklist stopped it."""
    message = ctx.data["messages"].get(ctx.path_params["id"])
    if message is None or message["vendor"] != "messangi":
        raise NotFound(f"id: no message '{ctx.path_params['id']}'", field="id")
    api = SEND_APIS[message["operation"]]
    return ok(ctx, _answer(message, api, None))


def _answer(message: Doc, api: SendApi, request: dict[str, Any] | None) -> dict[str, Any]:
    """The message as Messangi answers it; from the request when there is one (it echoes
    what was sent), else from the outbox."""
    stored = {"text": message["body"], "subject": message["subject"], "body": message["body"]}
    answer: dict[str, Any] = {"id": message["id"], "from": message["from"], "to": message["to"]}
    for name in api.echoed:
        answer[name] = request[name] if request is not None else stored[name]
    answer.update(api.fixed)
    answer["status"] = _STATUS[message["status"]]
    answer["date"] = nanos(message["created_at"])
    return answer
