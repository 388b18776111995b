"""The suppression coverage report (`pytest --comms-sandbox-coverage`) as an integrator meets it:
a project outside the checkout with no conftest.py (tests/coverage_project, which can reach
every cell) run in-process, under pytest-xdist and against a live server; the cells the report
is made of; which messages it counts and which it leaves out."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from integrator import copy_project, run_pytest
from live_server import server

from sandbox.engine import Category, Channel, Concept, Facts, Intent, Priority, StatusLabel
from sandbox.engine.outcomes import possible
from sandbox.engine.rules import RULES
from sandbox.testing.coverage import cells
from sandbox.vendors import VENDORS

PROJECT = Path(__file__).parent / "coverage_project"
# the Symplify, Messangi and Capillary WeChat tests: 22 of the 44 cells, exactly 50%
SOME = ("-k", "symplify or messangi or wechat")
TITLE = "comms-sandbox suppression coverage"
Run = subprocess.CompletedProcess[str]


def report(done: Run) -> list[str]:
    """The report's lines, after its title, up to pytest's last line."""
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if TITLE in line) + 1
    end = next(
        i
        for i in range(start, len(lines))
        if lines[i].startswith("=") or re.match(r"\d+ (passed|failed)", lines[i])
    )
    return lines[start:end]


def marks(lines: list[str]) -> dict[tuple[str, str, str, str], str]:
    """(vendor, rule, outcome, channel) -> what the table shows: messages, `-` or `.`."""
    found: dict[tuple[str, str, str, str], str] = {}
    vendor, channels = "", []
    for line in lines:
        words = line.split()
        heading = re.fullmatch(r"(\w+): \d+ of \d+ cells", line)
        if heading:
            vendor = heading[1]
        elif words[:2] == ["rule", "outcome"]:
            channels = words[2:]
        elif words and words[0].isupper() and len(words) == 2 + len(channels):
            for channel, mark in zip(channels, words[2:], strict=True):
                found[(vendor, words[0], words[1], channel)] = mark
    return found


def verdict(done: Run) -> list[str]:
    return [line for line in done.stdout.splitlines() if "comms-sandbox coverage:" in line]


def run(tmp_path: Path, *args: str, xdist: bool = False) -> Run:
    project = copy_project(tmp_path / "project", PROJECT)
    return run_pytest(sys.executable, project, "-p", "no:randomly", *args, xdist=xdist)


@pytest.fixture(scope="module")
def some(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, dict[str, Any]]:
    """The project's SOME tests, in-process, one process, asking for 50% and the JSON form."""
    tmp_path = tmp_path_factory.mktemp("some")
    done = run(tmp_path, *SOME, "--comms-sandbox-coverage-fail-under=50",
               "--comms-sandbox-coverage-json=reports/coverage.json")  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    document = json.loads((tmp_path / "project/reports/coverage.json").read_text())
    return done, document


def test_the_table_shows_the_cells_the_suite_reached_and_lists_the_others(
    some: tuple[Run, dict[str, Any]],
) -> None:
    done, _ = some
    lines = report(done)
    assert lines[0].startswith("22 of 44 cells exercised (50.0%)")
    capillary = lines.index("capillary: 4 of 26 cells")
    assert lines[capillary + 1 : capillary + 9] == [
        "  rule                     outcome         SMS  EMAIL  WHATSAPP  ZALO  WECHAT",
        "  CUSTOMER_STATUS_BLOCKED  suppress          -      -         -     -       1",
        "  CUSTOMER_STATUS_BLOCKED  pass              -      -         -     -       1",
        "  CUSTOMER_STATUS_BLOCKED  not_applicable    -      -         -     -       1",
        "  SUBSCRIPTION_OPTED_OUT   suppress          -      -         .     .       .",
        "  SUBSCRIPTION_OPTED_OUT   pass              -      -         .     .       .",
        "  SUBSCRIPTION_OPTED_OUT   bypass            -      -         .     .       .",
        "  SUBSCRIPTION_OPTED_OUT   not_applicable    -      -         -     -       3",
    ]
    assert "messangi: 8 of 8 cells" in lines and "symplify: 10 of 10 cells" in lines
    never = [line for line in lines if line.startswith("never exercised: ")]
    assert len(never) == 22
    assert "never exercised: capillary CUSTOMER_STATUS_BLOCKED on SMS: suppress" in never
    assert "never exercised: capillary SUBSCRIPTION_OPTED_OUT on EMAIL: bypass" in never
    assert not [line for line in never if "WECHAT" in line or "messangi" in line]


