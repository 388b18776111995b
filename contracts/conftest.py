"""Session accounting for the contract fuzzing: how many generated requests each run sent,
how they were answered, and whether any answer was a 5xx.

Under pytest-xdist every worker counts its own requests and hands them to the controller,
which prints one summary for the whole run (and writes it to SANDBOX_FUZZ_REPORT if set).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contracts import _support

WORKER_KEY = "sandbox_fuzz_requests"


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_KEY] = _support.LOG.as_rows()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    rows = getattr(node, "workeroutput", {}).get(WORKER_KEY)
    if rows:
        _support.LOG.merge_rows(rows)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if getattr(terminalreporter.config, "workeroutput", None) is not None:
        return
    if not _support.LOG.counts:
        return
    summary = _support.LOG.summary()
    write = terminalreporter.write_line
    terminalreporter.section("contract fuzzing: generated requests")
    write(
        f"{summary['requests']} requests, {summary['server_errors']} answered 5xx "
        f"(examples per operation: {summary['examples_per_operation']}, "
        f"seed: {summary['seed']})"
    )
    for document, totals in summary["documents"].items():
        phases = ", ".join(
            f"{key.removeprefix('phase:')} {value}"
            for key, value in sorted(totals.items())
            if key.startswith("phase:")
        )
        statuses = ", ".join(
            f"{key} {value}"
            for key, value in sorted(totals.items())
            if len(key) == 3 and key.endswith("xx")
        )
        statuses += (
            f" | refused {totals.get('refused', 0)}, of which by a handler "
            f"{totals.get('refused_in_handler', 0)} | invalid answered 2xx "
            f"{totals.get('invalid_accepted', 0)} (of which wrote "
            f"{totals.get('invalid_accepted_wrote', 0)}) | failed (5xx) {totals.get('failed', 0)}"
            f" | store changed after a refusal or failure {totals.get('state_changes', 0)}"
        )
        write(
            f"  {document}: {totals['requests']} requests over {totals['operations']} operations"
            f" | positive {totals.get('positive', 0)}, negative {totals.get('negative', 0)}"
            f" | {phases} | {statuses}"
        )
    checks = ", ".join(
        f"{name} {tally['answers']}" + (f" ({tally['failed']} failed)" if tally["failed"] else "")
        for name, tally in summary["checks"].items()
    )
    write(f"  answers judged per check: {checks}")
    if terminalreporter.config.get_verbosity() > 0:
        for row in _support.LOG.per_operation():
            write("    " + row)
    for error in summary["server_error_details"]:
        write(f"  5xx: {error['document']} {error['operation']} -> {error['status']} x{error['n']}")
    if _support.REPORT_PATH:
        Path(_support.REPORT_PATH).parent.mkdir(parents=True, exist_ok=True)
        Path(_support.REPORT_PATH).write_text(json.dumps(summary, indent=2) + "\n")
        write(f"  written to {_support.REPORT_PATH}")
