"""The sections of a tenant document that belong to no vendor: the clock, settings, faults, the
outbox, the messages scheduled for later, the interaction history and the id sequences
(docs/contract.md sections 3 and 8).

A fixture may declare any of them; a snapshot writes them all. `tables` turns them into store
documents, `sections` reads them back out of a tenant, and the two are inverses: a tenant made
from `sections(data)` shows the same clock, settings, faults, outbox (same ids, same order) and
interaction history, and gives the same next ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sandbox.clock import (
    EARLIEST,
    LATEST,
    Clock,
    OutOfRange,
    checked,
    iso,
    parse_iso,
    valid_time,
)
from sandbox.doc import Doc
from sandbox.errors import InvalidInput
from sandbox.schedule import SCHEDULED
from sandbox.store import TenantData
from sandbox.vendor import refuse_repeated
from sandbox.webhooks import checked_url

MESSAGES = "messages"  # the outbox's collection


def tables(document: dict[str, Any], operations: Mapping[str, str]) -> dict[str, list[Doc]]:
    """Store documents for the core sections a document declares; `operations` maps each
    vendor operationId a fault may name to its vendor."""
    result: dict[str, list[Doc]] = {}
    meta: list[Doc] = []
    if document.get("clock") is not None:
        meta.append({"id": "clock", **_clock(document["clock"]).to_doc()})
    settings = document.get("settings") or {}
    if settings.get("rate_limits") or settings.get("webhook_url"):
        meta.append(
            settings_doc(
                settings.get("rate_limits") or {},
                checked_url(settings["webhook_url"], "settings.webhook_url")
                if settings.get("webhook_url")
                else None,
            )
        )
    if settings.get("outbox_retention") is not None:
        result["_capacity"] = [{"id": MESSAGES, "capacity": settings["outbox_retention"]}]
    if meta:
        result["meta"] = meta
    if document.get("faults"):
        faults = [_fault(f, f"faults[{i}]", operations) for i, f in enumerate(document["faults"])]
        result["faults"] = _once(faults, "operationId", "faults")
    # the id sequences: as declared, and past every id the document's records hold (merged
    # by their highest value)
    sequences = [{"id": name, "value": n} for name, n in (document.get("sequences") or {}).items()]
    messages = [_message(m, f"outbox[{i}]") for i, m in enumerate(document.get("outbox") or [])]
    if messages:
        result[MESSAGES] = _once(messages, "id", "outbox")
        sequences.append({"id": "message", "value": max(int(m["id"]) for m in messages)})
    scheduled = [
        _scheduled(item, f"scheduled[{i}]")
        for i, item in enumerate(document.get("scheduled") or [])
    ]
    if scheduled:
        result[SCHEDULED] = _once(scheduled, "id", "scheduled")
        sequences.append({"id": SCHEDULED, "value": max(int(item["id"]) for item in scheduled)})
    history = document.get("interaction_history")
    rows = _history(history) if history is not None else _counted(messages)
    if rows:
        result[f"_tally.{MESSAGES}"] = rows
    if sequences:
        result["_sequences"] = sequences
    return result


def settings_doc(rate_limits: Mapping[str, Any], webhook_url: str | None) -> Doc:
    """The stored settings: rate limits (a vendor without one left out) and the webhook."""
    doc: Doc = {
        "id": "settings",
        "rate_limits": {v: n for v, n in rate_limits.items() if n is not None},
    }
    if webhook_url is not None:
        doc["webhook_url"] = webhook_url
    return doc


def webhook_url(data: TenantData) -> str | None:
    """The webhook the tenant's settings name, if any."""
    settings = data["meta"].get("settings")
    return settings.get("webhook_url") if settings is not None else None


def stored_settings(data: TenantData) -> dict[str, Any]:
    """The tenant's settings as the control plane shows them."""
    stored = data["meta"].get("settings") or {}
    shown: dict[str, Any] = {
        "outbox_retention": data[MESSAGES].capacity,
        "rate_limits": stored.get("rate_limits", {}),
    }
    if stored.get("webhook_url") is not None:
        shown["webhook_url"] = stored["webhook_url"]
    return shown


def sections(data: TenantData) -> dict[str, Any]:
    """The core sections of `data`, as `tables` reads them."""
    clock = data.clock
    tallies = data[MESSAGES].tallies
    return {
        "clock": {**clock.describe(), "offset_seconds": clock.offset_seconds},
        "settings": stored_settings(data),
        "faults": sorted(data["faults"].values(), key=lambda f: f["operationId"]),
        "outbox": data[MESSAGES].snapshot(),  # oldest first: the order they were recorded in
        "scheduled": sorted(data[SCHEDULED].values(), key=lambda item: int(item["id"])),
        "interaction_history": [
            {"customer_id": group, "channel": str(kind), "count": count, "last_at": last}
            for group, kinds in tallies.items()
            for kind, (count, last) in kinds.items()
        ],
        "sequences": dict(sorted(data.sequences.items())),
    }


def _scheduled(given: dict[str, Any], where: str) -> Doc:
    """A message asked for later; `due` in the sandbox's own ISO form, so due items compare
    as text."""
    _sequenced(given["id"], f"{where}.id")
    due = iso(parse_iso(valid_time(given["due"], f"{where}.due")))
    return {**given, "due": due}


