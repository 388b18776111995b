"""The printed tables and the JSON results file."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import noise
from bench.model import Env, Measurement
from bench.wrk import WrkResult

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def summary(measurements: Sequence[Measurement], env: Env) -> str:
    rows = [(m.title, m.figure, m.target, m.verdict) for m in measurements]
    parts = [
        "",
        f"comms-sandbox benchmarks: {env.config.wrk_label()} (plus a "
        f"{env.config.warmup_s:g} s warm-up run)",
        env.cpu_note,
        "",
        table(("measurement", "figure", "target", "result"), rows, right=set()),
    ]
    loads = [(label, result) for m in measurements for label, result in m.loads.items()]
    if loads:
        parts += ["", load_table(loads)]
    notes = [f"- {m.title}: {note}" for m in measurements for note in m.notes]
    notes += [f"- {m.key}: {m.error}" for m in measurements if m.error]
    notes += [
        f"- WARNING {label}: other processes used {r.other_cpus:.2f} CPUs during the run; "
        "its figures are not reliable (rerun on a quiet machine)"
        for label, r in loads
        if r.other_cpus > noise.QUIET_CPUS
    ]
    if notes:
        parts += ["", *notes]
    return "\n".join(parts) + "\n"


def load_table(loads: Sequence[tuple[str, WrkResult]]) -> str:
    return table(
        (
            "wrk run",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "requests",
            "non-2xx",
            "sock err",
            "server CPU",
            "CPU us/req",
            "other CPU",
        ),
        [
            (
                label,
                f"{r.requests_per_s:,.0f}",
                f"{r.p50:.2f}",
                f"{r.latency_ms.get('90', float('nan')):.2f}",
                f"{r.p99:.2f}",
                f"{r.requests:,}",
                str(r.non_2xx),
                str(sum(r.socket_errors.values())),
                f"{r.cpu.get('server_cpus', float('nan')):.2f}",
                f"{r.server_cpu_us_per_request:.0f}",
                f"{r.other_cpus:.2f}",
            )
            for label, r in loads
        ],
        right=set(range(1, 11)),
    )


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], capture_output=True, text=True, cwd=PROJECT_ROOT, check=False
    )
    return done.stdout.strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def document(
    measurements: Sequence[Measurement], env: Env, wrk_version: str, argv: Sequence[str]
) -> dict[str, Any]:
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": [sys.executable, "-m", "bench.run", *argv],
        "git": {"commit": _git("rev-parse", "HEAD"), "dirty": bool(_git("status", "--porcelain"))},
        "machine": {
            "cpu": _cpu_model(),
            "cpus": env.cpu_note,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "wrk": wrk_version,
        },
        "config": asdict(env.config),
        "measurements": [m.to_json() for m in measurements],
    }


def write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    tmp.replace(path)
