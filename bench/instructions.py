"""Instructions per request, counted by valgrind's callgrind: a figure this machine's swings
in speed (2x) do not move, for comparing two versions of the request path.

    python -m bench.instructions [--baseline REV] [--requests N] [--listeners] [--trigger]

Runs `comms-sandbox serve` under callgrind, sends N and then 5N sendMessage requests (one
keep-alive client, outside valgrind), and reports (instructions(5N) - instructions(N)) / 4N:
start-up cancels out. With --baseline, the same for REV, checked out in a temporary git
worktree and run with this environment's Python. With --listeners, this tree again with an
event stream open and a webhook set (its target, bench/receiver.py, answering at once) while
the requests are sent: what listening costs a send. With --trigger, the demo tenant's Symplify
trigger send (`POST /symplify/1234/triggers/7/messages`, one e-mail delivered) against its
Messangi send (`POST /messangi/raven/v2/messages` from 141555549 to a number on no blocklist,
one SMS delivered): issue 16's "a trigger send costs no more than a Messangi send", counted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
SEND = "/capillary/v2/communications/sendMessage?channel=sms"
BODY = {"sms": [{"to": "919988221100", "body": "Your order has shipped"}]}
# the sends that can be counted: (path, body, headers), all to the demo tenant
CALLS: dict[str, tuple[str, dict[str, Any], dict[str, str]]] = {
    "sendMessage": (SEND, BODY, {"Authorization": "Basic ZGVtb190aWxsOmRlbW8tcGFzc3dvcmQ="}),
    "trigger": (
        "/symplify/1234/triggers/7/messages",
        {"originalId": "111", "properties": {"orderId": "A-1001"}},
        {"X-Carma-Authentication-Token": "demo-symplify-token"},
    ),
    "messangi": (
        "/messangi/raven/v2/messages",
        {"from": "141555549", "to": "+525500000001", "text": "hello", "type": "MT"},
        {"Authorization": "Bearer demo-messangi-key"},
    ),
}


def collected(tree: Path, requests: int, listeners: bool = False, call: str = "sendMessage") -> int:
    """Instructions a server in `tree` executes from start to exit, answering `requests`
    (with `listeners`, to a tenant with an open event stream and a webhook)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data, tempfile.NamedTemporaryFile(suffix=".log") as log:
        server = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                sys.executable,
                "-m",
                "sandbox",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                data,
            ],
            cwd=tree,
            env={**os.environ, "PYTHONHASHSEED": "0"},  # the same dict layouts every run
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(600):
                try:
                    if client.get("/_sandbox/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            helpers = _listen(client, port) if listeners else []
            path, body, headers = CALLS[call]
            try:
                for _ in range(requests):
                    if client.post(path, json=body, headers=headers).status_code != 200:
                        raise RuntimeError(f"a {call} send failed")
                time.sleep(1.0 if listeners else 0)  # the last deliveries go out
            finally:
                for helper in helpers:
                    helper.kill()
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=120)
        for line in Path(log.name).read_text().splitlines():
            if "Collected :" in line:
                return int(line.split()[-1])
    raise RuntimeError("callgrind printed no total")


def _listen(client: httpx.Client, port: int) -> list[subprocess.Popen[bytes]]:
    """A webhook target and a reader of the demo tenant's event stream, both started."""
    target = free_port()
    receiver = subprocess.Popen([sys.executable, "-m", "bench.receiver", str(target)], cwd=ROOT)
    stream = subprocess.Popen(
        ["curl", "-sN", "-o", "/dev/null", f"http://127.0.0.1:{port}/_sandbox/tenants/demo/events"]
    )
    time.sleep(1.0)
    answer = client.put(
        "/_sandbox/tenants/demo/settings", json={"webhook_url": f"http://127.0.0.1:{target}/"}
    )
    if answer.status_code != 200:
        raise RuntimeError(f"PUT settings: {answer.status_code} {answer.text}")
    return [receiver, stream]


def per_request(
    tree: Path, requests: int, listeners: bool = False, call: str = "sendMessage"
) -> float:
    many = collected(tree, 5 * requests, listeners, call)
    return (many - collected(tree, requests, listeners, call)) / (4 * requests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("--baseline", help="a git revision to compare with")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument(
        "--listeners", action="store_true", help="also: with an event stream and a webhook"
    )
    parser.add_argument(
        "--trigger", action="store_true", help="only: a Symplify trigger send vs a Messangi send"
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    if args.trigger:
        trigger = per_request(ROOT, args.requests, call="trigger")
        messangi = per_request(ROOT, args.requests, call="messangi")
        print(f"Symplify trigger send: {trigger:,.0f} instructions per request")
        print(f"Messangi send: {messangi:,.0f} instructions per request")
        print(f"trigger / Messangi: {trigger / messangi:.3f}")
        return 0
    current = per_request(ROOT, args.requests)
    print(f"this tree: {current:,.0f} instructions per sendMessage")
    if args.listeners:
        listened = per_request(ROOT, args.requests, listeners=True)
        print(f"with an event stream and a webhook: {listened:,.0f} instructions per sendMessage")
        print(f"with / without: {listened / current:.3f}")
    if args.baseline:
        with tempfile.TemporaryDirectory() as holder:
            worktree = Path(holder) / "baseline"
            subprocess.run(
                ["git", "worktree", "add", "-q", "--detach", str(worktree), args.baseline],
                cwd=ROOT,
                check=True,
            )
            try:
                baseline = per_request(worktree, args.requests)
            finally:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False
                )
        print(f"{args.baseline}: {baseline:,.0f} instructions per sendMessage")
        print(f"this tree / baseline: {current / baseline:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
