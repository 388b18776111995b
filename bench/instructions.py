"""Instructions per request, counted by valgrind's callgrind: a figure this machine's swings
in speed (2x) do not move, for comparing two versions of the request path.

    python -m bench.instructions [--baseline REV] [--requests N]

Runs `comms-sandbox serve` under callgrind, sends N and then 5N sendMessage requests (one
keep-alive client, outside valgrind), and reports (instructions(5N) - instructions(N)) / 4N:
start-up cancels out. With --baseline, the same for REV, checked out in a temporary git
worktree and run with this environment's Python.
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

import httpx

from bench.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
SEND = "/capillary/v2/communications/sendMessage?channel=sms"
BODY = {"sms": [{"to": "919988221100", "body": "Your order has shipped"}]}


def collected(tree: Path, requests: int) -> int:
    """Instructions a server in `tree` executes from start to exit, answering `requests`."""
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
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", auth=("demo_till", "demo-password")
        ) as client:
            for _ in range(600):
                try:
                    if client.get("/_sandbox/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            for _ in range(requests):
                if client.post(SEND, json=BODY).status_code != 200:
                    raise RuntimeError("a send failed")
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=120)
        for line in Path(log.name).read_text().splitlines():
            if "Collected :" in line:
                return int(line.split()[-1])
    raise RuntimeError("callgrind printed no total")


def per_request(tree: Path, requests: int) -> float:
    return (collected(tree, 5 * requests) - collected(tree, requests)) / (4 * requests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("--baseline", help="a git revision to compare with")
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    current = per_request(ROOT, args.requests)
    print(f"this tree: {current:,.0f} instructions per sendMessage")
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
