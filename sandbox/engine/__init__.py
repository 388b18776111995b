"""The suppression decision: pure functions of a message and the facts about its recipient."""

from __future__ import annotations

from sandbox.engine.model import (
    Category,
    Channel,
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
from sandbox.engine.rules import RULES


def decide(intent: Intent, facts: Facts) -> Decision:
    """Consult every rule in order; the first that suppresses gives the reason."""
    trace = tuple([rule(intent, facts) for rule, _ in RULES])
    for result, (_, reason) in zip(trace, RULES, strict=True):
        if result.outcome is Outcome.SUPPRESS:
            return Decision(Status.SUPPRESSED, reason, trace)
    return Decision(Status.DELIVERED, None, trace)


__all__ = [
    "Category",
    "Channel",
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