def test_the_json_form_says_what_the_table_says(some: tuple[Run, dict[str, Any]]) -> None:
    done, document = some
    lines = report(done)
    shown = marks(lines)
    given = {
        (c["vendor"], c["reason"], c["outcome"], c["channel"]): str(c["messages"] or "-")
        for c in document["cells"]
    }
    assert given == {key: mark for key, mark in shown.items() if mark != "."}
    assert len(given) == document["total"] == 44
    assert document["exercised"] == 22 and document["percent"] == 50.0
    assert document["fail_under"] == 50.0 and document["failed"] is False
    assert [v["vendor"] for v in document["vendors"]] == ["capillary", "messangi", "symplify"]
    assert document["vendors"][0]["channels"] == ["SMS", "EMAIL", "WHATSAPP", "ZALO", "WECHAT"]
    assert [(v["total"], v["exercised"]) for v in document["vendors"]] == [
        (26, 4),
        (8, 8),
        (10, 10),
    ]
    never = {
        f"never exercised: {c['vendor']} {c['reason']} on {c['channel']}: {c['outcome']}"
        for c in document["cells"]
        if not c["messages"]
    }
    assert never == {line for line in lines if line.startswith("never exercised: ")}
    assert document["outside"] == [] and document["unread"] == []
    assert document["cells"][0] == {
        "vendor": "capillary",
        "rule": "customer_status_block",
        "reason": "CUSTOMER_STATUS_BLOCKED",
        "channel": "SMS",
        "outcome": "suppress",
        "messages": 0,
    }


def test_fail_under_passes_at_the_percentage_reached(some: tuple[Run, dict[str, Any]]) -> None:
    done, _ = some
    assert verdict(done) == [
        "comms-sandbox coverage: 22 of 44 suppression cells exercised (50.0%), "
        "at least --comms-sandbox-coverage-fail-under=50"
    ]


def test_fail_under_fails_the_run_below_it_with_one_line(tmp_path: Path) -> None:
    done = run(tmp_path, *SOME, "--comms-sandbox-coverage-fail-under=50.01")
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-2000:]
    assert "7 passed" in done.stdout  # every test passed: the coverage failed the run
    assert verdict(done) == [
        "FAIL comms-sandbox coverage: 22 of 44 suppression cells exercised (50.0%), "
        "under --comms-sandbox-coverage-fail-under=50.01"
    ]


def test_collecting_only_reports_nothing_and_fails_nothing(tmp_path: Path) -> None:
    done = run(tmp_path, "--collect-only", "--comms-sandbox-coverage-fail-under=90")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "12 tests collected" in done.stdout and TITLE not in done.stdout


