"""Records every communication a vendor API triggers as an outbox message with its decision.

One function for every vendor: the vendor gathers the facts about the recipient, the engine
decides, and this module writes the message in the contract's shape (docs/contract.md section 4)
in the same transaction as the API call's other writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from sandbox import normalise
from sandbox.clock import iso
from sandbox.engine import Decision, Facts, Intent, RuleResult, decide
from sandbox.store import Collection, Doc, Tx

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


# the outbox's filters that compare a field as it is (docs/contract.md section 4)
EXACT_FILTERS = ("vendor", "channel", "status", "reason", "operation", "category")
# the fields free text (`q`) looks in
TEXT_FIELDS = ("id", "to", "from", "subject", "body", "customer_id", "operation", "reason")


def recipient_key(value: str) -> str:
    """The same recipient however it was written (sandbox/normalise.py's keys): an e-mail
    address in any case, without display name or trailing dot; a number's digits with the
    country code (`+`, `00`, spaces, dashes, dots and parentheses read away)."""
    return normalise.email(value) if "@" in value else normalise.phone(value) or value.strip()


def select(messages: Collection, filters: Mapping[str, Any]) -> list[Doc]:
    """The messages matching every filter given, newest first: the exact ones, `to` (the
    same recipient however written), `customer_id` (by its index) and `q` (free text, any
    case, in the TEXT_FIELDS)."""
    source: Iterator[Doc] = (
        messages.newest_by("customer_id", str(filters["customer_id"]))
        if filters.get("customer_id")
        else messages.newest()
    )
    exact = {name: filters[name] for name in EXACT_FILTERS if filters.get(name)}
    wanted_to = recipient_key(filters["to"]) if filters.get("to") else None
    text = str(filters["q"]).strip().lower() if filters.get("q") else None
    return [
        doc
        for doc in source
        if all(doc.get(name) == value for name, value in exact.items())
        and (wanted_to is None or recipient_key(doc.get("to") or "") == wanted_to)
        and (text is None or any(text in str(doc.get(f) or "").lower() for f in TEXT_FIELDS))
    ]
