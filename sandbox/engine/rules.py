"""The suppression rules, one pure function each, in the precedence of CONTRACT.md section 4."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sandbox.engine.model import (
    Category,
    Channel,
    Facts,
    Intent,
    Outcome,
    Reason,
    RuleResult,
)

Rule = Callable[[Intent, Facts], RuleResult]

# Capillary subscriptions exist for two channels only (seed 002: sms, email; v2: MOBILE, EMAIL).
SUBSCRIPTION_CHANNEL = {Channel.SMS: "MOBILE", Channel.EMAIL: "EMAIL"}


def customer_status_block(intent: Intent, facts: Facts) -> RuleResult:
    rule = "customer_status_block"
    if facts.customer_id is None:
        return RuleResult(rule, Outcome.NOT_APPLICABLE, f"{intent.to} is not a known customer")
    label = facts.status_label
    if label is None:
        return RuleResult(rule, Outcome.PASS, "customer has no status label")
    if label.block_communications:
        return RuleResult(
            rule,
            Outcome.SUPPRESS,
            f"status label '{label.name}' has block communications enabled",
        )
    return RuleResult(
        rule, Outcome.PASS, f"status label '{label.name}' does not block communications"
    )


def sender_blocklist(intent: Intent, facts: Facts) -> RuleResult:
    rule = "sender_blocklist"
    if facts.sender_blocklisted is None:
        return RuleResult(rule, Outcome.NOT_APPLICABLE, f"{intent.vendor} has no sender blocklist")
    if facts.sender_blocklisted:
        return RuleResult(
            rule,
            Outcome.SUPPRESS,
            f"{intent.to} is on the {intent.channel} blocklist of sender {intent.sender}",
        )
    return RuleResult(
        rule,
        Outcome.PASS,
        f"{intent.to} is not on the {intent.channel} blocklist of sender {intent.sender}",
    )


def contact_temp_block(intent: Intent, facts: Facts) -> RuleResult:
    rule = "contact_temp_block"
    until = facts.temp_block_until
    if until is None:
        if intent.vendor == "symplify":
            return RuleResult(rule, Outcome.PASS, "contact has no temporary block")
        return RuleResult(rule, Outcome.NOT_APPLICABLE, f"{intent.vendor} has no temporary blocks")
    # a block lasts through the end of its blockUntil day (UTC)
    if facts.now.date() <= until:
        scope = f" ({facts.temp_block_scope})" if facts.temp_block_scope else ""
        return RuleResult(
            rule,
            Outcome.SUPPRESS,
            f"contact is blocked until the end of {until.isoformat()}{scope}",
        )
    ended = until + timedelta(days=1)
    return RuleResult(rule, Outcome.PASS, f"temporary block ended at {ended.isoformat()}T00:00Z")


def subscription_opt_out(intent: Intent, facts: Facts) -> RuleResult:
    rule = "subscription_opt_out"
    if facts.customer_id is None or facts.subscriptions is None:
        return RuleResult(rule, Outcome.NOT_APPLICABLE, "no subscription preferences apply")
    channel = SUBSCRIPTION_CHANNEL.get(intent.channel)
    if channel is None:
        return RuleResult(
            rule, Outcome.NOT_APPLICABLE, f"{intent.channel} has no subscription preference"
        )
    subscribed = facts.subscriptions.get((channel, intent.priority.value), True)
    if intent.category is Category.OTP:
        state = "subscribed" if subscribed else "opted out"
        return RuleResult(
            rule,
            Outcome.BYPASS,
            f"OTPs bypass subscription checks ({state} for {channel} {intent.priority})",
        )
    if not subscribed:
        return RuleResult(
            rule, Outcome.SUPPRESS, f"customer opted out of {channel} {intent.priority} messages"
        )
    return RuleResult(rule, Outcome.PASS, f"customer is subscribed to {channel} {intent.priority}")


# (rule, the reason it gives when it suppresses), in precedence order
RULES: tuple[tuple[Rule, Reason], ...] = (
    (customer_status_block, Reason.CUSTOMER_STATUS_BLOCKED),
    (sender_blocklist, Reason.SENDER_BLOCKLISTED),
    (contact_temp_block, Reason.CONTACT_TEMP_BLOCKED),
    (subscription_opt_out, Reason.SUBSCRIPTION_OPTED_OUT),
)
