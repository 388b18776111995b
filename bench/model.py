"""What a benchmark run is configured with, and what each measurement reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.wrk import WrkResult


@dataclass(frozen=True)
class Config:
    duration_s: float = 10.0  # each measured wrk run
    warmup_s: float = 2.0  # an unmeasured wrk run before each measured one
    connections: int = 32
    threads: int = 1
    small: int = 1_000  # customers and stored messages, write-cost baseline
    large: int = 100_000  # customers and stored messages, write-cost comparison
    write_cost_retention: int = 200_000
    memory_customers: int = 100_000
    memory_messages: int = 10_000  # a full outbox at the default retention
    memory_load_s: float = 5.0
    recovery_retention: int = 1_000_000  # above any request count of one run
    startup_repeats: int = 5
    quiet_wait_s: float = 30.0  # how long to wait for other processes to leave the CPUs
    attempts: int = 3  # measured runs disturbed by other processes are made again

    @classmethod
    def quick(cls) -> Config:
        """Shorter runs, fewer repeats; data sizes stay those the targets are defined at."""
        return cls(
            duration_s=3.0,
            warmup_s=1.0,
            memory_load_s=2.0,
            startup_repeats=3,
            quiet_wait_s=10.0,
            attempts=2,
        )

    def wrk_label(self) -> str:
        return f"wrk -t{self.threads} -c{self.connections} -d{self.duration_s:g}s --latency"


@dataclass(frozen=True)
class Env:
    config: Config
    workdir: Path  # temporary: data directories, logs, wrk scripts
    wrk: str
    server_cpus: frozenset[int] | None
    client_cpus: frozenset[int] | None
    cpu_note: str


@dataclass
class Measurement:
    key: str
    title: str
    figure: str
    target: str
    passed: bool | None  # None: informational, no target
    valid: bool = True  # False when the load saw errors: the figure means nothing
    details: dict[str, Any] = field(default_factory=dict)
    loads: dict[str, WrkResult] = field(default_factory=dict)  # label -> measured wrk run
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the measurement could not be made

    @classmethod
    def failed(cls, key: str, error: str) -> Measurement:
        first = error.strip().splitlines()[0] if error.strip() else "error"
        return cls(key, key, f"error: {first[:80]}", "", passed=False, valid=False, error=error)

    @property
    def verdict(self) -> str:
        if self.error is not None:
            return "ERROR"
        if not self.valid:
            return "INVALID"
        if self.passed is None:
            return "info"
        return "PASS" if self.passed else "FAIL"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "figure": self.figure,
            "target": self.target,
            "verdict": self.verdict,
            "passed": self.passed,
            "valid": self.valid,
            "details": self.details,
            "loads": {label: result.to_json() for label, result in self.loads.items()},
            "notes": self.notes,
            "error": self.error,
        }
