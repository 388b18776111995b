"""The vocabulary of a suppression decision: what is sent, what is known, what was decided."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


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


@dataclass(frozen=True, slots=True)
class Intent:
    """A communication some vendor API wants to send."""

    vendor: str
    operation: str
    channel: Channel
    category: Category
    priority: Priority
    to: str
    sender: str | None = None


@dataclass(frozen=True, slots=True)
class StatusLabel:
    name: str
    status: str
    block_communications: bool


@dataclass(frozen=True, slots=True)
class Facts:
    """What the store knows about the recipient, gathered before deciding.

    `customer_id` is None when the address belongs to no known customer: customer rules then
    do not apply. A rule whose vendor does not have the concept gets None for its fact.
    """

    now: datetime
    customer_id: str | None = None
    status_label: StatusLabel | None = None
    # (subscription channel, priority) -> subscribed; an absent pair means subscribed
    subscriptions: Mapping[tuple[str, str], bool] | None = None
    # sender blocklist: None when the vendor has no sender blocklist
    sender_blocklisted: bool | None = None
    # temporary block: the last day (UTC) of the block, None when not blocked / no concept
    temp_block_until: date | None = None
    temp_block_scope: str | None = None


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: str
    outcome: Outcome
    detail: str

    def to_doc(self) -> dict[str, str]:
        return {"rule": self.rule, "outcome": self.outcome.value, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Decision:
    status: Status
    reason: Reason | None
    trace: tuple[RuleResult, ...] = field(default_factory=tuple)

    @property
    def delivered(self) -> bool:
        return self.status is Status.DELIVERED
