"""A vendor that exists only in the tests: it proves a vendor is one folder. Nothing under
`sandbox/` names it; it is given to the app with `create_app(vendors=[*VENDORS, FAKE])`.

- one operation: `POST /fake/v1/notify` (`fake.yaml`, beside this file)
- one collection: `fake_muted`, the addresses whose messages are suppressed
- one fixture key: `fake: {muted: [address, ...]}`, loaded, reset and snapshotted
- one credential: `X-Fake-Key`, issued per tenant, shown by the control plane
- its real host, `https://api.fake.example`, routed into the sandbox by the testing helpers
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.doc import Doc
from sandbox.engine import Category, Channel, Facts, Intent
from sandbox.errors import Unauthorized
from sandbox.http import Context, Handlers, Reply
from sandbox.store import CollectionSpec, Store, TenantData
from sandbox.vendor import Credentials, FixtureSection, RealHosts, Vendor

MUTED = CollectionSpec("fake_muted", key="address")
KEY_FIELD = "fake_key"

handlers = Handlers()


@handlers("fakeNotify")
def notify(ctx: Context) -> Reply:
    data = ctx.data
    to = ctx.body["to"]
    intent = Intent("fake", "fakeNotify", Channel.SMS, Category.TRANSACTIONAL, None, to, "fake")
    facts = Facts(now=ctx.now, sender_blocklisted=data[MUTED.name].get(to) is not None)
    tx = data.begin()
    message, _ = ctx.outbox.record(tx, intent, facts, body=ctx.body["text"])
    tx.commit()
    return Reply({"id": message["id"]})


def authenticate(headers: Mapping[str, str], store: Store) -> TenantData:
    tenant = store.find_by_credential(KEY_FIELD, headers.get("x-fake-key", ""))
    if tenant is None:
        raise Unauthorized("X-Fake-Key: unknown key", field="X-Fake-Key")
    return tenant


def load(section: dict[str, Any], now: datetime) -> dict[str, list[Doc]]:
    return {MUTED.name: [{"address": address} for address in section.get("muted", [])]}


def write(data: TenantData) -> dict[str, Any]:
    return {"muted": sorted(doc["address"] for doc in data[MUTED.name].values())}


FAKE = Vendor(
    name="fake",
    handlers=handlers,
    authenticate=authenticate,
    envelope="sandbox",
    document=Path(__file__).with_name("fake.yaml"),
    collections=(MUTED,),
    fixture=FixtureSection(
        load,
        write,
        schema={
            "type": "object",
            "additionalProperties": False,
            "properties": {"muted": {"type": "array", "items": {"type": "string"}}},
        },
    ),
    credentials=Credentials(
        issue=lambda tenant: {KEY_FIELD: secrets.token_urlsafe(16)},
        demo={KEY_FIELD: "demo-fake-key"},
        show=lambda record: {"type": "header", "name": "X-Fake-Key", "value": record[KEY_FIELD]},
        indexed=(KEY_FIELD,),
    ),
    real_hosts=RealHosts(re.compile(r"api\.fake\.example")),
)
