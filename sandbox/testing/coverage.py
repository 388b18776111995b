"""What the suite proved: `pytest --comms-sandbox-coverage` ends the run with, per vendor, every
suppression rule that applies to it and the outcomes the suite's messages met, by channel, and
the cells no test reached (docs/testing.md, "Suppression coverage").

A cell is (vendor, rule, channel, outcome): a channel the vendor sends on (`Vendor.channels`),
a rule of the engine that applies to the vendor (it can give something other than
not_applicable for the vendor's `Vendor.concepts`) and an outcome that rule can give there
(sandbox/engine/outcomes.py asks the rules). Messages are counted from the decision traces the
outbox keeps: each tenant the session's `Sandbox` made is read just before its messages go (the
tenant deleted, reset or its outbox cleared) and once more at the session's end if it is still
there; messages its own document declared (a snapshot's outbox) are not the suite's and are
left out. The reading costs O(messages) per tenant at those moments and nothing per request.
Under pytest-xdist every worker counts its own tenants and sends the counts to the controller
(`workeroutput`), which prints the one table.

Importing this module costs nothing: the engine and the vendors load when the report is made.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sandbox.engine import Channel
    from sandbox.testing.client import Sandbox, Tenant
    from sandbox.vendor import Vendor

NAME = "comms-sandbox-coverage"
WORKER_KEY = "comms_sandbox_coverage"  # a worker's counts in its `workeroutput`
JSON_VERSION = 1
# the outcomes in the order the table shows them (the engine's names)
OUTCOMES = ("suppress", "pass", "bypass", "not_applicable")


class Met(NamedTuple):
    """An outcome a message met: a trace entry, with the message's vendor and channel."""

    vendor: str
    rule: str
    channel: str
    outcome: str


class Cell(NamedTuple):
    vendor: str
    rule: str  # as the trace names it (customer_status_block)
    reason: str  # the reason it gives when it suppresses (CUSTOMER_STATUS_BLOCKED)
    channel: str
    outcome: str

    @property
    def met(self) -> Met:
        return Met(self.vendor, self.rule, self.channel, self.outcome)

    def text(self) -> str:
        return f"{self.vendor} {self.reason} on {self.channel}: {self.outcome}"


# --- options and registration ---------------------------------------------------------------
def add_options(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--comms-sandbox-coverage",
        action="store_true",
        default=False,
        help="end the run with the suppression rules and outcomes, per vendor and channel, "
        "the tests' messages met, and the cells none reached",
    )
    group.addoption(
        "--comms-sandbox-coverage-fail-under",
        type=_percent,
        default=None,
        metavar="P",
        help="fail the run when the tests' messages reach under P%% of the suppression cells "
        "(implies --comms-sandbox-coverage)",
    )
    group.addoption(
        "--comms-sandbox-coverage-json",
        default=None,
        metavar="PATH",
        help="write the suppression coverage as JSON to PATH (implies --comms-sandbox-coverage)",
    )