# the largest id an id sequence holds (a snapshot's `sequences` carries it: JSON's safe
# integers)
LARGEST_ID = 2**53 - 1


def _sequenced(given: str, field: str) -> None:
    """An id drawn from an id sequence (a number, as text), which the sequence moves past."""
    if int(given) > LARGEST_ID:
        raise InvalidInput(f"{field}: {given} is above {LARGEST_ID}", field=field)


def _once(docs: list[Doc], key: str, where: str) -> list[Doc]:
    """`docs`, refused when two share `key` (the second would silently replace the first)."""
    refuse_repeated(docs, key, where)
    return docs


def _clock(given: dict[str, Any]) -> Clock:
    """A frozen clock stops at `now`; a running one keeps its distance from real time
    (`offset_seconds`), or starts at `now` when only that is given."""
    try:
        if given.get("frozen"):
            if "now" not in given:
                raise InvalidInput("clock.now: a frozen clock needs the time", field="clock.now")
            return Clock(frozen_at=checked(parse_iso(str(given["now"]))))
        if given.get("offset_seconds") is not None:
            return _offset_clock(given["offset_seconds"])
        if given.get("now") is not None:
            return Clock().set(parse_iso(str(given["now"])), frozen=False)
    except (ValueError, OutOfRange) as exc:
        raise InvalidInput(f"clock.now: {exc}", field="clock.now") from None
    return Clock()


# how far past LATEST a running clock's offset may put it: a clock set to LATEST keeps
# running, and its snapshot must load back
_DRIFT = timedelta(days=366)


def _offset_clock(offset: float) -> Clock:
    """A running clock `offset` seconds from real time, if every instant it gives (and the
    vendors' arithmetic on it: a day, a token's lifetime) stays on the calendar."""
    clock = Clock(offset_seconds=float(offset))
    try:
        now = clock.now()
        if not EARLIEST <= now <= LATEST + _DRIFT:
            raise OutOfRange(iso(now))
    except (OverflowError, OutOfRange):
        raise InvalidInput(
            f"clock.offset_seconds: {offset:g} s from real time puts the clock outside "
            f"{iso(EARLIEST)} to {iso(LATEST)}",
            field="clock.offset_seconds",
        ) from None
    return clock


def _fault(given: dict[str, Any], where: str, operations: Mapping[str, str]) -> Doc:
    operation_id = given["operationId"]
    if operation_id not in operations:
        raise InvalidInput(
            f"{where}.operationId: no vendor operation {operation_id!r}",
            field=f"{where}.operationId",
        )
    times = given.get("times")
    return {
        "operationId": operation_id,
        "vendor": operations[operation_id],
        "status": given["status"],
        "times": times,
        "latency_ms": given.get("latency_ms", 0),
        "probability": given.get("probability", 1.0),
        "seed": given.get("seed", 0),
        "remaining": given.get("remaining", times),
        "calls": given.get("calls", 0),
        "faulted": given.get("faulted", 0),
    }


def _message(given: dict[str, Any], where: str) -> Doc:
    """A recorded message; `created_at` in the sandbox's own ISO form, as recorded ones are
    (the outbox's time filters compare it as text); snapshots older than `contact`,
    `contact_id` or `contact_list` have none."""
    _sequenced(given["id"], f"{where}.id")
    created = iso(parse_iso(valid_time(given["created_at"], f"{where}.created_at")))
    return {
        "contact": None,
        "contact_id": None,
        "contact_list": None,
        **given,
        "created_at": created,
    }


def _history(rows: list[dict[str, Any]]) -> list[Doc]:
    """Interaction history rows -> the store's tally: customer -> channel -> (count, last)."""
    groups: dict[str, dict[str, tuple[int, str | None]]] = {}
    for index, row in enumerate(rows):
        where = f"interaction_history[{index}].last_at"
        last = row.get("last_at")
        if last is None:  # (the interaction APIs show the time of the last one)
            if row["count"] == 0:
                continue  # no interactions: as if the row were not there
            raise InvalidInput(
                f"{where} is required when count is above 0 (the time of the last one)",
                field=where,
            )
        valid_time(last, where)
        groups.setdefault(str(row["customer_id"]), {})[row["channel"]] = (row["count"], last)
    return [{"id": group, "kinds": kinds} for group, kinds in groups.items()]


def _counted(messages: list[Doc]) -> list[Doc]:
    """The history of a document that declares an outbox but no history: its messages."""
    groups: dict[str, dict[str, tuple[int, str | None]]] = {}
    for message in messages:
        group = message.get("customer_id")
        if group is None:
            continue
        kinds = groups.setdefault(group, {})
        count, _ = kinds.get(message["channel"], (0, None))
        kinds[message["channel"]] = (count + 1, message["created_at"])
    return [{"id": group, "kinds": kinds} for group, kinds in groups.items()]


def now_of(document: dict[str, Any], fallback: datetime) -> datetime:
    """The time a document's own records are stamped with: its frozen clock, else `fallback`."""
    clock = document.get("clock")
    if clock and clock.get("frozen") and clock.get("now"):
        try:
            return checked(parse_iso(str(clock["now"])))
        except (ValueError, OutOfRange):
            return fallback
    return fallback
