"""`python -m bench.postgres_send`: sendMessage throughput with the tenants in PostgreSQL (one
process, `--database-url`) as a ratio of the embedded journal (`--data-dir`), same run, and
the database round trips per send and per read (issue 28's goals: ratio >= 0.3; one commit
per send; at most one round trip per read).

Throughput: one server of each kind, the same wrk load (POST sendMessage, one SMS) on each,
the sides alternated round after round with the first side swapped each round; the figure is
the median of the per-round ratios PostgreSQL / embedded of requests per second. Two
processes: a second PostgreSQL server on the same database, each of the two under half the
connections at the same time (two wrk runs at once), on ONE tenant both write to (every send
contends: the worst case) and on a tenant EACH (scale-out across tenants); the figures are
their summed successful requests per second against the one process's, per round (the
median), and the answers that were not 200 (a 503 for contention past the retries). PostgreSQL is
the throw-away cluster of the tests (tests/pg_cluster.py: Debian's binaries, fsync on), or
`SANDBOX_BENCH_DATABASE_URL`. Round trips: the same sends in this process
(sandbox.testing.in_process, one at a time) with psycopg's Connection.execute counted on the
requests' thread and the group commit's (in autocommit mode one statement is one round trip and
one commit; concurrent requests share them; the request log's writer thread writes its batches
off the request path and is not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))  # the harness's cluster and live server

from live_server import server  # type: ignore[import-not-found]  # noqa: E402
from pg_cluster import Cluster, _binaries  # type: ignore[import-not-found]  # noqa: E402

from bench import wrk  # noqa: E402
from sandbox.testing import Sandbox, in_process  # noqa: E402
from sandbox.testing.example import EXAMPLE_FIXTURE  # noqa: E402

SEND = "/capillary/v2/communications/sendMessage"
BODY = {"sms": [{"to": "919988221100", "body": "bench"}]}


@contextmanager
def database() -> Iterator[tuple[str, Cluster | None]]:
    given = os.environ.get("SANDBOX_BENCH_DATABASE_URL")
    if given:
        yield given, None
        return
    binaries = _binaries()
    if binaries is None:
        raise SystemExit("no PostgreSQL binaries (apt-get install postgresql)")
    cluster = Cluster(binaries)
    try:
        cluster.start()
        yield cluster.url, cluster
    finally:
        cluster.remove()


def fresh(url: str, cluster: Cluster | None) -> str:
    return cluster.database() if cluster is not None else url


# appended to each wrk script: the first line of each answer that was not 200, printed
TELL_FAILURES = """
response = function(status, headers, body)
  if status ~= 200 then io.write("not 200: " .. status .. " " .. body:sub(1, 200) .. "\\n") end
end
"""


def send_script(path: Path, auth: dict[str, str]) -> Path:
    """A wrk script of sendMessage with `auth`, telling the answers that were not 200."""
    headers = {**auth, "Content-Type": "application/json"}
    script = wrk.write_script(path, method="POST", body=json.dumps(BODY), headers=headers)
    with script.open("a") as lua:
        lua.write(TELL_FAILURES)
    return script


def failures(output: str) -> list[str]:
    """The answers that were not 200 in wrk's output (TELL_FAILURES)."""
    return [line[9:] for line in output.splitlines() if line.startswith("not 200: ")]


def count_failures(
    found: list[wrk.WrkResult], failed: dict[str, int], told: dict[str, int]
) -> None:
    """Add the runs' answers that were not 200 and socket errors to `failed`, and each
    answer's first line to `told`."""
    failed["non_2xx"] += sum(result.non_2xx for result in found)
    failed["socket_errors"] += sum(sum(result.socket_errors.values()) for result in found)
    for result in found:
        for answer in failures(result.output):
            told[answer] = told.get(answer, 0) + 1


def errors_logged(log: Path) -> list[str]:
    """Each error a server logged (its traceback's last lines)."""
    text = log.read_text(errors="replace")
    return ["\n".join(found.splitlines()[-40:]) for found in text.split("Traceback")[1:]]


