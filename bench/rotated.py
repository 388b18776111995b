"""Sends per second of in-process loops, each under its own routes, in rotated rounds: the
plugin's benches per HTTP library (`plugin-libraries`, `plugin-aiohttp`, issue 25).

A side is the routes a loop runs under (a context manager, entered before the clock starts)
and the loop (`loop(n)` makes n sends). Every side runs once, unmeasured, to warm up; then
round after round every side runs once, the order rotated so each goes first as often, and
`after_round` runs (e.g. clearing the tenant's outbox). A figure is the median of two sides'
per-round ratios of sends per second, with their spread.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

Routes = Callable[[], AbstractContextManager[object]]
Loop = Callable[[int], None]


def rates(
    sides: dict[str, tuple[Routes, Loop]],
    rounds: int,
    sends: int,
    after_round: Callable[[], None],
    warm_up: int = 200,
) -> dict[str, list[float]]:
    """Each side's sends per second, round by round."""
    names = list(sides)
    for name in names:
        routes, loop = sides[name]
        with routes():
            loop(warm_up)
    measured: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            routes, loop = sides[name]
            with routes():
                started = time.perf_counter()
                loop(sends)
                measured[name].append(sends / (time.perf_counter() - started))
        after_round()
    return measured


def ratios(measured: dict[str, list[float]], first: str, second: str) -> list[float]:
    """first / second, round by round."""
    return [a / b for a, b in zip(measured[first], measured[second], strict=True)]


def figure(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):.2f}x (spread {min(ratios):.2f}-{max(ratios):.2f})"


def medians(measured: dict[str, list[float]]) -> dict[str, int]:
    """Each side's median sends per second."""
    return {name: round(statistics.median(values)) for name, values in measured.items()}


def details(
    measured: dict[str, list[float]], rounds: int, sends: int, **ratios: list[float]
) -> dict[str, Any]:
    """The report's JSON of one run: its rounds, each side's median sends per second, and
    each named ratio round by round."""
    return {
        "rounds": rounds,
        "sends_per_round": sends,
        "sends_per_second_median": medians(measured),
        **{name: [round(r, 3) for r in values] for name, values in ratios.items()},
    }
