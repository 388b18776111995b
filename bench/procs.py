"""Child processes in their own process groups, optionally pinned to CPUs, always cleaned up.

Every child the harness starts is registered here; on exit, on an exception and on SIGTERM
the whole process group of each one still alive is killed, so no server outlives a run.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import IO

_LIVE: dict[int, subprocess.Popen[bytes]] = {}


def spawn(
    argv: Sequence[str],
    *,
    cpus: frozenset[int] | None = None,
    stdout: IO[bytes] | int | None = None,
    stderr: IO[bytes] | int | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` as the leader of a new process group, pinned to `cpus` if given."""

    def pin() -> None:  # runs in the child between fork and exec: threads inherit it
        if cpus:
            os.sched_setaffinity(0, cpus)

    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        cwd=cwd,
        env=env,
        process_group=0,
        preexec_fn=pin if cpus else None,  # noqa: PLW1509 - the harness is single-threaded
    )
    _LIVE[proc.pid] = proc
    return proc


def signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send `sig` to the process group `proc` leads (nothing if it is already gone)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def stop(proc: subprocess.Popen[bytes], *, grace: float = 10.0) -> int:
    """SIGTERM the group, SIGKILL it after `grace` seconds; returns the exit status."""
    if proc.poll() is None:
        signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            signal_group(proc, signal.SIGKILL)
            proc.wait()
    signal_group(proc, signal.SIGKILL)  # stragglers the leader left behind
    _LIVE.pop(proc.pid, None)
    return proc.returncode


def kill9(proc: subprocess.Popen[bytes]) -> int:
    """`kill -9` the whole group, as a crash would, and reap the leader."""
    signal_group(proc, signal.SIGKILL)
    proc.wait()
    _LIVE.pop(proc.pid, None)
    return proc.returncode


def kill_all() -> None:
    for proc in list(_LIVE.values()):
        signal_group(proc, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        _LIVE.pop(proc.pid, None)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    sys.exit(128 + signum)  # unwinds: finally blocks and atexit run


def install_cleanup() -> None:
    atexit.register(kill_all)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGHUP, _on_sigterm)


def cpu_plan() -> tuple[frozenset[int] | None, frozenset[int] | None, str]:
    """(server CPUs, load generator CPUs, a note): separate cores when there are two."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) >= 2:
        server, client = frozenset({available[-1]}), frozenset({available[0]})
        note = (
            f"{len(available)} CPUs: server pinned to CPU {available[-1]}, "
            f"wrk to CPU {available[0]} (the harness itself is idle during a run)"
        )
        return server, client, note
    return None, None, "1 CPU: wrk shares the CPU with the server; figures understate both"


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of `pid` in KiB, from /proc/<pid>/status."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in {"VmRSS", "VmHWM"}:
                values[name] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)
