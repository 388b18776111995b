"""The suppression engine: pure decisions in the precedence of docs/contract.md section 4."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sandbox.engine import (
    Category,
    Channel,
    Concept,
    Facts,
    Intent,
    Outcome,
    Priority,
    Reason,
    Status,
    StatusLabel,
    decide,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
BLOCKING = StatusLabel("Suspended", "SUSPENDED", block_communications=True)
ACTIVE = StatusLabel("Active", "ACTIVE", block_communications=False)
RULES = ["customer_status_block", "sender_blocklist", "contact_temp_block", "subscription_opt_out"]


def intent(
    channel: Channel = Channel.SMS,
    category: Category = Category.TRANSACTIONAL,
    priority: Priority = Priority.TRANS,
    vendor: str = "capillary",
) -> Intent:
    return Intent(vendor, "sendMessage", channel, category, priority, "919353491050")


# what a vendor with customers (Capillary) tells the engine it has
CUSTOMERS = frozenset({Concept.CUSTOMERS, Concept.SUBSCRIPTIONS})


def customer(label: StatusLabel | None = ACTIVE, **subscriptions: bool) -> Facts:
    prefs = {key.replace("_", ":"): value for key, value in subscriptions.items()}
    return Facts(
        now=NOW, customer_id="1", status_label=label, subscriptions=prefs, concepts=CUSTOMERS
    )


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("category", list(Category))
def test_block_label_suppresses_every_channel_and_category(
    channel: Channel, category: Category
) -> None:
    decision = decide(intent(channel, category), customer(BLOCKING))
    assert decision.status is Status.SUPPRESSED
    assert decision.reason is Reason.CUSTOMER_STATUS_BLOCKED


def test_block_wins_even_when_opted_in_everywhere() -> None:
    facts = customer(BLOCKING, MOBILE_TRANS=True, MOBILE_BULK=True)
    decision = decide(intent(), facts)
    assert decision.reason is Reason.CUSTOMER_STATUS_BLOCKED
    assert decision.trace[0].detail == "status label 'Suspended' has block communications enabled"


def test_block_wins_over_opt_out_as_the_first_suppressing_rule() -> None:
    decision = decide(intent(), customer(BLOCKING, MOBILE_TRANS=False))
    assert decision.reason is Reason.CUSTOMER_STATUS_BLOCKED
    assert [r.outcome for r in decision.trace] == [
        Outcome.SUPPRESS,
        Outcome.NOT_APPLICABLE,
        Outcome.NOT_APPLICABLE,
        Outcome.SUPPRESS,
    ]


def test_every_rule_is_consulted_in_order() -> None:
    decision = decide(intent(), customer())
    assert [r.rule for r in decision.trace] == RULES
    assert decision.status is Status.DELIVERED and decision.reason is None


def test_opt_out_suppresses_its_channel_and_priority_only() -> None:
    facts = customer(MOBILE_BULK=False)
    assert decide(intent(priority=Priority.BULK), facts).reason is Reason.SUBSCRIPTION_OPTED_OUT
    assert decide(intent(priority=Priority.TRANS), facts).status is Status.DELIVERED
    assert decide(intent(Channel.EMAIL, priority=Priority.BULK), facts).status is Status.DELIVERED


def test_otp_bypasses_opt_out_but_not_the_block() -> None:
    opted_out = customer(MOBILE_TRANS=False)
    otp = intent(category=Category.OTP)
    bypassed = decide(otp, opted_out)
    assert bypassed.status is Status.DELIVERED
    assert bypassed.trace[3].outcome is Outcome.BYPASS
    blocked = decide(otp, customer(BLOCKING, MOBILE_TRANS=False))
    assert blocked.reason is Reason.CUSTOMER_STATUS_BLOCKED


def test_channels_without_subscriptions_are_not_applicable() -> None:
    decision = decide(intent(Channel.WHATSAPP), customer(MOBILE_TRANS=False))
    assert decision.status is Status.DELIVERED
    assert decision.trace[3].outcome is Outcome.NOT_APPLICABLE


def test_unknown_recipient_has_no_customer_rules() -> None:
    decision = decide(intent(), Facts(now=NOW, concepts=CUSTOMERS))
    assert decision.status is Status.DELIVERED
    assert decision.trace[0].outcome is Outcome.NOT_APPLICABLE
    assert "not a known customer" in decision.trace[0].detail


def test_label_without_block_passes() -> None:
    decision = decide(intent(), customer(ACTIVE))
    assert decision.trace[0].outcome is Outcome.PASS


def test_sender_blocklist_suppresses_with_its_reason() -> None:
    facts = Facts(now=NOW, sender_blocklisted=True)
    decision = decide(intent(vendor="messangi"), facts)
    assert decision.reason is Reason.SENDER_BLOCKLISTED


def test_temp_block_lasts_through_the_end_of_its_day() -> None:
    until = date(2026, 11, 23)
    symplify = intent(Channel.EMAIL, vendor="symplify")
    same_day = Facts(now=datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC), temp_block_until=until)
    next_day = Facts(now=datetime(2026, 11, 24, 0, 0, tzinfo=UTC), temp_block_until=until)
    assert decide(symplify, same_day).reason is Reason.CONTACT_TEMP_BLOCKED
    assert decide(symplify, next_day).status is Status.DELIVERED
    assert "ended at 2026-11-24T00:00Z" in decide(symplify, next_day).trace[2].detail


@pytest.mark.parametrize("label", [None, ACTIVE, BLOCKING])
@pytest.mark.parametrize("subscribed", [True, False])
def test_memoised_decisions_equal_the_rules(label: StatusLabel | None, subscribed: bool) -> None:
    """decide() memoises known customers' decisions; they must be exactly the rules' own."""
    from sandbox.engine import _decide

    for channel in Channel:
        for category in Category:
            for priority in Priority:
                message = intent(channel, category, priority)
                facts = customer(label, MOBILE_TRANS=subscribed, MOBILE_BULK=subscribed)
                assert decide(message, facts) == _decide(message, facts)


# decide() answers a known customer with no vendor-specific facts from a memo keyed by the
# message's kind, the label and one preference (sandbox/engine/__init__.py). Whatever the
# facts, its answer is the one every rule gives when consulted in order: the same status,
# reason and trace, to the word. Every combination below is tried (not a random sample:
# a mutant of the memo that only one combination tells apart is always found).
KINDS = [
    Intent("capillary", "sendMessage", channel, category, priority, "919353491050", sender)
    for channel in Channel
    for category in Category
    for priority in (None, *Priority)
    for sender in (None, "141555549")
]
PREFERENCES = [None, {}, {"MOBILE:BULK": False}, {"EMAIL:TRANS": False, "MOBILE:TRANS": True}]
CONCEPTS = [
    CUSTOMERS,
    frozenset(Concept),
    frozenset({Concept.TEMPORARY_BLOCKS, Concept.CONTACT_OPT_OUTS}),
    frozenset(),
]
EVERY_FACT = [
    Facts(NOW, customer, label, preferences, listed, until, scope, opt_out, False, concepts)
    for customer in (None, "42")
    for label in (None, BLOCKING, ACTIVE)
    for preferences in PREFERENCES
    for listed in (None, True)
    for until, scope in ((None, None), (date(2026, 11, 30), "all lists"))
    for opt_out in (None, "unsubscribed")
    for concepts in CONCEPTS
]


def test_the_memoised_answer_is_every_rules_answer() -> None:
    from sandbox.engine import _decide

    differing = [
        (message, facts)
        for message in KINDS
        for facts in EVERY_FACT
        if decide(message, facts) != _decide(message, facts)
    ]
    assert differing[:3] == []
