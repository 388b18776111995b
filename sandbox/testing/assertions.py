"""Outbox assertions that read like the domain, for `Tenant.assert_suppressed` and friends.

A failed assertion says what was expected and shows the outbox as it is: each message with its
status, reason and decision trace, so the failure explains itself without a debugger.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Messages = list[dict[str, Any]]

# messages a failure message shows in full (the newest first)
SHOWN = 20


@dataclass(frozen=True)
class Check:
    """What an assertion expects of the matching messages: `problem` says what is wrong with
    them (None: nothing). `none_wanted`: zero matches is a pass (a `count` of 0 makes sense)."""

    wanted: str  # "a suppressed message"
    each: str  # with a count: "exactly 2 matching messages, every one suppressed"
    problem: Callable[[Messages], str | None]
    none_wanted: bool = False
    # what the check itself asks of every match, shown with the filters (reason='...')
    asks: dict[str, Any] = field(default_factory=dict)

    def text(self, filters: dict[str, Any], count: int | None) -> str:
        shown = {**filters, **self.asks}
        named = ", ".join(f"{k}={v!r}" for k, v in shown.items() if v is not None)
        kind = self.wanted if count is None else f"exactly {count} matching, {self.each}"
        return f"{kind} ({named})" if named else kind

    def __call__(self, found: Messages) -> str | None:
        return self.problem(found)


def every(status: str, reason: str | None) -> Check:
    """At least one message, and every one of them `status` (with `reason`, when given)."""

    def problem(found: Messages) -> str | None:
        if not found:
            return "no such message was recorded"
        wrong = [m for m in found if m["status"] != status or (reason and m["reason"] != reason)]
        if wrong:
            return (
                f"{len(wrong)} of {len(found)} matching messages are not; first: {line(wrong[0])}"
            )
        return None

    wanted, each = f"a {status.lower()} message", f"every one {status.lower()}"
    return Check(wanted, each, problem, asks={"reason": reason})


def _none_delivered(found: Messages) -> str | None:
    delivered = [m for m in found if m["status"] == "DELIVERED"]
    if delivered:
        return f"{len(delivered)} matching messages were delivered; first: {line(delivered[0])}"
    return None


def _none_recorded(found: Messages) -> str | None:
    if found:
        return f"{len(found)} matching messages were recorded; newest: {line(found[0])}"
    return None


none_delivered = Check("nothing delivered", "none delivered", _none_delivered, none_wanted=True)
none_recorded = Check("no message", "none", _none_recorded, none_wanted=True)


def check_count(call: str, count: int | None, least: int) -> None:
    """`count` is a whole number of messages an assertion can expect (TypeError, ValueError)."""
    __tracebackhide__ = True  # pytest shows the test's line that gave it, not this one
    if count is None:
        return
    if type(count) is not int:
        raise TypeError(f"{call}() count must be an int, not {type(count).__name__}")
    if count < least:
        hint = "; to expect none, use assert_nothing_sent()" if least else ""
        raise ValueError(f"{call}() count must be at least {least}, not {count}{hint}")


def miscounted(found: Messages, count: int | None) -> str | None:
    if count is None or len(found) == count:
        return None
    found_text = f"{len(found)} matching message{'' if len(found) == 1 else 's'}"
    return f"found {found_text}, expected {count}"


def line(message: dict[str, Any]) -> str:
    reason = f" {message['reason']}" if message.get("reason") else ""
    return (
        f"#{message['id']} {message['vendor']} {message['operation']} {message['channel']} "
        f"to {message['to']}: {message['status']}{reason}"
    )


def describe(messages: Sequence[dict[str, Any]]) -> str:
    """The outbox as a person reads it: one line per message, its decision trace below."""
    if not messages:
        return "the outbox is empty"
    lines = [f"the outbox holds (newest first, at most {SHOWN}):"]
    for message in messages:
        lines.append(f"  {line(message)}")
        lines.extend(
            f"      {step['rule']}: {step['outcome']} - {step['detail']}"
            for step in message.get("decision", [])
        )
    return "\n".join(lines)
