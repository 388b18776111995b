"""Messangi's per-sender blocklist: a send's lookup is O(1) in the list's size (issue 5).

Two servers, same load: `POST /messangi/raven/v2/messages` from sender 141555549 to one
number, against a tenant whose list for that sender is empty and against one whose list
holds 100,000 numbers (the number among them). p50(100k) must stay within 1.3x of p50(empty).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from bench import procs, wrk
from bench.load import drive
from bench.model import Env, Measurement
from bench.servers import Server, ServerFailed, request, running, start_sandbox

PATH = "/messangi/raven/v2/messages"
SENDER = "141555549"
RECIPIENT = "+525500000000"
ENTRIES = 100_000
TARGET_RATIO = 1.3


@dataclass(frozen=True)
class SendSms:
    """The benchmarked request, with the tenant's API key."""

    key: str

    @property
    def path(self) -> str:
        return PATH

    @property
    def body(self) -> str:
        message = {"from": SENDER, "to": RECIPIENT, "text": "hello", "type": "MT"}
        return json.dumps(message, separators=(",", ":"))

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"}

    def script(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"messangi-{abs(hash(self.key))}.lua"
        return wrk.write_script(path, method="POST", body=self.body, headers=self.headers)

    def check(self, server: Server) -> None:
        status, body = request(server, "POST", PATH, body=self.body.encode(), headers=self.headers)
        if status != 200:
            raise ServerFailed(f"{server.name}: the send answered {status}: {body[:500]!r}")


def _fixture(entries: int) -> bytes:
    """`entries` numbers on the sender's SMS list; the benchmarked recipient is the last."""
    numbers = [f"+52550{n:07d}" for n in range(1, entries)] + [RECIPIENT] if entries else []
    blocklist = [{"to": to, "from": SENDER, "type": "SMS"} for to in numbers]
    return json.dumps({"messangi": {"blocklist": blocklist}}).encode()


def _tenant(server: Server, name: str, entries: int) -> tuple[SendSms, float]:
    started = time.perf_counter()
    status, created = request(
        server,
        "PUT",
        f"/_sandbox/tenants/{name}",
        body=_fixture(entries),
        headers={"Content-Type": "application/json"},
        timeout=300,
    )
    seconds = time.perf_counter() - started
    if status not in (200, 201):
        raise ServerFailed(f"creating tenant {name}: {status} {created[:300]!r}")
    value = json.loads(created)["credentials"]["messangi"]["value"]
    return SendSms(value.removeprefix("Bearer ")), seconds


def blocklist_lookup(env: Env) -> list[Measurement]:
    loads: dict[str, wrk.WrkResult] = {}
    rss_mib: dict[int, float] = {}
    create_s: dict[int, float] = {}
    for entries in (0, ENTRIES):
        print(f"blocklist: send from a sender whose SMS list holds {entries:,} numbers", flush=True)
        data_dir = Path(env.workdir) / f"blocklist-{entries}"
        server = start_sandbox(data_dir, env.workdir / "logs", env.server_cpus)
        with running(server):
            send, create_s[entries] = _tenant(server, "blocklist", entries)
            send.check(server)
            loads[f"list of {entries:,}"] = drive(env, server, send).measured
            rss_mib[entries] = procs.rss_kib(server.pid)[0] / 1024
    empty, full = loads.values()
    ratio = full.p50 / empty.p50
    return [
        Measurement(
            key="blocklist",
            title=f"Messangi send p50, sender list of {ENTRIES:,} vs empty",
            figure=(
                f"p50 {full.p50:.2f} ms vs {empty.p50:.2f} ms ({ratio:.2f}x); "
                f"RSS {rss_mib[ENTRIES]:.0f} vs {rss_mib[0]:.0f} MiB"
            ),
            target=f"<= {TARGET_RATIO}x",
            passed=ratio <= TARGET_RATIO,
            valid=empty.errors == 0 and full.errors == 0,
            details={"ratio": ratio, "rss_mib": rss_mib, "tenant_create_s": create_s},
            loads=loads,
            notes=[
                f"POST {PATH} from {SENDER} to {RECIPIENT}: blocklisted (SUPPRESSED) in the "
                f"{ENTRIES:,} list, not in the empty one; one server each; the list is loaded "
                f"as a fixture in {create_s[ENTRIES]:.1f} s"
            ],
        )
    ]
