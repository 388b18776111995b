"""The names a tenant knows its recipients by (a Capillary customer's, a Symplify contact's
first and last name; Messangi knows only numbers), which the web outbox lists beside each
message's address and the outbox's free text (`q=`, on the web page and the control plane's
GET .../outbox alike) finds. Each vendor says where they are kept
(`Vendor.views.names`); they are read as the recipients stand now (a renamed customer's
messages show the new name), not copied into the messages."""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.doc import Doc
from sandbox.outbox import Match
from sandbox.store import TenantData
from sandbox.vendor import Names, Vendor, full_name


class Directory:
    """Each vendor's recipients' names, as its `views.names` points at them."""

    def __init__(self, vendors: Sequence[Vendor]) -> None:
        self.names: dict[str, Names] = {
            vendor.name: vendor.views.names
            for vendor in vendors
            if vendor.views is not None and vendor.views.names is not None
        }

    def name_of(self, data: TenantData, message: Doc) -> str | None:
        """The name of `message`'s recipient (one look-up by key), or None: a vendor that
        keeps none, a message to no known recipient, a recipient without a name."""
        names = self.names.get(message.get("vendor") or "")
        value = None if names is None else message.get(names.field)
        if names is None or value is None:
            return None
        recipient = data[names.collection].get(names.key(value))
        return (full_name(recipient) or None) if recipient is not None else None

    def named(self, data: TenantData, text: str) -> Match | None:
        """A check of a message: is it to a recipient whose name holds `text` (any case)?
        None when no recipient's does. One walk of each vendor's recipients."""
        wanted = text.strip().lower()
        if not wanted:
            return None
        keys: dict[str, set[object]] = {}
        for vendor, names in self.names.items():
            recipients = data[names.collection]
            key = recipients.spec.key
            found = {
                recipient[key]
                for recipient in recipients.values()
                if wanted in full_name(recipient).lower()
            }
            if found:
                keys[vendor] = found
        if not keys:
            return None

        def check(message: Doc) -> bool:
            vendor = message.get("vendor") or ""
            names, found = self.names.get(vendor), keys.get(vendor)
            if names is None or found is None:
                return False
            value = message.get(names.field)
            return value is not None and names.key(value) in found

        return check
