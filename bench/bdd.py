"""The acceptance suite in-process vs against a live server (issue 7): the same feature files,
run serially (no xdist) by the same pytest, REPEATS times each; medians of pytest's own session
time, and of the time spent in HTTP calls (bench/bddtiming.py). The live server is started as
`make serve` starts it (uvicorn, a data directory), pinned to its own CPU; pytest to the other.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

from bench import noise, procs
from bench.model import Env, Measurement
from bench.servers import PROJECT_ROOT, running, start_sandbox

REPEATS = 3
TARGET = 3.0
_SESSION = re.compile(r"(\d+) passed in ([\d.]+)s")
_HTTP = re.compile(r"bench-http: ([\d.]+) (\d+)")


def _suite(env: Env, url: str | None) -> tuple[float, float, int, int]:
    """(session seconds, HTTP seconds, HTTP requests, scenarios) of one serial run."""
    environ = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    environ.pop("SANDBOX_URL", None)
    if url is not None:
        environ["SANDBOX_URL"] = url
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "features",
        "-q",
        "-p",
        "no:xdist",
        "-p",
        "bench.bddtiming",
    ]
    proc = procs.spawn(
        argv,
        cpus=env.client_cpus,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=PROJECT_ROOT,
        env=environ,
    )
    output = proc.communicate()[0].decode()
    session, http = _SESSION.search(output), _HTTP.search(output)
    if proc.returncode != 0 or session is None or http is None:
        raise RuntimeError(f"the suite failed ({proc.returncode}):\n{output[-2000:]}")
    return float(session.group(2)), float(http.group(1)), int(http.group(2)), int(session.group(1))


def _median_runs(env: Env, url: str | None) -> tuple[float, float, int, int]:
    runs = []
    for _ in range(REPEATS):
        noise.wait_quiet(env.config.quiet_wait_s)
        runs.append(_suite(env, url))
    return (
        statistics.median(r[0] for r in runs),
        statistics.median(r[1] for r in runs),
        runs[0][2],
        runs[0][3],
    )


def bdd_targets(env: Env) -> list[Measurement]:
    print(f"bdd: features/ in-process and against a live server, {REPEATS} runs each", flush=True)
    inproc = _median_runs(env, None)
    server = start_sandbox(Path(env.workdir) / "bdd-live", env.workdir / "logs", env.server_cpus)
    with running(server):
        live = _median_runs(env, server.base_url)
    suite_ratio, http_ratio = live[0] / inproc[0], live[1] / inproc[1]
    scenarios, requests = inproc[3], inproc[2]
    return [
        Measurement(
            key="bdd",
            title=f"Acceptance suite ({scenarios} scenarios) in-process vs live server",
            figure=(
                f"suite {inproc[0]:.2f} s vs {live[0]:.2f} s ({suite_ratio:.1f}x); its "
                f"{requests} HTTP calls {inproc[1]:.2f} s vs {live[1]:.2f} s ({http_ratio:.1f}x)"
            ),
            target=f"suite >= {TARGET:g}x faster in-process",
            passed=suite_ratio >= TARGET,
            valid=True,
            details={
                "in_process": {"session_s": inproc[0], "http_s": inproc[1]},
                "live": {"session_s": live[0], "http_s": live[1]},
                "requests": requests,
                "scenarios": scenarios,
            },
            notes=[
                "pytest's session time, serial; the rest of each run (step matching by "
                "pytest-bdd, fixtures, reports) is the same in both modes: "
                f"{inproc[0] - inproc[1]:.2f} s in-process, {live[0] - live[1]:.2f} s live"
            ],
        )
    ]
