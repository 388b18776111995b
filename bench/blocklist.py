"""Messangi's per-sender blocklist: a send's lookup is O(1) in the list's size (issue 5).

Same load, like for like: `POST /messangi/raven/v2/messages` from sender 141555549 to one
number that is on the sender's SMS list (so every send is suppressed on both sides), the list
holding that one number or 100,000. A fresh server per side, the sides alternated over three
rounds; the figure is the median of the per-round p50 ratios, with their spread.
p50(100k) must stay within 1.3x of p50(1).
"""

from __future__ import annotations

import json
import statistics
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


ROUNDS = 3
BASELINE = 1  # the benchmarked recipient alone on the list


def _fixture(entries: int) -> bytes:
    """`entries` numbers on the sender's SMS list; the benchmarked recipient is the last."""
    numbers = [f"+52550{n:07d}" for n in range(1, entries)] + [RECIPIENT]
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
    ratios: list[float] = []
    valid = True
    for round_number in range(1, ROUNDS + 1):
        p50: dict[int, float] = {}
        for entries in (BASELINE, ENTRIES):
            print(
                f"blocklist round {round_number}/{ROUNDS}: a sender list of {entries:,}",
                flush=True,
            )
            data_dir = Path(env.workdir) / f"blocklist-{entries}-{round_number}"
            server = start_sandbox(data_dir, env.workdir / "logs", env.server_cpus)
            with running(server):
                send, create_s[entries] = _tenant(server, "blocklist", entries)
                send.check(server)
                measured = drive(env, server, send).measured
                rss_mib[entries] = procs.rss_kib(server.pid)[0] / 1024
            loads[f"list of {entries:,}, round {round_number}"] = measured
            valid = valid and measured.errors == 0
            p50[entries] = measured.p50
        ratios.append(p50[ENTRIES] / p50[BASELINE])
    ratio = statistics.median(ratios)
    return [
        Measurement(
            key="blocklist",
            title=f"Messangi send p50, sender list of {ENTRIES:,} vs 1",
            figure=(
                f"{ratio:.2f}x (median of {ROUNDS} alternated rounds, spread "
                f"{min(ratios):.2f}-{max(ratios):.2f}); RSS {rss_mib[ENTRIES]:.0f} vs "
                f"{rss_mib[BASELINE]:.0f} MiB"
            ),
            target=f"<= {TARGET_RATIO}x",
            passed=ratio <= TARGET_RATIO,
            valid=valid,
            details={
                "ratio": ratio,
                "ratios": ratios,
                "rss_mib": rss_mib,
                "tenant_create_s": create_s,
            },
            loads=loads,
            notes=[
                f"POST {PATH} from {SENDER} to {RECIPIENT}, on the list (SUPPRESSED) on both "
                f"sides; one server each; the {ENTRIES:,} list loads as a fixture in "
                f"{create_s[ENTRIES]:.1f} s"
            ],
        )
    ]
