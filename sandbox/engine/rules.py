"""The suppression rules, one pure function each, in the precedence of docs/contract.md section 4.

Most results repeat (the same label, the same subscription state), so each rule builds them
through a small memo: a message costs a few dictionary lookups, not four new sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache

from sandbox.engine.model import (
    Category,
    Channel,
    Concept,
    Facts,
    Intent,
    Outcome,
    Priority,
    Reason,
    RuleResult,
)

Rule = Callable[[Intent, Facts], RuleResult]

# The subscription rule reads two channels' preferences (seed 002: sms, email; v2: MOBILE,
# EMAIL); Capillary's v2 documents others (wechat, whatsapp...), whose preferences are recorded.
SUBSCRIPTION_CHANNEL = {Channel.SMS: "MOBILE", Channel.EMAIL: "EMAIL"}
# (message channel, priority) -> the key of that preference in Facts.subscriptions
SUBSCRIPTION_KEY: dict[tuple[Channel, Priority | None], str] = {
    (channel, priority): f"{subscription}:{priority}"
    for channel, subscription in SUBSCRIPTION_CHANNEL.items()
    for priority in Priority
}


def customer_status_block(intent: Intent, facts: Facts) -> RuleResult:
    if facts.customer_id is None:
        if Concept.CUSTOMERS not in facts.concepts:
            return _without_customers("customer_status_block", intent.vendor, "status labels")
        return RuleResult(
            "customer_status_block",
            Outcome.NOT_APPLICABLE,
            f"{intent.to} is not a known customer",
        )
    label = facts.status_label
    if label is None:
        return _label_result(None, False)
    return _label_result(label.name, label.block_communications)


@lru_cache(maxsize=256)
def _label_result(name: str | None, blocks: bool) -> RuleResult:
    rule = "customer_status_block"
    if name is None:
        return RuleResult(rule, Outcome.PASS, "customer has no status label")
    if blocks:
        return RuleResult(
            rule, Outcome.SUPPRESS, f"status label '{name}' has block communications enabled"
        )
    return RuleResult(rule, Outcome.PASS, f"status label '{name}' does not block communications")


def sender_blocklist(intent: Intent, facts: Facts) -> RuleResult:
    if facts.sender_blocklisted is None:
        return _no_blocklist(intent.vendor)
    if facts.sender_blocklisted:
        return RuleResult(
            "sender_blocklist",
            Outcome.SUPPRESS,
            f"{intent.to} is on the {intent.channel} blocklist of sender {intent.sender}",
        )
    return RuleResult(
        "sender_blocklist",
        Outcome.PASS,
        f"{intent.to} is not on the {intent.channel} blocklist of sender {intent.sender}",
    )


@lru_cache(maxsize=16)
def _no_blocklist(vendor: str) -> RuleResult:
    return RuleResult(
        "sender_blocklist", Outcome.NOT_APPLICABLE, f"{vendor} has no sender blocklist"
    )


def contact_temp_block(intent: Intent, facts: Facts) -> RuleResult:
    until = facts.temp_block_until
    if until is None:
        return _no_temp_block(intent.vendor, Concept.TEMPORARY_BLOCKS in facts.concepts)
    # a block lasts through the end of its blockUntil day (UTC)
    if facts.now.date() <= until:
        scope = f" ({facts.temp_block_scope})" if facts.temp_block_scope else ""
        return RuleResult(
            "contact_temp_block",
            Outcome.SUPPRESS,
            f"contact is blocked until the end of {until.isoformat()}{scope}",
        )
    return _temp_block_ended(until)


@lru_cache(maxsize=16)
def _no_temp_block(vendor: str, has_temp_blocks: bool) -> RuleResult:
    if has_temp_blocks:
        return RuleResult("contact_temp_block", Outcome.PASS, "contact has no temporary block")
    return RuleResult(
        "contact_temp_block", Outcome.NOT_APPLICABLE, f"{vendor} has no temporary blocks"
    )


@lru_cache(maxsize=256)
def _temp_block_ended(until: date) -> RuleResult:
    ended = until + timedelta(days=1)
    return RuleResult(
        "contact_temp_block", Outcome.PASS, f"temporary block ended at {ended.isoformat()}T00:00Z"
    )


@lru_cache(maxsize=16)
def _without_customers(rule: str, vendor: str, concept: str) -> RuleResult:
    return RuleResult(rule, Outcome.NOT_APPLICABLE, f"{vendor} has no customer {concept}")


def subscription_opt_out(intent: Intent, facts: Facts) -> RuleResult:
    if Concept.CONTACT_OPT_OUTS in facts.concepts:
        return _contact_opt_out(intent.channel, facts.contact_opt_out, facts.ignore_opt_out)
    if Concept.SUBSCRIPTIONS not in facts.concepts:
        return _without_customers("subscription_opt_out", intent.vendor, "subscriptions")
    if facts.customer_id is None or facts.subscriptions is None:
        return _subscription_result(None, intent.priority, False, True)
    key = SUBSCRIPTION_KEY.get((intent.channel, intent.priority))
    if key is None:
        return _no_subscription(intent.channel)
    subscribed = facts.subscriptions.get(key, True)
    otp = intent.category is Category.OTP
    return _subscription_result(
        SUBSCRIPTION_CHANNEL[intent.channel], intent.priority, otp, subscribed
    )


@lru_cache(maxsize=64)
def _subscription_result(
    channel: str | None, priority: Priority | None, otp: bool, subscribed: bool
) -> RuleResult:
    rule = "subscription_opt_out"
    if channel is None:
        return RuleResult(rule, Outcome.NOT_APPLICABLE, "no subscription preferences apply")
    if otp:
        state = "subscribed" if subscribed else "opted out"
        return RuleResult(
            rule,
            Outcome.BYPASS,
            f"OTPs bypass subscription checks ({state} for {channel} {priority})",
        )
    if not subscribed:
        return RuleResult(
            rule, Outcome.SUPPRESS, f"customer opted out of {channel} {priority} messages"
        )
    return RuleResult(rule, Outcome.PASS, f"customer is subscribed to {channel} {priority}")


@lru_cache(maxsize=64)
def _contact_opt_out(channel: Channel, flag: str | None, ignored: bool) -> RuleResult:
    """A contact's own opt-out of the channel (Symplify's `unsubscribed`,
    `mobileUnsubscribed`); a send that ignores opt-outs (a trigger's ignoreOptOut) passes it,
    as OTP passes Capillary's subscriptions."""
    rule = "subscription_opt_out"
    if flag is None:
        return RuleResult(rule, Outcome.PASS, f"contact has not opted out of {channel}")
    if ignored:
        return RuleResult(rule, Outcome.BYPASS, f"the send ignores opt-outs (contact is {flag})")
    return RuleResult(rule, Outcome.SUPPRESS, f"contact is {flag}: opted out of {channel}")


@lru_cache(maxsize=16)
def _no_subscription(channel: Channel) -> RuleResult:
    return RuleResult(
        "subscription_opt_out",
        Outcome.NOT_APPLICABLE,
        f"no subscription preference applies to {channel} messages",
    )


# (rule, the reason it gives when it suppresses), in precedence order
RULES: tuple[tuple[Rule, Reason], ...] = (
    (customer_status_block, Reason.CUSTOMER_STATUS_BLOCKED),
    (sender_blocklist, Reason.SENDER_BLOCKLISTED),
    (contact_temp_block, Reason.CONTACT_TEMP_BLOCKED),
    (subscription_opt_out, Reason.SUBSCRIPTION_OPTED_OUT),
)
