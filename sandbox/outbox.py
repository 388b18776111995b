"""Records every communication a vendor API triggers as an outbox message with its decision.

One function for every vendor: the vendor gathers the facts about the recipient, the engine
decides, and this module writes the message in the contract's shape (docs/contract.md section 4)
in the same transaction as the API call's other writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any

from sandbox import normalise, spelling
from sandbox.clock import OutOfRange, iso, parse_iso
from sandbox.doc import Doc
from sandbox.engine import Decision, Facts, Intent, RuleResult, decide
from sandbox.errors import InvalidInput
from sandbox.outbox_filters import EXACT, FILTERS, TEXT_FIELDS
from sandbox.store import Collection, Tx

MESSAGE_IDS_START = 1_000_001


@lru_cache(maxsize=4096)
def trace_doc(trace: tuple[RuleResult, ...]) -> list[dict[str, str]]:
    """The stored form of a trace. Most messages repeat a few traces, and documents are never
    mutated, so equal traces share one list: a full outbox costs a fraction of the memory."""
    return [result.to_doc() for result in trace]


class Recorder:
    """The one entrance to the outbox, for a request's handler (`Context.outbox`) and a due
    scheduled item's delivery (sandbox/schedule.py) alike: each message it records is decided
    and staged in the caller's transaction, stamped with one moment (`now`: the request's
    time, or the item's due time), and its id kept in `message_ids` (a request's go to its
    request log entry)."""

    __slots__ = ("message_ids", "now", "stamp")

    def __init__(self, now: datetime, message_ids: list[str] | None = None) -> None:
        self.now = now
        self.stamp = iso(now)  # formatted once, for every message it records
        self.message_ids: list[str] = [] if message_ids is None else message_ids

    def record(
        self,
        tx: Tx,
        intent: Intent,
        facts: Facts,
        *,
        subject: str | None = None,
        body: str | None = None,
    ) -> tuple[Doc, Decision]:
        """Decide `intent` against `facts` and stage the message; returns it and the
        decision."""
        decision = decide(intent, facts)
        message_id = str(tx.next_id("message", MESSAGE_IDS_START))
        # (unpacked at once: a named field's read is a slow attribute lookup on Python 3.11)
        vendor, operation, channel, category, priority, to, sender, contact = intent
        _, customer_id, _, _, _, _, _, _, _, _, contact_id, contact_list = facts
        status, reason, trace = decision
        message = {
            "id": message_id,
            "vendor": vendor,
            "operation": operation,
            # enum members are str: stored as they are, one shared object each
            "channel": channel,
            "to": to,
            "from": sender,
            "customer_id": customer_id,
            "contact": contact,
            "contact_id": contact_id,
            "contact_list": contact_list,
            "category": category,
            "priority": priority,
            "subject": subject,
            "body": body,
            "status": status,
            "reason": reason,
            "decision": trace_doc(trace),
            "created_at": self.stamp,
        }
        tx.put("messages", message)
        self.message_ids.append(message_id)
        return message, decision


# a letter: what no phone number holds (a WeChat id, an alphanumeric sender)
_LETTER = re.compile(r"[^\W\d_]")


def recipient_key(value: str) -> str:
    """The same recipient however it was written (sandbox/normalise.py's keys): an e-mail
    address in any case, without display name or trailing dot; a number's digits with the
    country code (`+`, `00`, spaces, dashes, dots and parentheses read away); anything with
    a letter (a WeChat id) trimmed, as it is: its digits are not it."""
    if "@" in value:
        return normalise.email(value)
    if _LETTER.search(value) is not None:
        return normalise.text(value)
    return normalise.phone(value) or value.strip()


Match = Callable[[Doc], bool]


def page(
    messages: Collection,
    filters: Mapping[str, Any],
    offset: int,
    limit: int,
    named: Match | None = None,
) -> tuple[list[Doc], int]:
    """The `limit` messages from `offset` of those matching every filter given (newest
    first), and how many match: `customer_id` by its index, the rest by `matcher` (`named`:
    the messages free text finds besides those holding it). Unfiltered, or by customer alone,
    the page costs `offset + limit` steps, not a walk of the outbox."""
    match = matcher(filters, named)
    customer = filters.get("customer_id")
    if match is None:
        if customer:
            source = messages.newest_by("customer_id", customer)
            return list(islice(source, offset, offset + limit)), messages.count_by(
                "customer_id", customer
            )
        return list(islice(messages.newest(), offset, offset + limit)), len(messages)
    found: list[Doc] = []
    total = 0
    end = offset + limit
    for doc in messages.newest_by("customer_id", customer) if customer else messages.newest():
        if match(doc):
            if offset <= total < end:
                found.append(doc)
            total += 1
    return found, total


def matcher(filters: Mapping[str, Any], named: Match | None = None) -> Match | None:
    """A check of a message against every filter given other than `customer_id` (None when
    none is); a blank filter filters nothing; free text (`q`) also finds the messages `named`
    tells (the web outbox's: those to a recipient whose name holds it). An unknown filter, or
    a time that is not ISO 8601, is an InvalidInput naming it."""
    for name in filters:
        if name not in FILTERS:
            raise InvalidInput(spelling.unknown("filter", name, FILTERS), field=name)
    given = {name: value for name, value in filters.items() if not _blank(value)}
    checks: list[Match] = [_equal(name, given[name]) for name in EXACT if name in given]
    # the recipient however written; the sender trimmed, then exactly (as blocklists do)
    for name, key in (("to", recipient_key), ("from", normalise.text)):
        if name in given:
            checks.append(_same(name, key, given[name]))
    since = _bound(given, "since")
    until = _bound(given, "until")
    if since is not None or until is not None:
        checks.append(_created_within(since, until))
    text = str(given.get("q") or "").strip().lower()
    if text:
        checks.append(_has_text(text, named))
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda doc: all(check(doc) for check in checks)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _equal(name: str, value: Any) -> Match:
    return lambda doc: doc.get(name) == value


def _same(name: str, key: Callable[[str], str], value: Any) -> Match:
    wanted = key(str(value))
    return lambda doc: key(doc.get(name) or "") == wanted


def _has_text(text: str, named: Match | None) -> Match:
    """`text` in any of the TEXT_FIELDS: one lower-cased join of them per message (half the
    time of a look at each), NUL between them so that no match spans two fields; or a
    message `named` tells."""

    def check(doc: Doc) -> bool:
        values = map(doc.get, TEXT_FIELDS)
        joined = "\0".join([v if isinstance(v, str) else str(v or "") for v in values])
        return text in joined.lower() or (named is not None and named(doc))

    return check


def _created_within(since: str | None, until: str | None) -> Match:
    def check(doc: Doc) -> bool:
        created = _instant(doc.get("created_at"))
        return (
            created is not None
            and (since is None or created >= since)
            and (until is None or created < until)
        )

    return check


def _bound(filters: Mapping[str, Any], name: str) -> str | None:
    """`since` or `until` as the outbox writes times (ISO 8601, UTC, milliseconds), so that
    bounds compare with `created_at` as text; a sub-millisecond bound rounds up (no message
    at 10:00:00.000 is at or after 10:00:00.0005)."""
    value = filters.get(name)
    if value is None:
        return None
    try:
        moment = _parse_bound(str(value))
    except ValueError:
        raise InvalidInput(
            f"{name}: {value!r} is not an ISO 8601 date-time or date", field=name
        ) from None
    # (past the calendar's last millisecond: it stays, no message is after it)
    with suppress(OverflowError):
        moment += timedelta(microseconds=-moment.microsecond % 1000)
    return iso(moment)


def _instant(stamp: Any) -> str | None:
    """A message's created_at as `iso` writes it: as it is when the outbox wrote it, else
    parsed (a snapshot's time may be written another way); None when it is no time."""
    if type(stamp) is str and len(stamp) == 24 and stamp[10] == "T" and stamp[23] == "Z":
        return stamp
    try:
        return iso(parse_iso(str(stamp)))
    except ValueError:  # OutOfRange included
        return None


# the seconds of a leap second, which datetime cannot hold
_LEAP_SECOND = re.compile(r"(?<=[Tt ]\d\d:\d\d):60")


def _parse_bound(text: str) -> datetime:
    """parse_iso for a bound of a time range, taking any RFC 3339 date-time: a leap second is
    the last moment of its minute, and a time past either end of the calendar once in UTC
    (0001-01-01T00:00:00+01:00) bounds nothing on that side. Raises ValueError."""
    text = _LEAP_SECOND.sub(":59.999999", text)
    try:
        return parse_iso(text)
    except OutOfRange:
        early = text.strip().startswith("0001")  # else 9999: the only years it can happen in
        return datetime.min.replace(tzinfo=UTC) if early else datetime.max.replace(tzinfo=UTC)
