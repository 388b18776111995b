"""Symplify's collections: the accounts a tenant's token reaches, their lists ("1234/42"),
contacts, triggers ("1234/7"), journeys ("1234/11"), imports, batches and property definitions
("1234/tier"). A contact is found by originalId on a list, by originalId or e-mail on every
list (a -1 block), by its address ("what if"), and a list send walks the list's contacts; a
list's contacts, its opted-out and its bounced ones are paged in id order by index, and
counted in O(1), as are those with an e-mail address or a mobile number; a list's last
finished import batch is found by index."""

from __future__ import annotations

from typing import Any

from sandbox.doc import Doc
from sandbox.store.collection import CollectionSpec
from sandbox.vendors.symplify.addresses import address_key
from sandbox.vendors.symplify.flags import OF, STORED

ACCOUNTS = CollectionSpec("symplify_accounts")
LISTS = CollectionSpec("symplify_lists", multi=("account",), shared=("account",))


def listed_in(contact: Doc) -> tuple[tuple[Any, ...], ...]:
    """The listings of its list a contact is in besides the whole list: (account, list, mode,
    channel) for each channel it opted out of or bounced on (flags.FLAGS), and MIXED when it
    did on either. Most contacts have none: one look at their fields, in C."""
    if STORED.isdisjoint(contact):
        return ()
    get = contact.get
    where = (contact["account"], contact["list_id"])
    found: list[tuple[Any, ...]] = []
    for mode, by_channel in OF.items():
        on = [channel for channel, flag in by_channel.items() if get(flag.stored)]
        found.extend((*where, mode, channel) for channel in on)
        if on:
            found.append((*where, mode, "MIXED"))
    return tuple(found)


def reachable(contact: Doc) -> tuple[Any, ...] | None:
    """A list's contacts by the addresses they have: (account, list, EMAIL, SMS or BOTH), so
    that those with an e-mail address (EMAIL + BOTH) and with a mobile number (SMS + BOTH)
    are counted in O(1); one index, one call a contact written."""
    email, mobile = contact.get("email"), contact.get("mobile")
    if not (email or mobile):
        return None
    which = ("BOTH" if mobile else "EMAIL") if email else "SMS"
    return contact["account"], contact["list_id"], which


CONTACTS = CollectionSpec(
    "symplify_contacts",
    unique=("on_list",),
    multi=("list", "original", "email", "mobile", "listed", "reachable"),
    # a list's contacts, and its opted-out and bounced ones, in id order: paged by lastId
    in_key_order=("list", "listed"),
    several=("listed",),
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
        "listed": listed_in,
        "reachable": reachable,
    },
    shared=("account",),
)

# an account's triggers ("1234/7"), declared by the fixture
TRIGGERS = CollectionSpec("symplify_triggers", multi=("account",), shared=("account",))

# an account's journeys ("1234/11"), declared by the fixture
JOURNEYS = CollectionSpec("symplify_journeys", multi=("account",), shared=("account",))

# an account's journey batches (batchtrigger/v2: "1234/3"), waiting for their file or done
JOURNEY_BATCHES = CollectionSpec(
    "symplify_journey_batches", multi=("account",), shared=("account", "status")
)

# an account's list imports and the batches their CSVs made ("1234/3")
IMPORTS = CollectionSpec("symplify_imports", multi=("account",), shared=("account",))
# (a list's finished batches, newest last: its last import's time is the newest's)
BATCHES = CollectionSpec(
    "symplify_batches",
    multi=("account", "finished_on_list"),
    derived={
        "finished_on_list": lambda b: (
            (b["account"], b["list_id"]) if b.get("status") == "FINISHED" else None
        )
    },
    shared=("account",),
)

# an account's contact property definitions ("1234/tier")
PROPERTIES = CollectionSpec("symplify_properties", multi=("account",), shared=("account",))

COLLECTIONS = (
    ACCOUNTS,
    LISTS,
    CONTACTS,
    TRIGGERS,
    JOURNEYS,
    JOURNEY_BATCHES,
    IMPORTS,
    BATCHES,
    PROPERTIES,
)
