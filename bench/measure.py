"""The five measurements of the project's performance targets."""

from __future__ import annotations

import shutil
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import noise, procs, servers
from bench.load import Driven, SendMessage, drive, seed
from bench.model import Env, Measurement
from bench.servers import running, start_bare, start_sandbox
from bench.wrk import WrkResult

THROUGHPUT_RATIO = 0.40
WRITE_COST_RATIO = 1.3
STARTUP_S = 1.0
MEMORY_MIB = 300
DEMO = "demo"


def _mib(kib: int) -> float:
    return kib / 1024


def _compaction_note(label: str, compactions: int) -> list[str]:
    if not compactions:
        return []
    return [
        f"{label}: the server compacted its journal into a snapshot {compactions} time(s) "
        "during the load (in a background thread, in short slices)"
    ]


def _fresh_dir(env: Env, name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=env.workdir))


ROUNDS = 3  # alternated rounds of every two-sided comparison (sandbox, bare, sandbox, ...)


def spread(ratios: list[float]) -> str:
    return f"median {statistics.median(ratios):.2f}, spread {min(ratios):.2f}-{max(ratios):.2f}"


def throughput_and_recovery(env: Env, *, throughput: bool, recovery: bool) -> list[Measurement]:
    """(1) sandbox vs bare Starlette under the same wrk load, the two alternated over ROUNDS
    rounds (a fresh server each time); the figure is the median of the per-round ratios with
    their spread. (5) kill -9 during load, then every acknowledged write looked for by its
    own content after a restart (bench/recovery.py)."""
    results: list[Measurement] = []
    if recovery:
        from bench.recovery import recovery_under_load

        results += recovery_under_load(env)
    if not throughput:
        return results
    logs = env.workdir / "logs"
    send = SendMessage.demo()
    ratios: list[float] = []
    loads: dict[str, WrkResult] = {}
    stacks: dict[str, list[str]] = {}
    compactions = 0
    valid = True
    for round_number in range(1, ROUNDS + 1):
        print(f"throughput round {round_number}/{ROUNDS}: sandbox, then bare", flush=True)
        sandbox = start_sandbox(_fresh_dir(env, "throughput"), logs, env.server_cpus)
        with running(sandbox):
            stacks["sandbox"] = sandbox.native_stack()
            send.check(sandbox)
            driven = drive(env, sandbox, send)
            compactions += driven.compactions
        bare = start_bare(logs, env.server_cpus)
        with running(bare):
            stacks["bare"] = bare.native_stack()
            send.check(bare)
            baseline = drive(env, bare, send).measured
        ours = driven.measured
        valid = valid and ours.errors == 0 and baseline.errors == 0
        ratios.append(ours.requests_per_s / baseline.requests_per_s)
        loads[f"sandbox, round {round_number}"] = ours
        loads[f"bare, round {round_number}"] = baseline
    ratio = statistics.median(ratios)
    results.append(
        Measurement(
            key="throughput",
            title="sendMessage throughput vs bare Starlette",
            figure=f"{ratio:.1%} of bare ({spread(ratios)} over {ROUNDS} alternated rounds)",
            target=f">= {THROUGHPUT_RATIO:.0%}",
            passed=ratio >= THROUGHPUT_RATIO,
            valid=valid,
            details={
                "ratio": ratio,
                "ratios": ratios,
                "compactions_during_load": compactions,
                "sandbox_loaded": stacks.get("sandbox"),
                "bare_loaded": stacks.get("bare"),
            },
            loads=loads,
            notes=[
                "both on uvicorn, one worker; loaded: sandbox "
                f"{' + '.join(stacks.get('sandbox') or []) or 'neither uvloop nor httptools'}, "
                f"bare {' + '.join(stacks.get('bare') or []) or 'neither uvloop nor httptools'}; "
                "same wrk script (POST body and Basic auth) against the same path",
                *_compaction_note("sandbox (demo)", compactions),
            ],
        )
    )
    return results


def write_cost(env: Env) -> list[Measurement]:
    """(2) p50 of sendMessage with 1k vs 100k customers and stored messages. Each side is
    seeded once; every round starts a fresh server on a fresh copy of its seeded data, the
    sides alternated over ROUNDS rounds; the figure is the median of the per-round ratios."""
    config = env.config
    loads: dict[str, WrkResult] = {}
    details: dict[str, object] = {}
    notes: list[str] = []
    seeded = {}
    for size in (config.small, config.large):
        print(f"write cost: seeding {size:,} customers and {size:,} stored messages", flush=True)
        data_dir = _fresh_dir(env, f"write-{size}")
        seeded[size] = (data_dir, seed(data_dir, size, size, config.write_cost_retention))
    ratios: list[float] = []
    valid = True
    for round_number in range(1, ROUNDS + 1):
        p50: dict[int, float] = {}
        for size in (config.small, config.large):
            source, seeds = seeded[size]
            label = f"{size:,} stored, round {round_number}"
            print(f"write cost round {round_number}/{ROUNDS}: {size:,} stored", flush=True)
            data_dir = _fresh_dir(env, f"write-{size}-{round_number}")
            shutil.copytree(source, data_dir, dirs_exist_ok=True)
            (data_dir / "LOCK").unlink(missing_ok=True)
            server = start_sandbox(
                data_dir,
                env.workdir / "logs",
                env.server_cpus,
                outbox_retention=config.write_cost_retention,
            )
            send = SendMessage.seeded(seeds)
            with running(server):
                send.check(server)
                total = servers.outbox_total(server, seeds.tenant)
                if total != size + 1:
                    raise servers.ServerFailed(
                        f"{label}: the outbox holds {total} after one send, expected "
                        f"{size + 1}: the seeded messages were not loaded as stored"
                    )
                driven = drive(env, server, send)
                rss, hwm = procs.rss_kib(server.pid)
            loads[label] = driven.measured
            valid = valid and driven.measured.errors == 0
            p50[size] = driven.measured.p50
            notes += _compaction_note(label, driven.compactions)
            details[label] = {
                "compactions_during_load": driven.compactions,
                "seed_s": seeds.seconds,
                "ready_s": server.ready_s,
                "rss_mib_after_load": _mib(rss),
                "peak_rss_mib": _mib(hwm),
            }
        ratios.append(p50[config.large] / p50[config.small])
    ratio = statistics.median(ratios)
    details["ratio"] = ratio
    details["ratios"] = ratios
    return [
        Measurement(
            key="write-cost",
            title=f"sendMessage p50, {config.large:,} vs {config.small:,} stored",
            figure=f"{ratio:.2f}x ({spread(ratios)} over {ROUNDS} alternated rounds)",
            target=f"<= {WRITE_COST_RATIO}x",
            passed=ratio <= WRITE_COST_RATIO,
            valid=valid,
            details=details,
            loads=loads,
            notes=[
                "customers and messages seeded offline through the store API, copied fresh for "
                "every round; server started with --outbox-retention "
                f"{config.write_cost_retention}",
                *notes,
            ],
        )
    ]


