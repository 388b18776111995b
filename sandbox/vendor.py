"""The one interface between the core and a vendor.

A vendor is a folder under `sandbox/vendors/` whose `VENDOR` says everything the core needs to
know about it: its OpenAPI document and the handler of each operation, how a request is
authenticated, the envelope of its errors, the collections its data lives in, its section of
a tenant document (fixture and snapshot), and its credentials (issued per tenant, shown by the
control plane, indexed for the lookup that authenticates a request). The core never names a
vendor: `sandbox/vendors/__init__.py` is the one list, and `create_app(vendors=...)` takes any
other (tests/test_fake_vendor.py adds one from outside `sandbox/`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from sandbox.doc import Doc
from sandbox.engine import Category, Channel, Concept, Facts, Intent, Priority
from sandbox.errors import InvalidInput
from sandbox.http import Authenticator, Handler
from sandbox.schedule import DueHandler
from sandbox.store.collection import CollectionSpec
from sandbox.store.tenant import TenantData

# a section of a tenant document -> the store documents it starts the tenant with
SectionLoader = Callable[[dict[str, Any], datetime], dict[str, list[Doc]]]
# the tenant's state -> its section of a snapshot
SectionWriter = Callable[[TenantData], dict[str, Any]]


@dataclass(frozen=True)
class FixtureSection:
    """A vendor's section of a tenant document, under the vendor's name."""

    load: SectionLoader
    write: SectionWriter
    # the section's JSON schema, for a vendor openapi/sandbox.yaml does not declare
    schema: Mapping[str, Any] | None = None


def refuse_repeated(items: list[dict[str, Any]], key: str, where: str) -> None:
    """A 400 naming the first of `items` (a section of a tenant document, at `where`) whose
    `key` an earlier one has: loaded, the second would silently replace the first."""
    seen: dict[Any, int] = {}
    for index, item in enumerate(items):
        value = item.get(key)
        if value is None:
            continue
        if value in seen:
            field = f"{where}[{index}].{key}"
            raise InvalidInput(
                f"{field}: {value!r} is repeated ({where}[{seen[value]}] has it)", field=field
            )
        seen[value] = index


@dataclass(frozen=True)
class Credentials:
    """How a vendor's credentials are issued to a tenant, shown, and found again.

    The tenant's keyring (tenant.json) holds them as flat fields named after the vendor
    (`capillary_username`); `indexed` are the fields a request is authenticated by, each
    looked up in O(1) (`Store.find_by_credential`)."""

    issue: Callable[[str], dict[str, str]]  # tenant name -> keyring fields (random secrets)
    demo: Mapping[str, str]  # the demo tenant's fixed fields, printed in the README
    show: Callable[[Doc], dict[str, Any]]  # the keyring -> this vendor's credentials document
    indexed: tuple[str, ...]

    def issued_in(self, keyring: Doc) -> bool:
        """Whether `keyring` holds this vendor's credentials (the demo's fields name them)."""
        return self.demo.keys() <= keyring.keys()


@dataclass(frozen=True)
class RealHosts:
    """Where a vendor's real API lives, so tests can route calls to it into the sandbox
    (sandbox/testing/respx_routes.py): its hosts, and the path its base URL adds before the
    documented paths (e.g. Symplify's `/rest`)."""

    hosts: re.Pattern[str]
    base_path: re.Pattern[str] | None = None

    def path_start(self, path: str) -> int:
        """Where the documented path begins in the URL's path."""
        if self.base_path is None:
            return 0
        match = self.base_path.match(path)
        return match.end() if match else 0


class Probe(NamedTuple):
    """A message as one of the vendor's APIs would trigger it, asked about, not sent
    (`POST /_sandbox/tenants/{t}/explain`)."""

    channel: Channel
    to: str
    category: Category | None = None
    priority: Priority | None = None
    sender: str | None = None
    list_id: str | None = None

    def check_channel(self, vendor: str, channels: frozenset[Channel]) -> None:
        """A 400 naming `channel` unless the vendor sends on the probe's channel."""
        if self.channel not in channels:
            allowed = ", ".join(sorted(channels))
            raise InvalidInput(
                f"channel: {vendor} sends {allowed}, not {self.channel}", field="channel"
            )


# the tenant, a message -> how the vendor's own APIs read it back: (the call, what it answers
# for it now)
ReadBack = Callable[[TenantData, Doc], list[tuple[str, str]]]

# the tenant, the probe, now -> the intent and the facts the vendor's own sends would gather;
# InvalidInput naming the field the vendor cannot read (a channel it lacks, a bad address)
Explainer = Callable[[TenantData, Probe, datetime], tuple[Intent, Facts]]


def full_name(recipient: Doc) -> str:
    """A customer's or contact's first and last name, as far as it has them ("" for none)."""
    parts = (recipient.get("firstname"), recipient.get("lastname"))
    return " ".join(str(part).strip() for part in parts if part and str(part).strip())


@dataclass(frozen=True)
class Names:
    """Where the name a tenant knows a message's recipient by is kept: the message's field
    that points at the recipient, the collection of recipients it points into (each with
    `firstname` and `lastname`), and how the field's value is that collection's key."""

    field: str  # e.g. customer_id
    collection: str  # e.g. customers
    key: Callable[[Any], Any] = lambda value: value


@dataclass(frozen=True)
class Views:
    """The vendor's part of the web outbox: its recipients (customers, senders, lists) drawn by
    its own template from what `recipients` gathers, and where its recipients' names are
    (the outbox lists and searches them); None: its recipients are only addresses."""

    templates: Path  # a folder of Jinja2 templates, found as "<vendor>/<name>"
    recipients: Callable[[TenantData, datetime], dict[str, Any]]
    template: str = "recipients.html"
    names: Names | None = None


@dataclass(frozen=True)
class Vendor:
    name: str  # its prefix (/name/...), its fixture key, its faults' `vendor`
    handlers: Mapping[str, Handler]  # operationId -> handler: exactly its document's operations
    authenticate: Authenticator
    envelope: str  # for errors outside any operation (unknown path, wrong method)
    # its error codes -> their messages: the one place they are written. A document field
    # names its code (`x-sandbox-error-code`); the refusal names the field's problem, then the
    # code's message in parentheses.
    error_messages: Mapping[int, str] = field(default_factory=dict)
    # its OpenAPI document: a name in the openapi directory, or a path of its own
    document: str | Path = ""
    collections: tuple[CollectionSpec, ...] = ()
    fixture: FixtureSection | None = None
    credentials: Credentials | None = None
    real_hosts: RealHosts | None = None
    # control-plane operations of this vendor's own (openapi/sandbox.yaml, each marked
    # `x-sandbox-vendor: <name>`): served only when the app runs this vendor
    control_handlers: Mapping[str, Handler] = field(default_factory=dict)
    # what a message would meet, asked without sending it; None: the vendor cannot be asked
    explain: Explainer | None = None
    views: Views | None = None
    # what its messages can meet: the concepts its facts declare, and the channels it sends
    # on (the cells of the suppression coverage report, sandbox/testing/coverage.py)
    concepts: frozenset[Concept] = frozenset()
    channels: frozenset[Channel] = frozenset()
    # how its APIs read a message back (the web outbox's message page shows it)
    reads: ReadBack | None = None
    # the message(s) of an item it scheduled (sandbox/schedule.py), once the item is due
    deliver_due: DueHandler | None = None
    # the JSON schema of the `work` its items keep, which `deliver_due` reads: a tenant
    # document's scheduled items are refused at load unless it fits
    scheduled_work: Mapping[str, Any] | None = None

    @property
    def document_name(self) -> str | Path:
        return self.document or f"{self.name}.yaml"
