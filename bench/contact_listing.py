"""A page of a Symplify list's opted-out contacts costs about what one contact costs (issue
24's target: p50 within 1.5x of a single-contact read, same run).

One server, one tenant: list 42 of account 1234 holds 100,000 contacts (a fixture PUT,
untimed), every hundredth opted out of e-mail (`unsubscribed`): 1,000. The same wrk load on
each side:

- page: `GET /symplify/1234/lists/42/contacts/unsubscribed?pageSize=100&lastId=<the id of the
  50,000th contact>`: the 100 opted-out contacts after the middle of the list (ContactDTO[],
  ~30 kB), as compost-carma-api pages them; a listing that walked the list would pay for the
  50,000 before it;
- single: `GET /symplify/1234/lists/42/contacts/50000`: one ContactDTO by its originalId.

The check before the load reads both by hand: 100 contacts, each opted out, each after the
lastId, in id order; and the one contact. The sides alternate on the same server process over
six rounds (four with `--quick`), the first side swapped each round; the figure is the median
of the per-round ratios page p50 / single p50 with their spread, both p50s in ms and the server
CPU per request of each (the figure a busy machine disturbs least).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import procs, wrk
from bench.model import Env, Measurement
from bench.paired import alternate
from bench.servers import Server, ServerFailed, put_json, request, running, start_sandbox

TENANT = "contact-listing"
ACCOUNT = "1234"
LIST_ID = 42
CONTACTS = 100_000
EVERY = 100  # every hundredth contact is opted out: 1,000
PAGE = 100
FIRST_ID = 2_047_800_001  # the first contact id of a fixture (sandbox/vendors/symplify)
MIDDLE = FIRST_ID + CONTACTS // 2 - 1  # the id of the 50,000th contact
SINGLE = str(CONTACTS // 2)
ROUNDS = 6  # even: each side goes first in half the rounds
QUICK_ROUNDS = 4
TARGET_RATIO = 1.5
BASE = f"/symplify/{ACCOUNT}/lists/{LIST_ID}/contacts"


def fixture() -> dict[str, Any]:
    contacts = [
        {
            "original_id": str(n),
            "email": f"contact{n}@example.com",
            **({"unsubscribed": True} if n % EVERY == 0 else {}),
        }
        for n in range(CONTACTS)
    ]
    lists = [{"id": LIST_ID, "contacts": contacts}]
    return {"symplify": {"accounts": [{"customer_id": ACCOUNT, "lists": lists}]}}


@dataclass(frozen=True)
class Read:
    """One side's request: a GET with the account's token."""

    name: str
    path: str
    auth: dict[str, str]

    def script(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        return wrk.write_script(
            directory / f"contact-listing-{self.name}.lua", method="GET", headers=self.auth
        )

    def check(self, server: Server) -> None:
        """One read by hand: a 200 with what the side is meant to read."""
        status, body = request(server, "GET", self.path, headers=self.auth)
        if status != 200:
            raise ServerFailed(f"{self.name}: GET {self.path} answered {status}: {body[:500]!r}")
        answer = json.loads(body)
        if self.name == "single":
            if answer.get("originalId") != SINGLE:
                raise ServerFailed(f"single: read {answer!r}")
            return
        ids = [contact["id"] for contact in answer]
        if (
            len(answer) != PAGE
            or ids != sorted(ids)
            or ids[0] <= MIDDLE
            or not all(contact["unsubscribed"] for contact in answer)
        ):
            raise ServerFailed(f"page: {len(answer)} contacts, ids {ids[:3]}...: not the page")


def contact_listing(env: Env, *, rounds: int = ROUNDS) -> list[Measurement]:
    server = start_sandbox(env.workdir / "contact-listing", env.workdir / "logs", env.server_cpus)
    with running(server):
        print(f"contact-listing: loading {CONTACTS:,} contacts", flush=True)
        credentials = put_json(server, f"/_sandbox/tenants/{TENANT}", fixture())["credentials"]
        auth = {"X-Carma-Authentication-Token": credentials["symplify"]["value"]}
        page = Read("page", f"{BASE}/unsubscribed?pageSize={PAGE}&lastId={MIDDLE}", auth)
        single = Read("single", f"{BASE}/{SINGLE}", auth)
        page.check(server)
        single.check(server)
        paired = alternate(env, server, {"page": page, "single": single}, rounds, "contact-listing")
        rss = procs.rss_kib(server.pid)[0] / 1024
    return [
        Measurement(
            key="contact-listing",
            title="Symplify unsubscribed page of 100 (of 1,000 in 100,000) vs one contact, p50",
            figure=paired.figure(),
            target=f"<= {TARGET_RATIO:.1f}x",
            passed=paired.ratio <= TARGET_RATIO,
            valid=paired.valid,
            details={**paired.details(), "rss_mib": rss},
            loads=paired.loads,
            notes=[
                f"GET {BASE}/unsubscribed?pageSize={PAGE}&lastId={MIDDLE} (the 100 opted-out "
                f"contacts after the middle of the list) vs GET {BASE}/{SINGLE}; one server, "
                f"tenant {TENANT}, the sides alternated (first side swapped each round); per "
                f"round page/single p50: {paired.per_round()}",
                paired.cpu_note(),
            ],
        )
    ]
