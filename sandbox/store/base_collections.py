"""The collections every tenant has whatever its vendors, with their keys and indexes. Each
vendor declares its own (`Vendor.collections`, e.g. sandbox/vendors/capillary/collections.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sandbox.doc import Doc
from sandbox.store.collection import CollectionSpec

META = CollectionSpec("meta")  # clock, settings: a handful of documents
# injected faults (docs/contract.md section 7), one per vendor operationId
FAULTS = CollectionSpec("faults", key="operationId")


def customer_messages(message: Doc) -> tuple[str, str] | None:
    """A customer's messages, by channel: Capillary's interaction history lists a page of
    each type from this index (None: a message to no customer is in no such list)."""
    customer, channel = message.get("customer_id"), message.get("channel")
    return None if customer is None or channel is None else (customer, channel)


def contact_messages(message: Doc) -> tuple[str, str, str, str, str] | None:
    """A message to a contact of a vendor's list (Symplify's), by that list ("1234/42"), the
    contact's id on it (its originalId: a contact removed and added again keeps its
    messages), its channel, status and operation: the contact's messages newest first, and
    how many were sent or not per channel and kind of send, each without a walk of the outbox
    (Symplify's `.../messages` and `.../messagecount`)."""
    on_list = message.get("contact_list")
    if on_list is None:
        return None
    return on_list, message["contact"], message["channel"], message["status"], message["operation"]


# the outbox: every message any vendor API triggered, with its decision
MESSAGES = CollectionSpec(
    "messages",
    # a customer's and a list's messages by their field (read in C); a customer's by
    # channel and a contact's by their derived key, each index named after its function
    multi=("customer_id", "contact_list", "customer_messages", "contact_messages"),
    derived={"customer_messages": customer_messages, "contact_messages": contact_messages},
    capped=True,
    shared=("vendor", "operation", "channel", "category", "priority", "status", "reason", "from"),
    # interaction history: every message counted per customer and channel, for good
    tally=("customer_id", "channel", "created_at"),
)


def _due_order(item: Doc) -> tuple[str, int] | None:
    """A scheduled item's place: by due time, then as it was asked for; an item set aside
    (its delivery failed) has none."""
    return None if "failed" in item else (item["due"], int(item["id"]))


# messages asked for later, until they are due or set aside (sandbox/schedule.py)
SCHEDULED = CollectionSpec("scheduled", order=_due_order)

CORE = (META, FAULTS, MESSAGES, SCHEDULED)


def all_specs(vendor_collections: Iterable[CollectionSpec]) -> tuple[CollectionSpec, ...]:
    """The core collections and the vendors', each name once."""
    specs = (*CORE, *vendor_collections)
    names = [spec.name for spec in specs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"collections declared twice: {repeated}")
    return specs
