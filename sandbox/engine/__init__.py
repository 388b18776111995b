"""The suppression decision: pure functions of a message and the facts about its recipient."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from sandbox.engine.model import (
    Category,
    Channel,
    Concept,
    Decision,
    Facts,
    Intent,
    Outcome,
    Priority,
    Reason,
    RuleResult,
    Status,
    StatusLabel,
)
from sandbox.engine.rules import RULES, SUBSCRIPTION_KEY

_new_tuple = tuple.__new__
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the memoised rules do not read the time


def decide(intent: Intent, facts: Facts) -> Decision:
    """Consult every rule in order; the first that suppresses gives the reason."""
    # (the facts read in one unpacking: a named field's read is a generic attribute lookup on
    # Python 3.11, and every send is decided)
    (
        _,
        customer_id,
        label,
        subscriptions,
        blocklisted,
        blocked_until,
        _,
        opt_out,
        _,
        concepts,
        _,
        _,
    ) = facts
    if (
        customer_id is not None
        and blocklisted is None
        and blocked_until is None
        and opt_out is None
    ):
        # a known customer with no vendor-specific facts: every rule's answer depends only on
        # the kind of message, the label and one subscription preference, so it is memoised
        vendor, operation, channel, category, priority, _, _, contact = intent
        key = SUBSCRIPTION_KEY.get((channel, priority))
        subscribed = subscriptions.get(key, True) if key and subscriptions else True
        return _known_customer(
            # (the intent without its recipient and sender: built as a tuple, no Python-level
            # `_replace` on every send)
            _new_tuple(Intent, (vendor, operation, channel, category, priority, "", None, contact)),
            label,
            subscribed,
            subscriptions is None,
            concepts,
        )
    return _decide(intent, facts)


def _decide(intent: Intent, facts: Facts) -> Decision:
    trace = tuple([rule(intent, facts) for rule, _ in RULES])
    for result, (_, reason) in zip(trace, RULES, strict=True):
        if result.outcome is Outcome.SUPPRESS:
            return Decision(Status.SUPPRESSED, reason, trace)
    return Decision(Status.DELIVERED, None, trace)


@lru_cache(maxsize=1024)
def _known_customer(
    kind: Intent,
    label: StatusLabel | None,
    subscribed: bool,
    no_preferences: bool,
    concepts: frozenset[Concept],
) -> Decision:
    key = SUBSCRIPTION_KEY.get((kind.channel, kind.priority))
    preferences = None if no_preferences else ({key: subscribed} if key else {})
    known = Facts(
        now=_EPOCH,
        customer_id="known",
        status_label=label,
        subscriptions=preferences,
        concepts=concepts,
    )
    return _decide(kind, known)


__all__ = [
    "Category",
    "Channel",
    "Concept",
    "Decision",
    "Facts",
    "Intent",
    "Outcome",
    "Priority",
    "Reason",
    "RuleResult",
    "Status",
    "StatusLabel",
    "decide",
]
