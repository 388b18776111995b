"""A Symplify trigger send costs no more than a Messangi send (issue 16's target).

One server, one tenant holding both vendors' fixtures, the same wrk load on each side:

- trigger: `POST /symplify/1234/triggers/7/messages` with `X-Carma-Authentication-Token` and
  the SendTriggerDTO `{"originalId": "111", "properties": {"orderId": "A-1001"}}`: one
  e-mail to the list's contact, its body filled from the properties;
- Messangi: `POST /messangi/raven/v2/messages` with `Authorization: Bearer ...`, from sender
  141555549 to +525500000001, a number on no blocklist.

Both sides deliver (the check before the load reads each one's message back: DELIVERED, and
nothing in the outbox is SUPPRESSED afterwards): a real send against a real send, like for
like. The sides alternate on the same server process over six rounds (four with
`--quick`), the first side swapped each round (T M, M T, T M, ...; an even count, so each
side goes first equally often), so a drift of the machine's speed or of the server's state
favours neither. "Costs no more" is read as: the median of the per-round ratios trigger p50 /
Messangi p50 is <= 1.0. This two-CPU machine's speed swings between runs, so the figure
carries the per-round spread and both sides' p50s in ms, and the notes the server CPU per
request of each (the figure a busy machine disturbs least); a median within a few percent of
1.0 is a tie the noise can tip either way.

The outbox keeps the newest 10,000 messages per tenant (the default retention) and evicts the
oldest as it fills. It is filled to its retention before the first measured run, so every
measured run of either side sends into a full outbox and pays the eviction equally.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import procs, wrk
from bench.load import Load
from bench.model import Env, Measurement
from bench.paired import alternate
from bench.servers import (
    Server,
    ServerFailed,
    get_json,
    outbox_total,
    put_json,
    request,
    running,
    start_sandbox,
)

TENANT = "trigger-send"
ACCOUNT = "1234"
LIST_ID = 42
TRIGGER_ID = 7
ORIGINAL_ID = "111"
EMAIL = "lady_gaga@example.com"
SENDER = "141555549"
RECIPIENT = "+525500000001"  # on no blocklist: delivered
TRIGGER_PATH = f"/symplify/{ACCOUNT}/triggers/{TRIGGER_ID}/messages"
MESSANGI_PATH = "/messangi/raven/v2/messages"
RETENTION = 10_000  # the server's default outbox retention (sandbox/settings.py)
ROUNDS = 6  # even: each side goes first in half the rounds
QUICK_ROUNDS = 4
TARGET_RATIO = 1.0

FIXTURE: dict[str, Any] = {
    "symplify": {
        "accounts": [
            {
                "customer_id": ACCOUNT,
                "lists": [
                    {"id": LIST_ID, "contacts": [{"original_id": ORIGINAL_ID, "email": EMAIL}]}
                ],
                "triggers": [
                    {
                        "id": TRIGGER_ID,
                        "name": "Order shipped",
                        "list_id": LIST_ID,
                        "channel": "EMAIL",
                        "body": "Order {{orderId}} shipped",
                    }
                ],
            }
        ]
    },
    "messangi": {"senders": [{"from": SENDER, "type": "SMS"}]},
}


@dataclass(frozen=True)
class Send:
    """One side's request: a POST with a JSON body, its operation in the outbox."""

    name: str
    path: str
    operation: str  # the outbox's `operation` of the message it records
    payload: Mapping[str, Any]
    auth: Mapping[str, str]

    @property
    def body(self) -> str:
        return json.dumps(self.payload, separators=(",", ":"))

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", **self.auth}

    def script(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"trigger-send-{self.name}.lua"
        return wrk.write_script(path, method="POST", body=self.body, headers=self.headers)

    def check(self, server: Server) -> None:
        """One send by hand: a 200, and its message in the outbox, DELIVERED."""
        status, body = request(
            server, "POST", self.path, body=self.body.encode(), headers=self.headers
        )
        if status != 200:
            raise ServerFailed(f"{self.name}: POST {self.path} answered {status}: {body[:500]!r}")
        newest = get_json(
            server, f"/_sandbox/tenants/{TENANT}/outbox?operation={self.operation}&limit=1"
        )["items"]
        if not newest or newest[0]["status"] != "DELIVERED":
            raise ServerFailed(f"{self.name}: the checked send was not delivered: {newest!r}")


def _sends(server: Server) -> tuple[Send, Send]:
    credentials = put_json(server, f"/_sandbox/tenants/{TENANT}", FIXTURE)["credentials"]
    trigger = Send(
        "trigger",
        TRIGGER_PATH,
        "sendTrigger",
        {"originalId": ORIGINAL_ID, "properties": {"orderId": "A-1001"}},
        {"X-Carma-Authentication-Token": credentials["symplify"]["value"]},
    )
    messangi = Send(
        "messangi",
        MESSANGI_PATH,
        "sendSms",
        {"from": SENDER, "to": RECIPIENT, "text": "hello", "type": "MT"},
        {"Authorization": credentials["messangi"]["value"]},
    )
    return trigger, messangi


def _fill(env: Env, server: Server, sends: tuple[Load, ...]) -> int:
    """Unmeasured wrk runs of both sides until the outbox holds its retention; its total."""
    for _ in range(20):
        total = outbox_total(server, TENANT)
        if total >= RETENTION:
            return total
        for send in sends:
            wrk.run(
                server.base_url + send.path,
                send.script(env.workdir / "scripts"),
                duration_s=2,
                connections=env.config.connections,
                threads=env.config.threads,
                cpus=env.client_cpus,
                wrk=env.wrk,
            )
    raise ServerFailed(f"the outbox did not fill to {RETENTION:,}: {outbox_total(server, TENANT)}")


def trigger_send(env: Env, *, rounds: int = ROUNDS) -> list[Measurement]:
    server = start_sandbox(env.workdir / "trigger-send", env.workdir / "logs", env.server_cpus)
    with running(server):
        trigger, messangi = _sends(server)
        trigger.check(server)
        messangi.check(server)
        print(f"trigger-send: filling the outbox to {RETENTION:,} messages", flush=True)
        filled = _fill(env, server, (trigger, messangi))
        paired = alternate(
            env, server, {"trigger": trigger, "messangi": messangi}, rounds, "trigger-send"
        )
        suppressed = int(
            get_json(server, f"/_sandbox/tenants/{TENANT}/outbox?status=SUPPRESSED&limit=1")[
                "total"
            ]
        )
        total = outbox_total(server, TENANT)
        rss = procs.rss_kib(server.pid)[0] / 1024
    compactions = paired.compactions
    return [
        Measurement(
            key="trigger-send",
            title="Symplify trigger send p50 vs Messangi send p50, same server",
            figure=paired.figure(),
            target=f"<= {TARGET_RATIO:.1f}x",
            passed=paired.ratio <= TARGET_RATIO,
            valid=paired.valid and suppressed == 0,
            details={
                **paired.details(),
                "compactions": compactions,
                "outbox_filled_to": filled,
                "outbox_total_after": total,
                "suppressed": suppressed,
                "rss_mib": rss,
            },
            loads=paired.loads,
            notes=[
                f"POST {TRIGGER_PATH} (SendTriggerDTO, one e-mail to contact {ORIGINAL_ID}) vs "
                f"POST {MESSANGI_PATH} from {SENDER} to {RECIPIENT} (on no blocklist); both "
                f"DELIVERED, {suppressed} suppressed; one server, tenant {TENANT}, the sides "
                f"alternated (first side swapped each round); per round trigger/Messangi p50: "
                f"{paired.per_round()}",
                f"the outbox was filled to {filled:,} (retention {RETENTION:,}, oldest evicted) "
                "before the first measured run: both sides send into a full outbox; snapshot "
                f"compactions while each side was driven: trigger {compactions['trigger']}, "
                f"Messangi {compactions['messangi']}; {paired.cpu_note()}",
            ],
        )
    ]
