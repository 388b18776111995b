"""Two loads on one server, compared: the same wrk load on each side, the sides alternated
round after round, the first side swapped each round (an even number of rounds: each goes
first in half), so a drift of the machine's speed or of the server's state favours neither.
The figure is the median of the per-round ratios first p50 / second p50, with their spread;
the server CPU per request of each side is kept beside it (the figure a busy machine disturbs
least). Used by `trigger-send` and `contact-listing`."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench import noise, wrk
from bench.load import Load, drive
from bench.model import Env
from bench.servers import Server


@dataclass
class Paired:
    first: str
    second: str
    rounds: int
    loads: dict[str, wrk.WrkResult] = field(default_factory=dict)  # "name #round" -> run
    p50s: dict[str, list[float]] = field(default_factory=dict)
    cpu_us: dict[str, list[float]] = field(default_factory=dict)
    compactions: dict[str, int] = field(default_factory=dict)
    ratios: list[float] = field(default_factory=list)  # first / second p50, per round

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    def p50(self, name: str) -> float:
        return statistics.median(self.p50s[name])

    def cpu(self, name: str) -> float:
        return statistics.median(self.cpu_us[name])

    @property
    def cpu_ratios(self) -> list[float]:
        pairs = zip(self.cpu_us[self.first], self.cpu_us[self.second], strict=True)
        return [a / b for a, b in pairs]

    @property
    def valid(self) -> bool:
        return all(load.errors == 0 for load in self.loads.values())

    @property
    def disturbed(self) -> list[str]:
        return sorted(
            label for label, load in self.loads.items() if load.other_cpus > noise.QUIET_CPUS
        )

    def figure(self) -> str:
        return (
            f"{self.ratio:.2f}x (median of {self.rounds} alternated rounds, spread "
            f"{min(self.ratios):.2f}-{max(self.ratios):.2f}); p50 {self.p50(self.first):.2f} vs "
            f"{self.p50(self.second):.2f} ms"
        )

    def details(self) -> dict[str, Any]:
        """The figures each round gave, for the report's JSON."""
        return {
            "ratio": self.ratio,
            "ratios": self.ratios,
            "p50_ms": self.p50s,
            "median_p50_ms": {name: self.p50(name) for name in (self.first, self.second)},
            "server_cpu_us_per_request": self.cpu_us,
            "cpu_ratios": self.cpu_ratios,
            "disturbed_runs": self.disturbed,
        }

    def per_round(self) -> str:
        """Each round's first/second p50 and their ratio."""
        rows = zip(self.p50s[self.first], self.p50s[self.second], self.ratios, strict=True)
        return ", ".join(f"{a:.2f}/{b:.2f} ms = {r:.2f}" for a, b, r in rows)

    def cpu_note(self) -> str:
        return (
            f"median server CPU per request: {self.first} {self.cpu(self.first):.0f} us, "
            f"{self.second} {self.cpu(self.second):.0f} us (per-round ratios "
            f"{', '.join(f'{r:.2f}' for r in self.cpu_ratios)}, median "
            f"{statistics.median(self.cpu_ratios):.2f}); runs disturbed by other processes: "
            f"{', '.join(self.disturbed) or 'none'}"
        )


def alternate(env: Env, server: Server, sides: dict[str, Load], rounds: int, label: str) -> Paired:
    """`rounds` rounds of both `sides` (two, first and second) on `server`, alternated."""
    first, second = sides
    paired = Paired(first, second, rounds)
    for name in sides:
        paired.p50s[name], paired.cpu_us[name], paired.compactions[name] = [], [], 0
    for round_ in range(1, rounds + 1):
        for name in (first, second) if round_ % 2 else (second, first):
            print(f"{label} round {round_}/{rounds}: {name}", flush=True)
            driven = drive(env, server, sides[name])
            paired.loads[f"{name} #{round_}"] = driven.measured
            paired.p50s[name].append(driven.measured.p50)
            paired.cpu_us[name].append(driven.measured.server_cpu_us_per_request)
            paired.compactions[name] += driven.compactions
        paired.ratios.append(paired.p50s[first][-1] / paired.p50s[second][-1])
    return paired
