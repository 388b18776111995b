"""Records every communication a vendor API triggers as an outbox message with its decision.

One function for every vendor: the vendor gathers the facts about the recipient, the engine
decides, and this module writes the message in the contract's shape (docs/contract.md section 4)
in the same transaction as the API call's other writes.
"""

from __future__ import annotations

from functools import lru_cache

from sandbox.clock import iso
from sandbox.engine import Decision, Facts, Intent, RuleResult, decide
from sandbox.store import Doc, Tx

MESSAGE_IDS_START = 1_000_001


@lru_cache(maxsize=4096)
def trace_doc(trace: tuple[RuleResult, ...]) -> list[dict[str, str]]:
    """The stored form of a trace. Most messages repeat a few traces, and documents are never
    mutated, so equal traces share one list: a full outbox costs a fraction of the memory."""
    return [result.to_doc() for result in trace]


def record(
    tx: Tx,
    intent: Intent,
    facts: Facts,
    *,
    subject: str | None = None,
    body: str | None = None,
    stamp: str | None = None,
) -> tuple[Doc, Decision]:
    """Decide `intent` against `facts` and stage the message; returns it and the decision."""
    decision = decide(intent, facts)
    message = {
        "id": str(tx.next_id("message", MESSAGE_IDS_START)),
        "vendor": intent.vendor,
        "operation": intent.operation,
        # enum members are str: stored as they are, one shared object each
        "channel": intent.channel,
        "to": intent.to,
        "from": intent.sender,
        "customer_id": facts.customer_id,
        "category": intent.category,
        "priority": intent.priority,
        "subject": subject,
        "body": body,
        "status": decision.status,
        "reason": decision.reason,
        "decision": trace_doc(decision.trace),
        "created_at": stamp or iso(facts.now),
    }
    tx.put("messages", message)
    return message, decision
