"""The vocabulary of a suppression decision: what is sent, what is known, what was decided."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple


class Channel(StrEnum):
    SMS = "SMS"
    EMAIL = "EMAIL"
    WHATSAPP = "WHATSAPP"
    ZALO = "ZALO"
    WECHAT = "WECHAT"
    RCS = "RCS"


class Category(StrEnum):
    TRANSACTIONAL = "TRANSACTIONAL"
    PROMOTIONAL = "PROMOTIONAL"
    OTP = "OTP"
    GOODWILL = "GOODWILL"
    CHANGE_REQUEST = "CHANGE_REQUEST"
    SUBSCRIPTION_NOTIFICATION = "SUBSCRIPTION_NOTIFICATION"


class Priority(StrEnum):
    TRANS = "TRANS"  # personalised / transactional
    BULK = "BULK"  # campaign / promotional


class Concept(StrEnum):
    """What a vendor has, which decides whether a rule applies to its messages at all."""

    CUSTOMERS = "customers"  # recipients may be customers with status labels
    SENDER_BLOCKLISTS = "sender blocklists"  # a sender may blocklist a recipient per channel
    SUBSCRIPTIONS = "subscriptions"  # customers have per channel and priority preferences
    TEMPORARY_BLOCKS = "temporary blocks"  # contacts may be blocked until a day
    CONTACT_OPT_OUTS = "contact opt-outs"  # contacts carry an opt-out flag per channel


class Outcome(StrEnum):
    PASS = "pass"
    SUPPRESS = "suppress"
    BYPASS = "bypass"
    NOT_APPLICABLE = "not_applicable"


class Status(StrEnum):
    DELIVERED = "DELIVERED"
    SUPPRESSED = "SUPPRESSED"


class Reason(StrEnum):
    CUSTOMER_STATUS_BLOCKED = "CUSTOMER_STATUS_BLOCKED"
    SENDER_BLOCKLISTED = "SENDER_BLOCKLISTED"
    CONTACT_TEMP_BLOCKED = "CONTACT_TEMP_BLOCKED"
    SUBSCRIPTION_OPTED_OUT = "SUBSCRIPTION_OPTED_OUT"


# NamedTuples, not frozen dataclasses: immutable and hashable too, and several times cheaper
# to create, which matters on the path of every message.
class Intent(NamedTuple):
    """A communication some vendor API wants to send."""

    vendor: str
    operation: str
    channel: Channel
    category: Category
    priority: Priority | None  # None where the vendor has no priorities (Messangi, Symplify)
    to: str
    sender: str | None = None
    # the recipient as the vendor names it where it is not a customer: Symplify's originalId
    contact: str | None = None


class StatusLabel(NamedTuple):
    name: str
    status: str
    block_communications: bool


class Facts(NamedTuple):
    """What the store knows about the recipient, gathered before deciding.

    `customer_id` is None when the address belongs to no known customer: customer rules then
    do not apply. A rule whose vendor does not have the concept gets None for its fact.
    """

    now: datetime
    customer_id: str | None = None
    status_label: StatusLabel | None = None
    # "CHANNEL:PRIORITY" (e.g. "MOBILE:BULK") -> subscribed; an absent pair means subscribed
    subscriptions: Mapping[str, bool] | None = None
    # sender blocklist: None when the vendor has no sender blocklist
    sender_blocklisted: bool | None = None
    # temporary block: the last day (UTC) of the block, None when not blocked / no concept
    temp_block_until: date | None = None
    temp_block_scope: str | None = None
    # contact opt-out: the contact's flag that opts it out of this channel (e.g. Symplify's
    # "mobileUnsubscribed"), None when it is not opted out; ignore_opt_out: the send ignores it
    contact_opt_out: str | None = None
    ignore_opt_out: bool = False
    # what the recipient's vendor has: a rule of a concept it lacks does not apply
    concepts: frozenset[Concept] = frozenset()
    # the vendor's record of the contact the message goes to (Symplify's ContactDTO id) and
    # the list that contact is on ("1234/42": account and list), None for other recipients:
    # no rule reads them; the outbox indexes a list's messages, and with `Intent.contact` a
    # contact's, by the list
    contact_id: int | None = None
    contact_list: str | None = None


class RuleResult(NamedTuple):
    rule: str
    outcome: Outcome
    detail: str

    def to_doc(self) -> dict[str, str]:
        return {"rule": self.rule, "outcome": self.outcome.value, "detail": self.detail}


class Decision(NamedTuple):
    status: Status
    reason: Reason | None
    trace: tuple[RuleResult, ...] = ()