def test_under_xdist_the_workers_counts_make_the_serial_runs_table(
    some: tuple[Run, dict[str, Any]], tmp_path: Path
) -> None:
    done = run(tmp_path, *SOME, "-n", "2", "--comms-sandbox-coverage-fail-under=50", xdist=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "7 passed" in done.stdout
    assert done.stdout.count(TITLE) == 1  # one table: the controller's
    assert report(done) == report(some[0])


def test_against_a_live_server_the_table_is_the_same(
    some: tuple[Run, dict[str, Any]], tmp_path: Path
) -> None:
    with server(tmp_path / "data") as (_, client):
        url = str(client.base_url).rstrip("/")
        done = run(tmp_path, *SOME, "--sandbox-url", url, "--comms-sandbox-coverage-fail-under=50")
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert f"live at {url}" not in done.stdout  # -q: no header; the URL was used below
        assert report(done) == report(some[0])
        # read before they went: every tenant the tests made is deleted all the same
        assert client.get("/_sandbox/tenants").json() == {"tenants": ["demo"]}


def test_every_cell_can_be_reached_through_the_vendors_apis(tmp_path: Path) -> None:
    """No cell is one no suite could reach: the whole project reaches all 44."""
    done = run(tmp_path, "--comms-sandbox-coverage-fail-under=100",
               "--comms-sandbox-coverage-json=coverage.json")  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    document = json.loads((tmp_path / "project/coverage.json").read_text())
    assert (document["exercised"], document["total"]) == (44, 44)
    assert document["outside"] == [] and document["unread"] == []
    assert not [line for line in report(done) if line.startswith("never exercised")]


# what is counted and what is not ------------------------------------------------------------
COUNTED = """
import httpx
from sandbox.testing import in_process

MESSANGI = "https://elastic.messangi.me"
PATHS = {"SMS": "/raven/v2/messages", "WHATSAPP": "/balerion/v3/messages",
         "RCS": "/rcs/v1/messages", "EMAIL": "/crowsnest/v2/emails"}
BLOCKED = "+525500000000"
TENANT = {"messangi": {"blocklist": [
    {"to": BLOCKED, "from": "141555549", "type": t} for t in ("SMS", "WHATSAPP", "RCS")]}}


def send(tenant, channel, to, http=httpx, base=MESSANGI):
    body = {"from": "141555549", "to": to, "text": "Hi", "type": "MT", "subject": "Hi"}
    if channel == "WHATSAPP":
        body = {**body, "type": "text", "body": "Hi"}
    elif channel == "EMAIL":
        body = {**body, "from": "news@example.com"}
    answer = http.post(f"{base}{PATHS[channel]}", json=body, headers=tenant.messangi_auth())
    assert answer.status_code == 200, answer.text


def test_a_snapshots_outbox_is_not_the_suites(comms_sandbox):
    with in_process() as elsewhere:  # not the session's sandbox: not watched
        other = elsewhere.create_tenant(TENANT)
        send(other, "SMS", BLOCKED, elsewhere.http, "/messangi")
        snapshot = other.snapshot()
    tenant = comms_sandbox.create_tenant(snapshot)
    tenant.assert_suppressed(to=BLOCKED, reason="SENDER_BLOCKLISTED")  # there, not counted
    send(tenant, "SMS", "525511111111")  # counted: SMS pass


def test_a_cleared_outbox_is_read_first(comms_sandbox):
    tenant = comms_sandbox.create_tenant(TENANT)
    send(tenant, "WHATSAPP", BLOCKED)  # counted: WHATSAPP suppress
    tenant.clear_outbox()
    tenant.assert_nothing_sent()


def test_a_reset_tenant_is_read_first(comms_sandbox):
    tenant = comms_sandbox.create_tenant(TENANT)
    send(tenant, "RCS", "525511111111")  # counted: RCS pass
    tenant.reset()
    tenant.assert_nothing_sent()


def test_a_tenant_the_test_deletes_is_read_first(comms_sandbox):
    tenant = comms_sandbox.create_tenant(TENANT)
    send(tenant, "RCS", BLOCKED)  # counted: RCS suppress
    tenant.delete()


def test_a_tenant_left_behind_is_read_at_the_end(comms_sandbox):
    tenant = comms_sandbox.sandbox.create_tenant(TENANT)  # the plugin does not delete it
    send(tenant, "EMAIL", "someone@example.com")  # counted: EMAIL pass


def test_nothing_watches_unless_asked(comms_sandbox, pytestconfig):
    asked = pytestconfig.getoption("comms_sandbox_coverage")
    assert (comms_sandbox.sandbox.watch is not None) == asked
"""


def test_what_is_counted_and_what_is_not(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_counted.py").write_text(COUNTED)
    done = run_pytest(sys.executable, project, "-p", "no:randomly", "--comms-sandbox-coverage")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    lines = report(done)
    messangi = lines.index("messangi: 5 of 8 cells")
    assert lines[messangi + 1 : messangi + 4] == [
        "  rule                outcome   SMS  EMAIL  WHATSAPP  RCS",
        "  SENDER_BLOCKLISTED  suppress    -      -         1    1",
        "  SENDER_BLOCKLISTED  pass        1      1         -    1",
    ]
    assert not [line for line in lines if "could not read" in line]
    # off: no report, and the session's sandbox has nothing watching its tenants
    done = run_pytest(sys.executable, project, "-p", "no:randomly")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert TITLE not in done.stdout


@pytest.mark.parametrize("value", ["101", "-1", "half", "nan"])
def test_a_percentage_out_of_range_stops_the_run(tmp_path: Path, value: str) -> None:
    done = run_pytest(sys.executable, tmp_path, f"--comms-sandbox-coverage-fail-under={value}")
    assert done.returncode == 4
    assert (
        f"argument --comms-sandbox-coverage-fail-under: {value!r} is not a percentage from 0 "
        "to 100" in done.stderr
    )


# the cells ---------------------------------------------------------------------------------
def test_the_cells_are_each_vendors_channels_and_its_rules_outcomes() -> None:
    by_row: dict[tuple[str, str, str], list[str]] = {}
    for cell in cells(VENDORS):
        by_row.setdefault((cell.vendor, cell.reason, cell.outcome), []).append(cell.channel)
    capillary = ["SMS", "EMAIL", "WHATSAPP", "ZALO", "WECHAT"]
    messangi = ["SMS", "EMAIL", "WHATSAPP", "RCS"]
    assert by_row == {
        ("capillary", "CUSTOMER_STATUS_BLOCKED", "suppress"): capillary,
        ("capillary", "CUSTOMER_STATUS_BLOCKED", "pass"): capillary,
        ("capillary", "CUSTOMER_STATUS_BLOCKED", "not_applicable"): capillary,
        ("capillary", "SUBSCRIPTION_OPTED_OUT", "suppress"): ["SMS", "EMAIL"],
        ("capillary", "SUBSCRIPTION_OPTED_OUT", "pass"): ["SMS", "EMAIL"],
        ("capillary", "SUBSCRIPTION_OPTED_OUT", "bypass"): ["SMS", "EMAIL"],
        ("capillary", "SUBSCRIPTION_OPTED_OUT", "not_applicable"): capillary,
        ("messangi", "SENDER_BLOCKLISTED", "suppress"): messangi,
        ("messangi", "SENDER_BLOCKLISTED", "pass"): messangi,
        ("symplify", "CONTACT_TEMP_BLOCKED", "suppress"): ["SMS", "EMAIL"],
        ("symplify", "CONTACT_TEMP_BLOCKED", "pass"): ["SMS", "EMAIL"],
        ("symplify", "SUBSCRIPTION_OPTED_OUT", "suppress"): ["SMS", "EMAIL"],
        ("symplify", "SUBSCRIPTION_OPTED_OUT", "pass"): ["SMS", "EMAIL"],
        ("symplify", "SUBSCRIPTION_OPTED_OUT", "bypass"): ["SMS", "EMAIL"],
    }


NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
LABELS = [
    None,
    StatusLabel("Suspended", "SUSPENDED", True),
    StatusLabel("Active", "ACTIVE", False),
    StatusLabel("Unknown", "UNKNOWN", False),
]
PREFERENCES = [
    None,
    {},
    {"MOBILE:BULK": False},
    {"EMAIL:TRANS": False, "MOBILE:TRANS": True},
    {"MOBILE:TRANS": False, "MOBILE:BULK": False, "EMAIL:TRANS": False, "EMAIL:BULK": False},
    {"wechat:TRANS": False, "whatsapp:BULK": False},
]
DAYS = [None, date(2020, 1, 1), date(2026, 11, 22), date(2026, 11, 23), date(2099, 1, 1)]


def _any_facts(concepts: frozenset[Concept]) -> list[Facts]:
    """Facts with more values than sandbox/engine/outcomes.py tries, each fact of a concept
    the vendor lacks absent, as the vendors gather them."""

    def of(concept: Concept, values: list[Any]) -> list[Any]:
        return values if concept in concepts else [None]

    return [
        Facts(NOW, customer, label, preference, listed, until, scope, opt_out, ignore, concepts)
        for customer in of(Concept.CUSTOMERS, [None, "42", "7"])
        for label in (LABELS if customer else [None])
        for preference in (of(Concept.SUBSCRIPTIONS, PREFERENCES) if customer else [None])
        # a vendor with blocklists tells listed or not; None is a vendor without them
        for listed in of(Concept.SENDER_BLOCKLISTS, [True, False])
        for until, scope in product(of(Concept.TEMPORARY_BLOCKS, DAYS), [None, "all lists"])
        for opt_out in of(Concept.CONTACT_OPT_OUTS, [None, "unsubscribed", "mobileUnsubscribed"])
        for ignore in ([False, True] if Concept.CONTACT_OPT_OUTS in concepts else [False])
    ]


@pytest.mark.parametrize("vendor", VENDORS, ids=lambda v: v.name)
def test_the_outcomes_a_rule_can_give_are_the_ones_it_gives(vendor: Any) -> None:
    """sandbox/engine/outcomes.py tries one case of each thing a rule tells apart; many more
    facts and every kind of message give no other outcome, and miss none."""
    facts = _any_facts(vendor.concepts)
    for channel in vendor.channels:
        kinds = [
            Intent(vendor.name, "send", channel, category, priority, "919353491050", sender)
            for category in Category
            for priority in (None, *Priority)
            for sender in (None, "141555549")
        ]
        given: dict[str, set[str]] = {}
        for intent, fact in product(kinds, facts):
            for rule, _ in RULES:
                result = rule(intent, fact)
                given.setdefault(result.rule, set()).add(result.outcome)
        assert {rule: frozenset(o) for rule, o in given.items()} == possible(
            vendor.concepts, Channel(channel)
        )
