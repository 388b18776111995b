"""The sends every sender's blocklist applies to: SMS (/raven/v2/messages, and the
notification API /oberyn/v2/notification, whose `request.shortcode` is the sender), e-mail
(/crowsnest/v2/emails), WhatsApp (/balerion/v3/messages) and RCS (/rcs/v1/messages).

Every send answers `status: ACCEPTED`, blocklisted or not (the sandbox's contract; Messangi's
"SMS Status" page calls a request that reached it QUEUE, and the real clients accept either);
the blocklist stops the message after that: "If the number is in the list, the message is not
sent". A status read uses Messangi's vocabulary: BLACKLISTED for a stopped message, else SENT
(dispatched to the operator; the sandbox decides at once and has no carrier, so no carrier
status follows). The outbox keeps the sandbox's own words (DELIVERED, or SUPPRESSED with
reason SENDER_BLOCKLISTED). The message id Messangi answers is the outbox message's id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sandbox import normalise
from sandbox.doc import Doc
from sandbox.engine import Category, Channel, Concept, Facts, Intent, Status
from sandbox.errors import InvalidInput, NotFound
from sandbox.http import Context, Reply
from sandbox.store import TenantData
from sandbox.vendors.messangi import blocklist
from sandbox.vendors.messangi.collections import recipient_key
from sandbox.vendors.messangi.envelope import nanos, ok
from sandbox.vendors.messangi.handler_table import handlers


@dataclass(frozen=True)
class SendApi:
    """How one send API reads its request and answers it."""

    channel: Channel
    # the request's fields the answer echoes (besides id, from, to, status, date)
    echoed: tuple[str, ...]
    # (subject, body) of the outbox message, from the request
    content: Callable[[dict[str, Any]], tuple[str | None, str | None]]
    fixed: tuple[tuple[str, str], ...] = ()  # fields the answer always carries
    # where the request keeps its fields ("": at the top; "request": in that object) and
    # which of them names the sender
    within: str = ""
    sender: str = "from"

    @cached_property
    def named(self) -> tuple[str, str]:
        """The sender's and the recipient's fields as an error names them: (`from`, `to`),
        or (`request.shortcode`, `request.to`)."""
        prefix = f"{self.within}." if self.within else ""
        return prefix + self.sender, prefix + "to"


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
    # CodeZeno/Claude-Code-Usage-Monitor's SMS: {"channel": "SMS", "request": {...}}
    "sendNotification": SendApi(
        Channel.SMS,
        ("body",),
        lambda b: (None, b["body"]),
        fixed=(("channel", "SMS"),),
        within="request",
        sender="shortcode",
    ),
}
# what Messangi's recipients can meet: each sender's blocklist
CONCEPTS = frozenset({Concept.SENDER_BLOCKLISTS})
# what a send answers, blocklisted or not: the sandbox's contract (Messangi's page says QUEUE)
ANSWERED = "ACCEPTED"
# what a message's status then reads: the outbox's decision in Messangi's words
STATUS = {Status.DELIVERED: "SENT", Status.SUPPRESSED: "BLACKLISTED"}


def decision_inputs(
    data: TenantData,
    operation: str,
    channel: Channel,
    category: Category,
    *,
    sender: str,
    to: str,
    now: datetime,
    fields: tuple[str, str] = ("from", "to"),
) -> tuple[Intent, Facts]:
    """What a send from `sender` to `to` is decided on: the message (`to` in E.164 on phone
    channels, as Messangi answers it; the address as read on e-mail; the sender trimmed),
    and whether the recipient is on that sender's blocklist for the channel (a send and
    `explain` alike). `fields` names the sender and the recipient as the request spells
    them (`request.shortcode`, `request.to`), for a 400 naming an unreadable one."""
    sender_field, to_field = fields
    address = blocklist.read_recipient(channel, to, to_field)
    sender = normalise.read_sender(sender, sender_field)
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
    return intent, Facts(now=now, sender_blocklisted=blocked, concepts=CONCEPTS)


def send(ctx: Context) -> Reply:
    api = SEND_APIS[ctx.op.operation_id]
    fields = ctx.body[api.within] if api.within else ctx.body  # from, to, text, ...
    subject, text = api.content(fields)
    data = ctx.data
    intent, facts = decision_inputs(
        data,
        ctx.op.operation_id,
        api.channel,
        Category.TRANSACTIONAL,
        sender=fields[api.sender],
        to=fields["to"],
        now=ctx.now,
        fields=api.named,
    )
    tx = data.begin()
    message, _ = ctx.outbox.record(tx, intent, facts, subject=subject, body=text)
    tx.commit()
    answer = _answer(message, api, fields)
    answer["status"] = ANSWERED  # either way: the blocklist stops it after acceptance
    return ok(ctx, answer)


for _operation in SEND_APIS:
    handlers(_operation)(send)


@handlers("getMessage")
def get_message(ctx: Context) -> Reply:
    """A sent message's status: SENT, or BLACKLISTED when the blocklist stopped it."""
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
    answer["status"] = STATUS[message["status"]]
    answer["date"] = nanos(message["created_at"])
    return answer
