"""The state watch of the contract suite: a refused or failed request changes nothing, anywhere.

Before each generated request the watch takes a fingerprint of the whole store: every tenant's
name, the identity of its data (a replaced or deleted tenant has new data or none), its count
of committed writes, and its credentials record. After the answer, a request that was refused
(4xx) or failed (5xx: a bug, a storage failure, an injected fault) must leave the fingerprint
as it was: no write to its own tenant, no tenant replaced, created or deleted, no other
tenant touched (CONTRACT section 13: a request is atomic). A schema-invalid request answered
2xx is counted (and whether it wrote); whether it may be accepted at all is judged by the
checks that follow (negative_data_rejection as contracts/leniency.py configures it), not by
the watch.

The watch also counts whether the request reached its operation's handler (the app is built
with every vendor's handlers wrapped, `counted`), so the fuzz report can say how many refusals
came from the handlers (business rules) rather than from authentication or validation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from sandbox.http import Handler
from sandbox.store import Store
from sandbox.vendor import Vendor

Fingerprint = dict[str, tuple[int, int, int]]


def fingerprint(store: Store) -> Fingerprint:
    """tenant -> (identity of its data, committed writes, identity of its record)."""
    return {
        name: (id(data), data.commits, id(store.keyring(name)))
        for name, data in store.tenants.items()
    }


def differences(before: Fingerprint, after: Fingerprint) -> list[str]:
    """What changed between two fingerprints, in words."""
    changes = [f"tenant {name} created" for name in sorted(after.keys() - before.keys())]
    changes += [f"tenant {name} deleted" for name in sorted(before.keys() - after.keys())]
    for name in sorted(before.keys() & after.keys()):
        (data, commits, record), (data_after, commits_after, record_after) = (
            before[name],
            after[name],
        )
        if data != data_after or record != record_after:
            changes.append(f"tenant {name} replaced")
        elif commits != commits_after:
            changes.append(f"tenant {name} committed {commits_after - commits} write(s)")
    return changes


class HandlerCalls:
    """How many times any wrapped handler was called (one app serves one request at a time
    in the contract suite, so the difference across a request says whether it reached one)."""

    def __init__(self) -> None:
        self.calls = 0

    def counted(self, vendor: Vendor) -> Vendor:
        """The vendor with each handler counting its calls."""
        return replace(
            vendor,
            handlers=_CountedHandlers(vendor.handlers, self),
            control_handlers=_CountedHandlers(vendor.control_handlers, self),
        )


class _CountedHandlers(Mapping[str, Handler]):
    def __init__(self, handlers: Mapping[str, Handler], calls: HandlerCalls) -> None:
        self._handlers = handlers
        self._calls = calls

    def __getitem__(self, operation_id: str) -> Handler:
        handler = self._handlers[operation_id]

        def counted(ctx: Any) -> Any:
            self._calls.calls += 1
            return handler(ctx)

        return counted

    def __iter__(self) -> Iterator[str]:
        return iter(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)
