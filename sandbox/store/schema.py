"""The collections every tenant has, with their keys and indexes."""

from __future__ import annotations

from sandbox import normalise
from sandbox.store.collection import CollectionSpec

META = CollectionSpec("meta")  # clock, settings: a handful of documents
STATUS_LABELS = CollectionSpec("status_labels", key="name")
CUSTOMERS = CollectionSpec(
    "customers",
    unique=("mobile", "email", "external_id", "wechat"),
    normalise={
        "mobile": normalise.phone,
        "email": normalise.email,
        "external_id": normalise.text,
        "wechat": normalise.text,
    },
    shared=("status_label", "source"),
)
STATUS_LOG = CollectionSpec("status_log", multi=("customer_id",))
MESSAGES = CollectionSpec(
    "messages",
    multi=("customer_id",),
    capped=True,
    shared=("vendor", "operation", "channel", "category", "priority", "status", "reason", "from"),
    # interaction history: every message counted per customer and channel, for good
    tally=("customer_id", "channel", "created_at"),
)
REQUESTS = CollectionSpec("requests", multi=("customer_id",))
OTPS = CollectionSpec("otps", key="subject")
# Messangi's per-sender blocklists: one entry per (channel type, recipient, sender) key
MESSANGI_BLOCKLIST = CollectionSpec(
    "messangi_blocklist", unique=("key",), shared=("type", "from", "reason", "source")
)
# Symplify: the accounts a tenant's token reaches, their lists ("1234/42") and contacts. A
# contact is found by originalId on a list, by originalId or e-mail on every list (a -1
# block), and a list send walks the list's contacts.
SYMPLIFY_ACCOUNTS = CollectionSpec("symplify_accounts")
SYMPLIFY_LISTS = CollectionSpec("symplify_lists", multi=("account",), shared=("account",))
SYMPLIFY_CONTACTS = CollectionSpec(
    "symplify_contacts",
    unique=("on_list",),
    multi=("list", "original", "email"),
    derived={
        "on_list": lambda c: (c["account"], c["list_id"], c["original_id"]),
        "list": lambda c: (c["account"], c["list_id"]),
        "original": lambda c: (c["account"], c["original_id"]),
        "email": lambda c: (c["account"], normalise.email(c["email"])) if c.get("email") else None,
    },
    shared=("account",),
)

# injected faults (CONTRACT.md section 7), one per vendor operationId
FAULTS = CollectionSpec("faults", key="operationId")

ALL = (
    META,
    FAULTS,
    STATUS_LABELS,
    CUSTOMERS,
    STATUS_LOG,
    MESSAGES,
    REQUESTS,
    OTPS,
    MESSANGI_BLOCKLIST,
    SYMPLIFY_ACCOUNTS,
    SYMPLIFY_LISTS,
    SYMPLIFY_CONTACTS,
)
