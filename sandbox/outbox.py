"""Records every communication a vendor API triggers as an outbox message with its decision.

One function for every vendor: the vendor gathers the facts about the recipient, the engine
decides, and this module writes the message in the contract's shape (CONTRACT.md section 4)
in the same transaction as the API call's other writes.
"""

from __future__ import annotations

from sandbox.clock import iso
from sandbox.engine import Decision, Facts, Intent, decide
from sandbox.store import Doc, Tx

MESSAGE_IDS_START = 1_000_001


def record(
    tx: Tx,
    intent: Intent,
    facts: Facts,
    *,
    subject: str | None = None,
    body: str | None = None,
) -> tuple[Doc, Decision]:
    """Decide `intent` against `facts` and stage the message; returns it and the decision."""
    decision = decide(intent, facts)
    message = {
        "id": str(tx.next_id("message", MESSAGE_IDS_START)),
        "vendor": intent.vendor,
        "operation": intent.operation,
        "channel": intent.channel.value,
        "to": intent.to,
        "from": intent.sender,
        "customer_id": facts.customer_id,
        "category": intent.category.value,
        "priority": intent.priority.value,
        "subject": subject,
        "body": body,
        "status": decision.status.value,
        "reason": decision.reason.value if decision.reason else None,
        "decision": [result.to_doc() for result in decision.trace],
        "created_at": iso(facts.now),
    }
    tx.put("messages", message)
    return message, decision
