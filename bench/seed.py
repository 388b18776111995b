"""Build a data directory offline: a tenant with N customers and M stored outbox messages.

Runs in-process through the sandbox's own store and fixture APIs (much faster than N
HTTP requests), then closes the store so a server can be started on the directory:

    python -m bench.seed --data-dir D --customers 100000 --messages 100000 --retention 200000

Prints one JSON line: the tenant, its Capillary Basic credentials and a seeded recipient.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sandbox import outbox
from sandbox.catalog import Catalog
from sandbox.control.tenants import put_tenant
from sandbox.doc import Doc
from sandbox.engine import Category, Channel, Intent, Priority
from sandbox.settings import Settings
from sandbox.vendors import VENDORS
from sandbox.vendors.capillary import messaging

TENANT = "bench"
BATCH = 2_000  # messages per transaction (one journal line each)


@dataclass(frozen=True)
class Seeded:
    tenant: str
    username: str
    password: str
    recipient: str  # the mobile of a seeded, unblocked customer
    customers: int
    messages: int
    seconds: float


def mobile(index: int) -> str:
    return f"91{7_000_000_000 + index}"


def recipient_index(customers: int) -> int:
    return customers // 2


def fixture(customers: int, labelled: bool = True) -> dict[str, Any]:
    """A Capillary fixture: every tenth customer Suspended (blocked), the rest Active; with
    `labelled` false no customer has a status label (and none is blocked)."""
    chosen = recipient_index(customers)

    def label(i: int) -> dict[str, str]:
        if not labelled:
            return {}
        return {"status_label": "Suspended" if i % 10 == 9 and i != chosen else "Active"}

    return {
        "capillary": {
            "status_labels": [
                {"name": "Active", "status": "ACTIVE", "block_communications": False},
                {"name": "Suspended", "status": "SUSPENDED", "block_communications": True},
            ],
            "customers": [
                {
                    "mobile": mobile(i),
                    "email": f"bench.{i}@example.com",
                    "external_id": f"BENCH-{i}",
                    "firstname": "Bench",
                    "lastname": f"Customer {i}",
                    **label(i),
                }
                for i in range(customers)
            ],
        }
    }


def seed(
    data_dir: Path, customers: int, messages: int, retention: int, *, labelled: bool = True
) -> Seeded:
    """Create tenant `bench` in `data_dir` and store `messages` sendMessage SMS messages,
    each to a seeded customer in turn, as the API would (decision trace; the store counts
    them in the customers' interaction history as it records them)."""
    started = time.perf_counter()
    catalog = Catalog.of(VENDORS)
    store = catalog.open_store(Settings(data_dir=data_dir, outbox_retention=retention))
    try:
        record, _ = put_tenant(store, catalog, TENANT, fixture(customers, labelled))
        data = store.get(TENANT)
        assert data is not None
        people: list[Doc] = list(data["customers"].values())
        now = data.clock.now()
        for start in range(0, messages, BATCH):
            tx = data.begin()
            for n in range(start, min(messages, start + BATCH)):
                customer = people[n % len(people)] if people else None
                to = customer["mobile"] if customer else mobile(n)
                intent = Intent(
                    vendor="capillary",
                    operation="sendMessage",
                    channel=Channel.SMS,
                    category=Category.TRANSACTIONAL,
                    priority=Priority.TRANS,
                    to=to,
                )
                facts = messaging.facts_for(data, customer, now)
                outbox.Recorder(now).record(tx, intent, facts, body=f"seeded message {n}")
            tx.commit()
        data.compact()  # a snapshot, as the store itself makes when its journal grows
    finally:
        store.close()
    return Seeded(
        tenant=TENANT,
        username=record["capillary_username"],
        password=record["capillary_password"],
        recipient=mobile(recipient_index(customers)),
        customers=customers,
        messages=messages,
        seconds=time.perf_counter() - started,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--messages", type=int, default=0)
    parser.add_argument("--retention", type=int, default=Settings.outbox_retention)
    parser.add_argument("--no-labels", action="store_true", help="give no customer a status label")
    args = parser.parse_args(argv)
    seeded = seed(
        args.data_dir, args.customers, args.messages, args.retention, labelled=not args.no_labels
    )
    print(json.dumps(asdict(seeded)))


if __name__ == "__main__":
    main()
