"""What the benchmarks comparing this checkout with another share (`--before-python`):
rounds of the other checkout's server ("before") and this one's ("after"), alternated, the
first side swapped each round, and the command line that runs them."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import procs

Result = dict[str, Any]


def alternated(
    rounds: int,
    before: str,
    run: Callable[[str | None], Result],
    told: Callable[[int, str, Result], str],
) -> dict[str, list[Result]]:
    """`run(python)` `rounds` times per side (python None: this checkout's), printing
    `told(round, side, result)` after each; the results per side, in order."""
    runs: dict[str, list[Result]] = {"before": [], "after": []}
    for n in range(rounds):
        sides = [("before", before), ("after", None)]
        for side, python in sides if n % 2 == 0 else sides[::-1]:
            result = run(python)
            runs[side].append(result)
            print(told(n + 1, side, result), flush=True)
    return runs


def main(
    prog: str,
    description: str | None,
    cases: Sequence[str],
    rounds: int,
    compare: Callable[[Sequence[str], str, int, Path], dict[str, Any]],
    *,
    argv: Sequence[str] | None = None,
) -> None:
    """`python -m <prog> --before-python P [--rounds N] [--only a,b] [--output F]`:
    `compare(cases, P, N, a working directory)`, its report written to F as JSON."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--before-python", required=True, help="the other checkout's python")
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--only", default=",".join(cases), help=f"of {', '.join(cases)}")
    parser.add_argument("--output", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    procs.install_cleanup()
    with tempfile.TemporaryDirectory(prefix=f"{prog.rsplit('.', 1)[-1]}-") as workdir:
        try:
            report = compare(args.only.split(","), args.before_python, args.rounds, Path(workdir))
        finally:
            procs.kill_all()
    if args.output is not None:
        args.output.write_text(json.dumps(report, indent=2))
