"""A catch-up past another process's compaction (sandbox/store/reloaded.py): the state is
loaded again from the other's snapshot, and this process's listeners (its event streams)
hear the messages recorded in between, as the snapshot's outbox shows them: each new or
changed message once, oldest first, none it had heard before. Two processes are played by
two registries (two connections, two states) on one real PostgreSQL."""

from __future__ import annotations

from typing import Any

from test_store_backend import FIXTURE
from test_store_unit import SPECS

from sandbox.store import TenantData
from sandbox.store.collection import CollectionSpec
from sandbox.store.pg_rows import TenantRows
from sandbox.store.postgres import Registry
from sandbox.store.unit import open_unit

MESSAGES = CollectionSpec("messages")


class Listener:
    """An event bus listening to tenant `t`: what it hears, and how."""

    tenants = {"t": object()}

    def __init__(self) -> None:
        self.heard: list[tuple[str, str, Any]] = []

    def committed(self, tenant: str, message: Any) -> None:
        self.heard.append(("committed", message["id"], message.get("status")))

    def caught_up(self, tenant: str, message: Any) -> None:
        self.heard.append(("caught up", message["id"], message.get("status")))


def record(data: TenantData, *messages: dict[str, Any]) -> None:
    """A request's unit: `messages` put, appended at once (no event loop: no group commit)."""
    with open_unit() as unit:
        tx = data.begin()
        for message in messages:
            tx.put("messages", message)
        tx.commit()
        unit.commit()


def test_a_catch_up_past_another_process_s_compaction_tells_the_messages_in_between(
    postgres_url: str,
) -> None:
    one, two = Registry(postgres_url), Registry(postgres_url)
    try:
        first = TenantData("t", (*SPECS, MESSAGES), one.backend("t", None, 1 << 20))
        first.initialise(FIXTURE, FIXTURE)
        record(first, {"id": "m0", "status": "sent"}, {"id": "kept", "status": "sent"})
        storage = first.backend.storage  # type: ignore[attr-defined]
        listener = Listener()
        second = TenantData(
            "t", (*SPECS, MESSAGES), two.backend("t", storage, 1 << 20), listener=listener
        )
        second.load()  # holds m0 as sent, and `kept` (heard of already: not told again)
        record(first, {"id": "m1", "status": "sent"})
        record(first, {"id": "m0", "status": "delivered"}, {"id": "m2", "status": "sent"})
        first.compact()  # the rows the second needs are gone: it must load the snapshot
        backend = second.backend
        assert isinstance(backend, TenantRows) and backend.seq == 1
        assert second.catch_up()
        assert backend.seq == 3
        assert second["messages"].get("m2") == {"id": "m2", "status": "sent"}
        assert listener.heard == [
            ("caught up", "m0", "delivered"),
            ("caught up", "m1", "sent"),
            ("caught up", "m2", "sent"),
        ]
        listener.heard.clear()
        record(first, {"id": "m3", "status": "sent"})  # then a row to replay, as before
        assert second.catch_up()
        assert listener.heard == [("caught up", "m3", "sent")]
    finally:
        one.close()
        two.close()
