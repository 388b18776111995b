"""A state loaded again from a snapshot another process wrote, and what its listeners hear of
it (docs/architecture.md "Catch-up per request").

A catch-up that finds another process compacted past the unit this state reflects cannot
replay the units in between (their rows are gone): it loads the state again from the snapshot
(sandbox/store/pg_rows.py `TenantRows.apply`). The messages those units recorded are told to
the state's listeners (this process's event streams) as the snapshot's outbox shows them:
each message the reloaded state holds that the state before did not, or held otherwise (its
status moved on), as caught up, in the outbox's order. What a unit recorded and a later one
removed (a message past the outbox's capacity) is not there to tell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.doc import Doc
from sandbox.store.backend import State

MESSAGES = "messages"  # the collection whose puts a listener hears (TenantData._tell)


def reload(into: State, load: Callable[[State], Any]) -> None:
    """`into` cleared and loaded again (`load(into)`); then the messages new or changed since
    are told to its listeners (`State.caught_up`), oldest first."""
    before: dict[Any, Doc] = {doc.get("id"): doc for doc in into.tables().get(MESSAGES, ())}
    into.clear()
    load(into)
    fresh = [doc for doc in into.tables().get(MESSAGES, ()) if before.get(doc.get("id")) != doc]
    if fresh:
        into.caught_up([["put", MESSAGES, doc] for doc in fresh])
