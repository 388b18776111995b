"""What rate limits and faults (docs/contract.md section 7) cost a call they do not stop.

Fresh servers (each on a new data directory, demo tenant) under the same sendMessage load,
alternated three times: ones with no limit and no fault, and ones with a Capillary rate limit
too high to reach, a live probabilistic fault on sendMessage itself that never stops a call
(probability 0: every call draws, counts and journals its counters, then goes ahead) and an
armed fault on another operation, so every call takes the whole check and still goes ahead.
Informational: no issue names a target; the checks are a few dict reads and, for the live
fault, one more journal line per call. (Unalternated, run order decided the result here: one
server driven twice measured 1.7x, two fresh servers 0.63-0.92x.)
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from bench import wrk
from bench.load import SendMessage, drive
from bench.model import Env, Measurement
from bench.servers import Server, ServerFailed, put_json, request, running, start_sandbox

TENANT = "/_sandbox/tenants/demo"
LIMIT = 1_000_000  # requests per minute: more than a 12 s run can send
ROUNDS = 3


def _arm(server: Server, send: SendMessage) -> None:
    """A limit no run reaches, a live fault on sendMessage that lets every call through, an
    armed one on generateOtp."""
    _put(server, "/settings", {"rate_limits": {"capillary": LIMIT}})
    _put(server, "/faults/sendMessage", {"status": 503, "probability": 0.0, "seed": 7})
    status, _ = request(server, "POST", send.path, body=send.body.encode(), headers=send.headers)
    if status != 200:
        raise ServerFailed(f"the live fault stopped a call ({status}); it should let all through")
    status, answer = request(server, "GET", f"{TENANT}/faults/sendMessage")
    if status != 200 or json.loads(answer)["calls"] != 1:
        raise ServerFailed(f"the live fault did not count the call: {answer[:200]!r}")
    _put(server, "/faults/generateOtp", {"status": 503})


def _put(server: Server, path: str, body: dict[str, object]) -> None:
    put_json(server, f"{TENANT}{path}", body)


def limits_overhead(env: Env) -> list[Measurement]:
    send = SendMessage.demo()
    loads: dict[str, wrk.WrkResult] = {}
    p50s: dict[bool, list[float]] = {False: [], True: []}
    for round_ in range(1, ROUNDS + 1):  # alternated: this machine's speed drifts between runs
        for limited in (False, True):
            label = f"{'limit + faults' if limited else 'no limit, no fault'} #{round_}"
            print(f"limits: sendMessage, {label}", flush=True)
            data_dir = Path(env.workdir) / f"limits-{round_}-{int(limited)}"
            server = start_sandbox(data_dir, env.workdir / "logs", env.server_cpus)
            with running(server):
                if limited:
                    _arm(server, send)
                send.check(server)
                loads[label] = drive(env, server, send).measured
                p50s[limited].append(loads[label].p50)
    plain, checked = statistics.median(p50s[False]), statistics.median(p50s[True])
    ratio = checked / plain
    return [
        Measurement(
            key="limits",
            title="sendMessage p50 with a rate limit and faults in place vs none",
            figure=(
                f"median p50 {checked:.2f} ms vs {plain:.2f} ms ({ratio:.2f}x) "
                f"over {ROUNDS} alternated runs each"
            ),
            target="informational",
            passed=None,
            valid=all(load.errors == 0 for load in loads.values()),
            details={"ratio": ratio, "p50_ms": {"plain": p50s[False], "limited": p50s[True]}},
            loads=loads,
            notes=[
                "a fresh server and data directory per run, demo tenant; the limited ones with a "
                f"Capillary limit of {LIMIT:,}/min, a live probability-0 fault on sendMessage "
                "and an armed one on generateOtp"
            ],
        )
    ]
