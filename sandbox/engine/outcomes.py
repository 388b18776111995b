"""What each rule can answer: the outcomes it gives on a channel, for the concepts a vendor
has. Found by asking the rules themselves (nothing here repeats what they decide) about every
kind of message on the channel and every case of the facts those concepts let a vendor gather:
each fact present or absent, and each of the cases a rule tells apart (a label that blocks or
not, a preference opted out or not, a block that has ended or not, an opt-out ignored or not).
The suppression coverage report's cells are made of them (docs/testing.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import product

from sandbox.engine.model import (
    Category,
    Channel,
    Concept,
    Facts,
    Intent,
    Outcome,
    Priority,
    Reason,
    StatusLabel,
)
from sandbox.engine.rules import RULES, SUBSCRIPTION_KEY

_NOW = datetime(2000, 1, 1, tzinfo=UTC)
_LABELS = (
    None,
    StatusLabel("blocking", "SUSPENDED", block_communications=True),
    StatusLabel("open", "ACTIVE", block_communications=False),
)
# every preference a subscription rule reads, opted out of
_OPTED_OUT_OF_ALL = dict.fromkeys(SUBSCRIPTION_KEY.values(), False)


def _cases(concepts: frozenset[Concept]) -> Iterator[Facts]:
    """Every case of the facts a vendor with `concepts` gathers; a fact of a concept it lacks
    is absent (None), as the vendors give it."""
    has = concepts.__contains__
    today = _NOW.date()
    customers: tuple[str | None, ...] = (None, "a customer") if has(Concept.CUSTOMERS) else (None,)
    listed: tuple[bool | None, ...] = (True, False) if has(Concept.SENDER_BLOCKLISTS) else (None,)
    blocks: tuple[date | None, ...] = (
        (None, today, today - timedelta(days=1)) if has(Concept.TEMPORARY_BLOCKS) else (None,)
    )
    opt_outs: tuple[tuple[str | None, bool], ...] = (
        ((None, False), ("opted out", False), ("opted out", True))
        if has(Concept.CONTACT_OPT_OUTS)
        else ((None, False),)
    )
    for customer in customers:
        labels = _LABELS if customer else (None,)
        preferences: tuple[Mapping[str, bool] | None, ...] = (
            (None, {}, _OPTED_OUT_OF_ALL) if customer and has(Concept.SUBSCRIPTIONS) else (None,)
        )
        for label, preference, blocklisted, until, (opt_out, ignore) in product(
            labels, preferences, listed, blocks, opt_outs
        ):
            yield Facts(
                now=_NOW,
                customer_id=customer,
                status_label=label,
                subscriptions=preference,
                sender_blocklisted=blocklisted,
                temp_block_until=until,
                contact_opt_out=opt_out,
                ignore_opt_out=ignore,
                concepts=concepts,
            )


def _kinds(channel: Channel) -> Iterator[Intent]:
    """Every kind of message on `channel`: each category, with each priority or none."""
    for category in Category:
        for priority in (None, *Priority):
            yield Intent("any", "any", channel, category, priority, "someone", "a sender")


@lru_cache(maxsize=64)
def possible(concepts: frozenset[Concept], channel: Channel) -> dict[str, frozenset[Outcome]]:
    """Each rule's name (as its trace entries give it) -> the outcomes it can give to a
    message on `channel` from a vendor with `concepts`, in precedence order."""
    found: dict[str, set[Outcome]] = {}
    kinds = list(_kinds(channel))
    for facts in _cases(concepts):
        for intent in kinds:
            for rule, _ in RULES:
                result = rule(intent, facts)
                found.setdefault(result.rule, set()).add(result.outcome)
    return {rule: frozenset(outcomes) for rule, outcomes in found.items()}


def reasons() -> dict[str, Reason]:
    """Each rule's name -> the reason it gives when it suppresses."""
    intent = next(_kinds(Channel.SMS))
    facts = Facts(now=_NOW)
    return {rule(intent, facts).rule: reason for rule, reason in RULES}
