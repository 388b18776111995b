"""Is anything else using the CPUs? Figures taken while other processes run are not comparable.

CPU accounting from /proc: the machine's busy time (/proc/stat) minus what the server and
wrk used is what other processes took during a run.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

_TICK = os.sysconf("SC_CLK_TCK")
QUIET_CPUS = 0.15  # other processes may use this many CPUs and the machine counts as quiet


def machine_busy_s() -> float:
    """CPU-seconds all CPUs spent running processes since boot, plus time the hypervisor stole.

    Interrupt and softirq time is left out: loopback TCP under a load generator spends a
    good share of a CPU there, and it belongs to the benchmark, not to other processes.
    """
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + steal) / _TICK


def process_cpu_s(pid: int) -> float:
    """utime + stime of a live process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def children_cpu_s() -> float:
    """CPU-seconds of the harness's children that have been reaped."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuWindow:
    """Opened before a run and closed after it: how much CPU went to whom."""

    server_pid: int
    wall0: float = 0.0
    busy0: float = 0.0
    server0: float = 0.0
    children0: float = 0.0
    harness0: float = 0.0

    def __post_init__(self) -> None:
        self.wall0 = time.perf_counter()
        self.busy0 = machine_busy_s()
        self.server0 = process_cpu_s(self.server_pid)
        self.children0 = children_cpu_s()
        self.harness0 = time.process_time()

    def close(self) -> dict[str, float]:
        """CPUs (CPU-seconds per second) used by the server, by wrk and by anything else."""
        wall = max(1e-9, time.perf_counter() - self.wall0)
        busy = machine_busy_s() - self.busy0
        server = process_cpu_s(self.server_pid) - self.server0
        client = children_cpu_s() - self.children0  # wrk, reaped inside the window
        harness = time.process_time() - self.harness0
        return {
            "server_cpus": server / wall,
            "wrk_cpus": client / wall,
            "other_cpus": max(0.0, busy - server - client - harness) / wall,
        }


def other_load(seconds: float = 1.0) -> float:
    """CPUs the machine is busy with now (the harness's servers are idle when this runs)."""
    busy0, wall0 = machine_busy_s(), time.perf_counter()
    time.sleep(seconds)
    return (machine_busy_s() - busy0) / (time.perf_counter() - wall0)


def wait_quiet(max_wait_s: float) -> float:
    """Wait up to `max_wait_s` for the machine to be quiet; returns the last busy figure."""
    deadline = time.perf_counter() + max_wait_s
    busy = other_load(0.5)
    while busy > QUIET_CPUS and time.perf_counter() < deadline:
        busy = other_load(1.0)
    return busy
