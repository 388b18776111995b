"""Symplify's collections: the accounts a tenant's token reaches, their lists ("1234/42"),
contacts, triggers ("1234/7"), journeys ("1234/11"), imports, batches and property definitions
("1234/tier"). A contact is found by originalId on a list, by originalId or e-mail on every
list (a -1 block), by its address ("what if"), and a list send walks the list's contacts."""

from __future__ import annotations

from sandbox.store.collection import CollectionSpec
from sandbox.vendors.symplify.addresses import address_key

ACCOUNTS = CollectionSpec("symplify_accounts")
LISTS = CollectionSpec("symplify_lists", multi=("account",), shared=("account",))
CONTACTS = CollectionSpec(
    "symplify_contacts",
    unique=("on_list",),
    multi=("list", "original", "email", "mobile"),
    derived={
        "on_list": lambda c: (c["account"], c["list_id"], c["original_id"]),
        "list": lambda c: (c["account"], c["list_id"]),
        "original": lambda c: (c["account"], c["original_id"]),
        "email": lambda c: (
            (c["account"], address_key("email", c["email"])) if c.get("email") else None
        ),
        "mobile": lambda c: (
            (c["account"], address_key("mobile", c["mobile"])) if c.get("mobile") else None
        ),
    },
    shared=("account",),
)

# an account's triggers ("1234/7"), declared by the fixture
TRIGGERS = CollectionSpec("symplify_triggers", multi=("account",), shared=("account",))

# an account's journeys ("1234/11"), declared by the fixture
JOURNEYS = CollectionSpec("symplify_journeys", multi=("account",), shared=("account",))

# an account's list imports and the batches their CSVs made ("1234/3")
IMPORTS = CollectionSpec("symplify_imports", multi=("account",), shared=("account",))
BATCHES = CollectionSpec("symplify_batches", multi=("account",), shared=("account",))

# an account's contact property definitions ("1234/tier")
PROPERTIES = CollectionSpec("symplify_properties", multi=("account",), shared=("account",))

COLLECTIONS = (ACCOUNTS, LISTS, CONTACTS, TRIGGERS, JOURNEYS, IMPORTS, BATCHES, PROPERTIES)
