"""`python -m bench.run`: measure comms-sandbox against its performance targets.

Prints a table of figures with PASS/FAIL per target and writes bench/results/latest.json.
Measurements: startup, throughput, recovery, write-cost, memory, subscription-batch,
blocklist, list-send, limits, bdd, inprocess, fixture-stall, outbox-page, event-latency,
event-cost, trigger-send, import-stall, list-send-stall, due-stall, import-memory,
webhook-stall, contact-listing, plugin-libraries, plugin-aiohttp (all by default).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from bench import (
    batch,
    bdd,
    blocklist,
    contact_listing,
    fixture_stall,
    import_memory,
    import_stall,
    inprocess,
    limits,
    listsend,
    measure,
    pacing_stall,
    plugin_aiohttp,
    plugin_libraries,
    procs,
    report,
    trigger_send,
    web_outbox,
    webhook_stall,
    wrk,
)
from bench.model import Config, Env, Measurement

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
NAMES = (
    "startup",
    "throughput",
    "recovery",
    "write-cost",
    "memory",
    "subscription-batch",
    "blocklist",
    "list-send",
    "limits",
    "bdd",
    "inprocess",
    "fixture-stall",
    "outbox-page",
    "event-latency",
    "event-cost",
    "trigger-send",
    "import-stall",
    "list-send-stall",
    "due-stall",
    "import-memory",
    "webhook-stall",
    "contact-listing",
    "plugin-libraries",
    "plugin-aiohttp",
)


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(NAMES))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {', '.join(NAMES)}")
    return names


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--only",
        type=_names,
        action="extend",
        metavar="NAME[,NAME]",
        help=f"run only these measurements ({', '.join(NAMES)}); repeatable",
    )
    parser.add_argument("--quick", action="store_true", help="short runs and fewer repeats")
    parser.add_argument("--duration", type=float, help="seconds of each measured wrk run")
    parser.add_argument("--connections", type=int, help="wrk connections (default 32)")
    parser.add_argument("--large", type=int, help="customers/messages of the large write case")
    parser.add_argument("--output", type=Path, default=RESULTS, help="the JSON results file")
    parser.add_argument("--keep", action="store_true", help="keep data directories and logs")
    parser.add_argument(
        "--fail-on-miss", action="store_true", help="exit 1 when a target is missed, too"
    )
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> Config:
    config = Config.quick() if args.quick else Config()
    if args.duration is not None:
        config = replace(config, duration_s=args.duration)
    if args.connections is not None:
        config = replace(config, connections=args.connections)
    if args.large is not None:
        config = replace(config, large=args.large)
    return config


def plan(
    env: Env, wanted: set[str], *, quick: bool = False
) -> list[tuple[str, Callable[[], list[Measurement]]]]:
    steps: list[tuple[str, Callable[[], list[Measurement]]]] = []
    if "startup" in wanted:
        steps.append(("startup", lambda: measure.startup(env)))
    if wanted & {"throughput", "recovery"}:
        steps.append(
            (
                "throughput",
                lambda: measure.throughput_and_recovery(
                    env, throughput="throughput" in wanted, recovery="recovery" in wanted
                ),
            )
        )
    if "write-cost" in wanted:
        steps.append(("write-cost", lambda: measure.write_cost(env)))
    if "memory" in wanted:
        steps.append(("memory", lambda: measure.memory(env)))
    if "subscription-batch" in wanted:
        steps.append(("subscription-batch", lambda: batch.subscription_batch(env)))
    if "blocklist" in wanted:
        steps.append(("blocklist", lambda: blocklist.blocklist_lookup(env)))
    if "limits" in wanted:
        steps.append(("limits", lambda: limits.limits_overhead(env)))
    if "list-send" in wanted:
        steps.append(("list-send", lambda: listsend.list_send(env)))
    if "bdd" in wanted:
        steps.append(("bdd", lambda: bdd.bdd_targets(env)))
    if "inprocess" in wanted:
        steps.append(("inprocess", lambda: inprocess.inprocess_routes(env)))
    if "fixture-stall" in wanted:
        steps.append(("fixture-stall", lambda: fixture_stall.fixture_stall(env)))
    if "outbox-page" in wanted:
        steps.append(("outbox-page", lambda: web_outbox.outbox_page(env)))
    if "event-latency" in wanted:
        steps.append(("event-latency", lambda: web_outbox.event_latency(env)))
    if "event-cost" in wanted:
        steps.append(("event-cost", lambda: web_outbox.event_cost(env)))
    if "trigger-send" in wanted:
        rounds = trigger_send.QUICK_ROUNDS if quick else trigger_send.ROUNDS
        steps.append(("trigger-send", lambda: trigger_send.trigger_send(env, rounds=rounds)))
    if "import-stall" in wanted:
        steps.append(("import-stall", lambda: import_stall.import_stall(env)))
    rounds = 1 if quick else pacing_stall.ROUNDS
    for key in ("list-send-stall", "due-stall"):
        if key in wanted:
            steps.append((key, partial(pacing_stall.measure, env, key, rounds)))
    if "import-memory" in wanted:
        steps.append(("import-memory", lambda: import_memory.measure(env, rounds)))
    if "webhook-stall" in wanted:
        seconds = 2.0 if quick else 5.0
        steps.append(("webhook-stall", lambda: webhook_stall.measurement(rounds, seconds)))
    if "contact-listing" in wanted:
        listing_rounds = contact_listing.QUICK_ROUNDS if quick else contact_listing.ROUNDS
        steps.append(
            ("contact-listing", lambda: contact_listing.contact_listing(env, rounds=listing_rounds))
        )
    # the plugin's routes per HTTP library (issue 25): requests and urllib3; aiohttp
    plugins = (
        ("plugin-libraries", plugin_libraries.plugin_libraries, plugin_libraries.QUICK_ROUNDS),
        ("plugin-aiohttp", plugin_aiohttp.plugin_aiohttp, plugin_aiohttp.QUICK_ROUNDS),
    )
    for key, plugin, quick_rounds in plugins:
        if key in wanted:
            steps.append(
                (key, partial(plugin, env, quick_rounds) if quick else partial(plugin, env))
            )
    return steps


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    procs.install_cleanup()
    try:
        wrk_path = wrk.ensure_wrk()
    except wrk.WrkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server_cpus, client_cpus, cpu_note = procs.cpu_plan()
    workdir = Path(tempfile.mkdtemp(prefix="comms-bench-"))
    env = Env(config_from(args), workdir, wrk_path, server_cpus, client_cpus, cpu_note)
    print(f"{cpu_note}\nwork directory: {workdir}", flush=True)
    measurements: list[Measurement] = []
    try:
        for name, step in plan(env, set(args.only or NAMES), quick=args.quick):
            try:
                measurements += step()
            except Exception as exc:  # one broken measurement must not hide the others
                traceback.print_exc()
                measurements.append(Measurement.failed(name, f"{type(exc).__name__}: {exc}"))
            finally:
                procs.kill_all()
    finally:
        procs.kill_all()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(report.summary(measurements, env))
    argv_used = list(argv if argv is not None else sys.argv[1:])
    report.write(args.output, report.document(measurements, env, wrk.version(wrk_path), argv_used))
    print(f"results: {args.output}")
    if any(m.verdict in {"ERROR", "INVALID"} for m in measurements):
        return 1
    return 1 if args.fail_on_miss and any(m.verdict == "FAIL" for m in measurements) else 0


if __name__ == "__main__":
    sys.exit(main())
