"""sendMessage throughput through a live server as a fraction of bare Starlette, this checkout
(after) against another (before), in the same run: each round serves the same wrk load
(bench/load.py's demo sendMessage) from a fresh server of each side and from bare Starlette
between them (before, bare, after; the next round after, bare, before), and a side's figure
is its requests per second over that round's bare figure. Reported per round, then the median
and spread (min-max) per side, with the CPUs other processes took during each measured run.

    python -m bench.throughput_before --before-python P [--rounds 3] [--duration S]

P runs the other checkout's server (bench/servers.py's `sandbox_argv`: its `comms-sandbox`
beside it, else `P -m sandbox`, started from this checkout's directory). A checkout with no
environment of its own runs with this one's through a wrapper that enters it first, e.g.

    git worktree add /tmp/e71 e71b480
    printf '#!/bin/sh\\ncd /tmp/e71 && PYTHONPATH=/tmp/e71 exec %s "$@"\\n' \\
        "$PWD/.venv/bin/python" > /tmp/e71-python && chmod +x /tmp/e71-python
    python -m bench.throughput_before --before-python /tmp/e71-python
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bench import procs, wrk
from bench.load import SendMessage, drive
from bench.model import Config, Env
from bench.servers import Server, running, start_bare, start_sandbox

ROUNDS = 3


def _rate(env: Env, server: Server, send: SendMessage) -> tuple[float, float]:
    """(requests per second, CPUs other processes took) of the measured run."""
    with running(server):
        send.check(server)
        measured = drive(env, server, send).measured
    if measured.errors:
        raise RuntimeError(f"{server.name}: {measured.errors} errors under load")
    return measured.requests_per_s, measured.other_cpus


def compare(env: Env, before: str, rounds: int) -> dict[str, list[float]]:
    """Per side, its ratio to bare Starlette in each round."""
    send = SendMessage.demo()
    logs = env.workdir / "logs"
    ratios: dict[str, list[float]] = {"before": [], "after": []}
    for n in range(rounds):
        order = ["before", "bare", "after"] if n % 2 == 0 else ["after", "bare", "before"]
        rates: dict[str, float] = {}
        for side in order:
            if side == "bare":
                server = start_bare(logs, env.server_cpus)
            else:
                data = Path(tempfile.mkdtemp(prefix=f"{side}-", dir=env.workdir))
                python = before if side == "before" else None
                server = start_sandbox(data, logs, env.server_cpus, name=side, python=python)
            rates[side], other = _rate(env, server, send)
            print(
                f"round {n + 1}/{rounds} {side}: {rates[side]:,.0f} requests/s "
                f"(other processes {other:.2f} CPUs)",
                flush=True,
            )
        for side, values in ratios.items():
            values.append(rates[side] / rates["bare"])
        print(
            f"round {n + 1}: before {ratios['before'][-1]:.3f}, after {ratios['after'][-1]:.3f} "
            "of bare",
            flush=True,
        )
    return ratios


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput_before", description=__doc__)
    parser.add_argument("--before-python", required=True, help="the other checkout's python")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--duration", type=float, help="seconds of each measured wrk run")
    args = parser.parse_args(argv)
    procs.install_cleanup()
    config = Config() if args.duration is None else replace(Config(), duration_s=args.duration)
    server_cpus, client_cpus, note = procs.cpu_plan()
    print(note, flush=True)
    with tempfile.TemporaryDirectory(prefix="throughput-before-") as workdir:
        env = Env(config, Path(workdir), wrk.ensure_wrk(), server_cpus, client_cpus, note)
        try:
            ratios = compare(env, args.before_python, args.rounds)
        finally:
            procs.kill_all()
    for side, values in ratios.items():
        print(
            f"{side}: median {statistics.median(values):.3f} of bare Starlette, spread "
            f"{min(values):.3f}-{max(values):.3f} over {len(values)} rounds "
            f"({', '.join(f'{value:.3f}' for value in values)})",
            flush=True,
        )


if __name__ == "__main__":
    main()
