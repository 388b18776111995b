"""Outbox assertions that read like the domain, for `Tenant.assert_suppressed` and friends.

A failed assertion says what was expected and shows the outbox as it is: each message with its
status, reason and decision trace, so the failure explains itself without a debugger.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Messages = list[dict[str, Any]]
# the outbox as the control plane lists it, newest first, with the given filters
Fetch = Callable[..., Messages]

# messages a failure message shows in full (the newest first)
SHOWN = 20


def expect(
    fetch: Fetch,
    wanted: str,
    filters: dict[str, Any],
    check: Callable[[Messages], str | None],
) -> Messages:
    """The messages matching `filters`; AssertionError if `check` finds a fault with them."""
    found = fetch(**{k: v for k, v in filters.items() if v is not None})
    problem = check(found)
    if problem is not None:
        raise AssertionError(f"expected {wanted}: {problem}\n{describe(fetch(limit=SHOWN))}")
    return found


def every(status: str, reason: str | None) -> Callable[[Messages], str | None]:
    """At least one message, and every one of them `status` (with `reason`, when given)."""

    def check(found: Messages) -> str | None:
        if not found:
            return "no such message was recorded"
        wrong = [m for m in found if m["status"] != status or (reason and m["reason"] != reason)]
        if wrong:
            return (
                f"{len(wrong)} of {len(found)} matching messages are not; first: {line(wrong[0])}"
            )
        return None

    return check


def none_delivered(found: Messages) -> str | None:
    delivered = [m for m in found if m["status"] == "DELIVERED"]
    if delivered:
        return f"{len(delivered)} matching messages were delivered; first: {line(delivered[0])}"
    return None


def none_recorded(found: Messages) -> str | None:
    if found:
        return f"{len(found)} matching messages were recorded; newest: {line(found[0])}"
    return None


def wanted_text(kind: str, filters: dict[str, Any]) -> str:
    named = ", ".join(f"{k}={v!r}" for k, v in filters.items() if v is not None)
    return f"{kind} ({named})" if named else kind


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