def _percent(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 100:  # nan included
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage from 0 to 100")
    return value


def register(config: pytest.Config) -> None:
    """Measure the suppression coverage in this run when an option asks for it."""
    options = ("comms_sandbox_coverage", "comms_sandbox_coverage_fail_under")
    wanted = any(config.getoption(name) for name in options)
    if wanted or config.getoption("comms_sandbox_coverage_json") is not None:
        config.pluginmanager.register(SuppressionCoverage(config), NAME)


def watching(config: pytest.Config, sandbox: Sandbox) -> AbstractContextManager[None]:
    """While the session's sandbox runs: its tenants counted, when the run measures."""
    plugin = config.pluginmanager.get_plugin(NAME)
    if not isinstance(plugin, SuppressionCoverage):
        return nullcontext()
    return plugin.tally.watching(sandbox)


# --- counting -------------------------------------------------------------------------------
class Tally:
    """The outcomes the watched tenants' messages met: the `Watch` the session's `Sandbox`
    tells of the tenants it makes and of those about to lose their messages."""

    def __init__(self) -> None:
        self.counts: Counter[Met] = Counter()
        # name -> the tenant, and the highest message id its document declared
        self._tenants: dict[str, tuple[Tenant, int]] = {}
        self.unread: list[str] = []  # tenants whose outbox could not be read, and why

    @contextmanager
    def watching(self, sandbox: Sandbox) -> Iterator[None]:
        sandbox.watch = self
        try:
            yield
        finally:
            sandbox.watch = None
            for tenant, declared in self._tenants.values():  # still there at the end
                self._read(tenant, declared)
            self._tenants.clear()

    def created(self, tenant: Tenant) -> None:
        # its document's messages (a snapshot's outbox) come first and have the lowest ids:
        # what the suite sends gets higher ones (the id sequence goes past every declared id)
        declared = 0
        try:
            declared = max((int(message["id"]) for message in tenant.messages()), default=0)
        except AssertionError as error:
            self.unread.append(f"{tenant.name} ({error})")
        self._tenants[tenant.name] = (tenant, declared)

    def leaving(self, tenant: Tenant, deleted: bool) -> None:
        tenants = self._tenants
        watched = tenants.pop(tenant.name, None) if deleted else tenants.get(tenant.name)
        if watched is not None:  # one this session made
            self._read(tenant, watched[1])

    def _read(self, tenant: Tenant, declared: int) -> None:
        met: list[Met] = []
        try:
            for message in tenant.messages():  # newest first: the suite's come first
                if int(message["id"]) <= declared:
                    break
                vendor, channel = message["vendor"], message["channel"]
                met.extend(
                    Met(vendor, entry["rule"], channel, entry["outcome"])
                    for entry in message["decision"]
                )
        except AssertionError as error:  # the tenant is gone, or the server failed
            self.unread.append(f"{tenant.name} ({error})")
        self.counts.update(met)

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        """Counts as `rows()` gives them (a worker's, sent to the controller)."""
        for vendor, rule, channel, outcome, count in rows:
            self.counts[Met(vendor, rule, channel, outcome)] += count

    def rows(self) -> list[list[Any]]:
        return [[*met, count] for met, count in sorted(self.counts.items())]


# --- the plugin -----------------------------------------------------------------------------
class SuppressionCoverage:
    """Registered when an option asks for the report: counts, gathers the workers' counts
    (pytest-xdist), fails the run under --comms-sandbox-coverage-fail-under, writes the JSON
    and prints the table."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.tally = Tally()
        self.report: Report | None = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        sent = (getattr(node, "workeroutput", None) or {}).get(WORKER_KEY)
        if sent is not None:  # (none from a worker that crashed)
            self.tally.add(sent["counts"])
            self.tally.unread.extend(sent["unread"])

    @pytest.hookimpl(trylast=True)  # after the session's fixtures are torn down
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = self.config
        workeroutput = getattr(config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller reports
            workeroutput[WORKER_KEY] = {"counts": self.tally.rows(), "unread": self.tally.unread}
            return
        if config.option.collectonly:  # no test ran: nothing to report
            return
        from sandbox.vendors import VENDORS

        fail_under = config.getoption("comms_sandbox_coverage_fail_under")
        report = self.report = Report.of(VENDORS, self.tally, fail_under)
        path = config.getoption("comms_sandbox_coverage_json")
        if path is not None:
            target = config.invocation_params.dir / Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(report.document(), indent=2) + "\n")
        if report.failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is None:
            return
        terminalreporter.write_sep("-", "comms-sandbox suppression coverage")
        *lines, verdict = self.report.lines()
        for line in lines:
            terminalreporter.write_line(line)
        if verdict:
            terminalreporter.write_line(verdict, red=self.report.failed, bold=True)


# --- the report -----------------------------------------------------------------------------
def cells(vendors: Sequence[Vendor]) -> list[Cell]:
    """Every cell of `vendors`, by vendor, rule (in precedence order), outcome and channel."""
    from sandbox.engine import Outcome
    from sandbox.engine.outcomes import possible, reasons

    found: list[Cell] = []
    for vendor in vendors:
        channels = _channels(vendor)
        given = {channel: possible(vendor.concepts, channel) for channel in channels}
        for rule, reason in reasons().items():
            anywhere = {outcome for channel in channels for outcome in given[channel][rule]}
            if anywhere <= {Outcome.NOT_APPLICABLE}:  # not a rule of the vendor's concepts
                continue
            found.extend(
                Cell(vendor.name, rule, reason, channel, outcome)
                for outcome in OUTCOMES
                for channel in channels
                if outcome in given[channel][rule]
            )
    return found


class Report(NamedTuple):
    vendors: list[tuple[str, list[str]]]  # each vendor and its channels, in order
    cells: list[tuple[Cell, int]]  # each cell and how many messages met it
    outside: list[tuple[Met, int]]  # outcomes met that no cell is (nor a rule not applying)
    unread: list[str]
    fail_under: float | None

    @classmethod
    def of(cls, vendors: Sequence[Vendor], tally: Tally, fail_under: float | None) -> Report:
        every = cells(vendors)
        counts = tally.counts
        known = {cell.met for cell in every}
        ruled = {(cell.vendor, cell.rule) for cell in every}
        outside = [
            (met, count)
            for met, count in sorted(counts.items())
            if met not in known
            and not (met.outcome == "not_applicable" and (met.vendor, met.rule) not in ruled)
        ]
        return cls(
            [(vendor.name, [str(c) for c in _channels(vendor)]) for vendor in vendors],
            [(cell, counts[cell.met]) for cell in every],
            outside,
            list(tally.unread),
            fail_under,
        )

    @property
    def total(self) -> int:
        return len(self.cells)

    @property
    def exercised(self) -> int:
        return sum(1 for _, count in self.cells if count)

    @property
    def percent(self) -> float:
        return 100 * self.exercised / self.total if self.total else 100.0

    @property
    def failed(self) -> bool:
        return self.fail_under is not None and self.exercised * 100 < self.fail_under * self.total

    def lines(self) -> list[str]:
        """The table, the cells never exercised, what could not be placed, and the verdict
        on --comms-sandbox-coverage-fail-under ("" when not asked) last."""
        out = [
            f"{self.exercised} of {self.total} cells exercised ({_shown(self.percent)}%); a cell "
            "is a vendor, a rule, a channel and an outcome the rule can give there",
            "numbers: messages that met the outcome; -: none did; .: not a cell",
        ]
        for vendor, channels in self.vendors:
            mine = [(cell, count) for cell, count in self.cells if cell.vendor == vendor]
            if not mine:
                continue
            done = sum(1 for _, count in mine if count)
            out += ["", f"{vendor}: {done} of {len(mine)} cells"]
            out += _table(channels, mine)
        never = [f"never exercised: {cell.text()}" for cell, count in self.cells if not count]
        out += ["", *never] if never else []
        out += [
            f"met outside the cells: {met.vendor} {met.rule} on {met.channel}: {met.outcome} "
            f"({count} messages)"
            for met, count in self.outside
        ]
        out += [f"could not read the outbox of tenant {unread}" for unread in self.unread]
        return [*out, self.verdict()]

    def verdict(self) -> str:
        if self.fail_under is None:
            return ""
        reached = (
            f"{self.exercised} of {self.total} suppression cells exercised "
            f"({_shown(self.percent)}%)"
        )
        option = f"--comms-sandbox-coverage-fail-under={self.fail_under:g}"
        if self.failed:
            return f"FAIL comms-sandbox coverage: {reached}, under {option}"
        return f"comms-sandbox coverage: {reached}, at least {option}"

    def document(self) -> dict[str, Any]:
        """The JSON form (docs/testing.md has its schema)."""
        return {
            "version": JSON_VERSION,
            "total": self.total,
            "exercised": self.exercised,
            "percent": round(self.percent, 2),
            "fail_under": self.fail_under,
            "failed": self.failed,
            "vendors": [
                {
                    "vendor": vendor,
                    "channels": channels,
                    "total": sum(1 for cell, _ in self.cells if cell.vendor == vendor),
                    "exercised": sum(1 for c, n in self.cells if c.vendor == vendor and n),
                }
                for vendor, channels in self.vendors
            ],
            "cells": [{**cell._asdict(), "messages": count} for cell, count in self.cells],
            "outside": [{**met._asdict(), "messages": count} for met, count in self.outside],
            "unread": self.unread,
        }


def _channels(vendor: Vendor) -> list[Channel]:
    """The vendor's channels in the engine's order."""
    from sandbox.engine import Channel

    return [channel for channel in Channel if channel in vendor.channels]


def _shown(percent: float) -> str:
    """A percentage to one decimal, rounded down: 99.96 is not shown as a full 100.0."""
    return f"{math.floor(percent * 10) / 10:.1f}"


def _table(channels: list[str], cells: list[tuple[Cell, int]]) -> list[str]:
    """A vendor's rows: rule and outcome, then per channel the messages, `-` or `.`."""
    counts = {(cell.reason, cell.outcome, cell.channel): count for cell, count in cells}
    rows = [["rule", "outcome", *channels]]
    for reason in dict.fromkeys(cell.reason for cell, _ in cells):
        for outcome in OUTCOMES:
            marks = [
                "."
                if (found := counts.get((reason, outcome, channel))) is None
                else str(found)
                if found
                else "-"
                for channel in channels
            ]
            if any(mark != "." for mark in marks):
                rows.append([reason, outcome, *marks])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(
            value.ljust(width) if i < 2 else value.rjust(width)
            for i, (value, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
