"""An import's memory (issue 23, item 5): the RSS of a fresh server before a Symplify CSV
import, after it, and at its peak (VmHWM), for

- `wide`: 93,000 rows of `originalId|emailAddress|firstName|tier` (4.3 MiB);
- `narrow`: 600,000 rows of `originalId` (3.9 MiB; past MAX_ROWS: refused, 413);
- `largest`: MAX_ROWS rows of 5 columns, one a property of ~270 characters, just under
  MAX_BYTES (32 MiB).

Each case on a fresh server (VmHWM is the process's peak since it started), the sides
alternated round by round with `--before-python`. Target: the largest import's server under
300 MiB (the project's memory target: 100,000 customers and a full outbox under 300 MB).
`python -m bench.import_memory --before-python /work/main/.venv/bin/python`.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench import before_after, procs
from bench.model import Env, Measurement
from bench.servers import running, start_sandbox
from sandbox.vendors.symplify.import_csv import MAX_BYTES, MAX_ROWS

TARGET_MIB = 300
ROUNDS = 3
TENANT = {"symplify": {"accounts": [{"customer_id": "1234", "lists": [{"id": 42}]}]}}


def wide(rows: int = 93_000) -> bytes:
    lines = ["originalId|emailAddress|firstName|tier"]
    lines.extend(f"{n}|contact.{n}@example.com|First {n}|gold" for n in range(rows))
    return "\n".join(lines).encode()


def narrow(rows: int = 600_000) -> bytes:
    return ("originalId\n" + "\n".join(str(n) for n in range(rows))).encode()


def largest() -> bytes:
    """MAX_ROWS rows filling MAX_BYTES but for a little."""
    head = "originalId|emailAddress|firstName|lastName|note"
    fixed = len(f"{MAX_ROWS}|contact.{MAX_ROWS}@example.com|First {MAX_ROWS}|Last {MAX_ROWS}|\n")
    note = (MAX_BYTES - len(head) - 1024) // MAX_ROWS - fixed
    lines = [head]
    lines.extend(
        f"{n}|contact.{n}@example.com|First {n}|Last {n}|{str(n).rjust(note, 'x')}"
        for n in range(MAX_ROWS)
    )
    body = "\n".join(lines).encode()
    assert len(body) <= MAX_BYTES, len(body)
    return body


# name -> (what it is, the CSV)
CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "wide": ("4 MiB, 93,000 rows of 4 columns", wide),
    "narrow": ("4 MiB, 600,000 rows of 1 column", narrow),
    "largest": (f"the largest import, {MAX_ROWS:,} rows of 5 columns", largest),
}


def _import(base_url: str, body: bytes, rss: Callable[[], tuple[int, int]]) -> dict[str, Any]:
    with httpx.Client(base_url=base_url, timeout=600) as client:
        made = client.put("/_sandbox/tenants/importer", json=TENANT)
        made.raise_for_status()
        token = {"X-Carma-Authentication-Token": made.json()["credentials"]["symplify"]["value"]}
        declared = client.post(
            "/symplify/1234/lists/42/imports", json={"delimiter": "124"}, headers=token
        )
        declared.raise_for_status()
        time.sleep(0.5)
        before, _ = rss()
        started = time.perf_counter()
        posted = client.post(
            f"/symplify/1234/lists/42/recipients/{declared.json()['id']}",
            content=body,
            headers={**token, "Content-Type": "text/csv"},
        )
        seconds = time.perf_counter() - started
        time.sleep(0.5)
        after, peak = rss()
    return {
        "status": posted.status_code,
        "answer": posted.text[:200],
        "bytes": len(body),
        "import_s": seconds,
        "rss_before_mib": before / 1024,
        "rss_after_mib": after / 1024,
        "peak_mib": peak / 1024,
        "peak_growth_mib": (peak - before) / 1024,
    }


def _round(name: str, body: bytes, workdir: Path, python: str | None) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="import-memory-", dir=workdir))
    server = start_sandbox(directory / "data", directory / "logs", None, python=python)
    with running(server):
        return _import(server.base_url, body, lambda: procs.rss_kib(server.pid)) | {"case": name}


def _median(results: list[dict[str, Any]], figure: str) -> tuple[float, float, float]:
    values = [r[figure] for r in results]
    return statistics.median(values), min(values), max(values)


def _text(results: list[dict[str, Any]]) -> str:
    peak, growth = _median(results, "peak_mib"), _median(results, "peak_growth_mib")
    statuses = sorted({r["status"] for r in results})
    return (
        f"{results[0]['bytes'] / 2**20:.1f} MiB: answered {statuses}, peak RSS {peak[0]:.0f} "
        f"MiB ({peak[1]:.0f}-{peak[2]:.0f}), +{growth[0]:.0f} MiB over the server before it"
    )


def measure(env: Env, rounds: int = ROUNDS) -> list[Measurement]:
    print(f"import memory: {', '.join(CASES)}, {rounds} rounds", flush=True)
    runs = {
        name: [_round(name, make(), env.workdir, None) for _ in range(rounds)]
        for name, (_, make) in CASES.items()
    }
    largest_peak = _median(runs["largest"], "peak_mib")[0]
    return [
        Measurement(
            "import-memory",
            "a Symplify CSV import's peak RSS on a fresh server",
            "; ".join(f"{CASES[name][0]}: {_text(results)}" for name, results in runs.items()),
            f"the largest import < {TARGET_MIB} MiB",
            passed=largest_peak < TARGET_MIB,
            details=runs,
        )
    ]


def _told(name: str, n: int, side: str, result: dict[str, Any]) -> str:
    return (
        f"{name} round {n} {side}: {result['status']}, peak "
        f"{result['peak_mib']:.0f} MiB (+{result['peak_growth_mib']:.0f}), after "
        f"{result['rss_after_mib']:.0f} MiB, {result['import_s']:.2f} s"
    )


def compare(names: Sequence[str], before: str, rounds: int, workdir: Path) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for name in names:
        body = CASES[name][1]()
        run = partial(_round, name, body, workdir)
        runs = before_after.alternated(rounds, before, run, partial(_told, name))
        report[name] = runs
        for side, results in runs.items():
            print(f"{CASES[name][0]} {side}: {_text(results)}", flush=True)
    return report


def main(argv: Sequence[str] | None = None) -> None:
    before_after.main(
        "python -m bench.import_memory", __doc__, list(CASES), ROUNDS, compare, argv=argv
    )


if __name__ == "__main__":
    main()