def startup(env: Env) -> list[Measurement]:
    """(3) spawn to the first 200 from GET /_sandbox/health, fresh data directory."""
    config = env.config
    times: list[float] = []
    disturbed = 0
    while len(times) < config.startup_repeats and disturbed < 2 * config.startup_repeats:
        noise.wait_quiet(min(10.0, config.quiet_wait_s))
        server = start_sandbox(_fresh_dir(env, "startup"), env.workdir / "logs", env.server_cpus)
        window = noise.CpuWindow(server.pid)
        with running(server, timeout=30):
            other = window.close()["other_cpus"]
            assert server.ready_s is not None
        quiet = other <= noise.QUIET_CPUS
        print(
            f"startup {len(times) + 1}: {server.ready_s:.3f} s"
            + ("" if quiet else f" (other processes used {other:.2f} CPUs: not counted)"),
            flush=True,
        )
        if quiet:
            times.append(server.ready_s)
        else:
            disturbed += 1
    if not times:
        raise RuntimeError("every start-up attempt was disturbed by other processes")
    median = statistics.median(times)
    return [
        Measurement(
            key="startup",
            title="Start-up to first healthy answer",
            figure=f"median {median:.3f} s, min {min(times):.3f} s, max {max(times):.3f} s",
            target=f"< {STARTUP_S:g} s (median)",
            passed=median < STARTUP_S,
            details={
                "times_s": times,
                "median_s": median,
                "min_s": min(times),
                "disturbed_attempts": disturbed,
            },
            notes=["comms-sandbox serve on a fresh data directory: creates the demo tenant"],
        )
    ]


@dataclass
class _Resident:
    rss_kib: int
    peak_kib: int
    idle_kib: int
    outbox_total: int
    ready_s: float | None
    driven: Driven


def _resident(env: Env) -> _Resident:
    """Seed, start with the default retention, load it, read its RSS."""
    config = env.config
    data_dir = _fresh_dir(env, "memory")
    seeded = seed(data_dir, config.memory_customers, config.memory_messages, 10_000)
    send = SendMessage.seeded(seeded)
    server = start_sandbox(data_dir, env.workdir / "logs", env.server_cpus)
    with running(server):
        idle, _ = procs.rss_kib(server.pid)
        send.check(server)
        driven = drive(env, server, send, duration_s=config.memory_load_s)
        rss, hwm = procs.rss_kib(server.pid)
        total = servers.outbox_total(server, seeded.tenant)
    return _Resident(rss, hwm, idle, total, server.ready_s, driven)


def memory(env: Env) -> list[Measurement]:
    """(4) RSS with 100k customers and a full outbox (default retention), after a load."""
    config = env.config
    customers = config.memory_customers
    print(f"memory: {customers:,} customers, {config.memory_messages:,} messages", flush=True)
    held = _resident(env)
    rss = _mib(held.rss_kib)
    return [
        Measurement(
            key="memory",
            title=f"RSS, {customers:,} customers + full outbox",
            figure=(
                f"VmRSS {rss:.0f} MiB (peak {_mib(held.peak_kib):.0f}, "
                f"before the load {_mib(held.idle_kib):.0f})"
            ),
            target=f"< {MEMORY_MIB} MiB",
            passed=rss < MEMORY_MIB,
            valid=held.driven.errors == 0,
            details={
                "customers": customers,
                "rss_mib": rss,
                "peak_rss_mib": _mib(held.peak_kib),
                "idle_rss_mib": _mib(held.idle_kib),
                "outbox_total": held.outbox_total,
                "ready_s": held.ready_s,
                "compactions_during_load": held.driven.compactions,
            },
            loads={f"sandbox mem {customers:,}": held.driven.measured},
            notes=[
                f"default outbox retention; after a {config.memory_load_s:g} s sendMessage load "
                f"the outbox holds {held.outbox_total:,} messages; /proc/<pid>/status VmRSS; "
                "every customer has a status label (every tenth Suspended)",
            ],
        )
    ]