def round_trips(url: str, sends: int) -> dict[str, float]:
    """Statements per send and per read, counted in this process."""
    import psycopg

    counted = {"n": 0}
    original = psycopg.Connection.execute
    caller = threading.get_ident()  # the requests' thread (in_process calls the app in it)

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        thread = threading.current_thread()
        if thread.ident == caller or thread.name.startswith("sandbox-commit"):
            counted["n"] += 1
        return original(self, *args, **kwargs)

    with in_process(database_url=url) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE)
        auth = tenant.capillary_auth()
        psycopg.Connection.execute = execute  # type: ignore[method-assign]
        try:
            for _ in range(sends):
                assert sandbox.http.post(SEND, json=BODY, headers=auth).status_code == 200
            per_send = counted["n"] / sends
            counted["n"] = 0
            for _ in range(sends):
                assert sandbox.http.get(f"{tenant.control}/outbox").status_code == 200
            per_read = counted["n"] / sends
        finally:
            psycopg.Connection.execute = original  # type: ignore[method-assign]
    return {"statements_per_send": per_send, "statements_per_read": per_read}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--sends", type=int, default=200, help="sends counted for round trips")
    args = parser.parse_args()
    rounds = args.rounds + args.rounds % 2  # even: each side first in half of them
    wrk_binary = wrk.ensure_wrk()
    with database() as (url, cluster), ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        sides: dict[str, tuple[str, Path]] = {}
        processes: list[Any] = []  # the servers, whose logs are read at the end
        shared = fresh(url, cluster)
        for name, extra in (
            ("embedded", ()),
            ("postgres", ("--database-url", shared)),
        ):
            process, client = stack.enter_context(
                server(scratch / name, args=(*extra, "--log-level", "warning"))
            )
            processes.append(process)
            tenant = Sandbox(client).create_tenant(EXAMPLE_FIXTURE)
            script = send_script(scratch / f"{name}.lua", tenant.capillary_auth())
            sides[name] = (str(client.base_url).rstrip("/") + SEND, script)
        # the second process on the same database: the first's tenant (its credentials), or
        # a tenant of its own
        process, second = stack.enter_context(
            server(scratch / "second", args=("--database-url", shared, "--log-level", "warning"))
        )
        processes.append(process)
        own = Sandbox(second).create_tenant(EXAMPLE_FIXTURE)
        own_script = send_script(scratch / "own.lua", own.capillary_auth())
        second_url = str(second.base_url).rstrip("/") + SEND
        pairs = {
            "two_processes_one_tenant": [sides["postgres"], (second_url, sides["postgres"][1])],
            "two_processes_a_tenant_each": [sides["postgres"], (second_url, own_script)],
        }
        # answers that were not 200 (a 503 for contention past the retries), and requests
        # wrk gave up on (a socket error: its timeout is 2 s)
        failed = {name: {"non_2xx": 0, "socket_errors": 0} for name in pairs}
        told: dict[str, int] = {}  # each distinct answer that was not 200, how often

        def load(target: str, script: Path, connections: int) -> wrk.WrkResult:
            return wrk.run(
                target, script, duration_s=args.seconds, connections=connections, wrk=wrk_binary
            )

        rates: dict[str, list[float]] = {name: [] for name in (*sides, *pairs)}
        ratios: list[float] = []
        scaled: dict[str, list[float]] = {name: [] for name in pairs}
        for number in range(rounds):
            order = list(sides) if number % 2 == 0 else list(reversed(sides))
            for name in order:
                result = load(*sides[name], args.connections)
                if result.errors:
                    raise SystemExit(f"{name}: {result.errors} failed: {result.output}")
                rates[name].append(result.requests_per_s)
            ratios.append(rates["postgres"][-1] / rates["embedded"][-1])
            for name, pair in pairs.items():
                found: list[wrk.WrkResult] = []

                def half(target: str, script: Path, into: list[wrk.WrkResult] = found) -> None:
                    into.append(load(target, script, args.connections // 2))

                threads = [threading.Thread(target=half, args=side) for side in pair]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                count_failures(found, failed[name], told)
                rate = sum(result.ok_responses / result.seconds for result in found)
                rates[name].append(rate)
                scaled[name].append(rate / rates["postgres"][-1])
        trips = round_trips(fresh(url, cluster), args.sends)
        logged = [error for process in processes for error in errors_logged(process.log)]
    report = {
        "ratio_postgres_to_embedded": round(statistics.median(ratios), 3),
        "ratio_spread": [round(min(ratios), 3), round(max(ratios), 3)],
        **{
            f"ratio_{name}_to_one": round(statistics.median(found), 3)
            for name, found in scaled.items()
        },
        **{
            f"spread_{name}": [round(min(found), 3), round(max(found), 3)]
            for name, found in scaled.items()
        },
        "not_200": failed,
        "server_errors": logged[:3],
        "not_200_answers": dict(sorted(told.items(), key=lambda item: -item[1])[:5]),
        "requests_per_s": {name: round(statistics.median(r)) for name, r in rates.items()},
        "rounds": rounds,
        "seconds_per_run": args.seconds,
        "connections": args.connections,
        **trips,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
