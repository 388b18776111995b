"""An offloaded finish in Steps (a Symplify list send: one contact a step here) while another
process keeps writing to the same tenant on PostgreSQL (docs/architecture.md "Group commit"):
each step runs caught up holding the tenant's row, so no step is refused as `Behind` halfway
(a generator cannot run a step again): the send answers 200, every contact's message stored
once, and every write of the other process kept."""

from __future__ import annotations

import copy
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from symplify.helpers import ACCOUNT, FIXTURE

from sandbox import pacing
from sandbox.testing import in_process

CONTACTS = 40
OTHER = """
WITH moved AS (
    UPDATE sandbox_storages SET head = head + 1 WHERE storage = %s RETURNING storage, head)
INSERT INTO sandbox_journal SELECT storage, head, %s FROM moved
"""


def many_contacts() -> dict[str, Any]:
    fixture = copy.deepcopy(FIXTURE)
    listed = fixture["symplify"]["accounts"][0]["lists"][0]
    listed["contacts"] = [
        {"original_id": str(1000 + n), "email": f"c{n}@example.com"} for n in range(CONTACTS)
    ]
    return fixture


def test_a_send_in_steps_beside_another_process_s_writes_answers_200_with_every_message(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After each step, another process appends to the tenant (and has 20 ms to do so before
    the send goes on): the next step must not be built on a state that is behind."""
    for name in ("FIRST_STEP", "MIN_STEP", "STEP"):  # (one contact a step)
        monkeypatch.setattr(pacing, name, 1)
    with in_process(database_url=postgres_url) as sandbox:
        tenant = sandbox.create_tenant(many_contacts(), name="stepped")
        with psycopg.connect(postgres_url) as connection:
            found = connection.execute(
                "SELECT storage FROM sandbox_tenants WHERE name = 'stepped'"
            ).fetchone()
        assert found is not None
        storage = found[0]
        asked: queue.Queue[bool] = queue.Queue()
        wrote: list[int] = []

        def other_process() -> None:
            with psycopg.connect(postgres_url, autocommit=True) as other:
                while asked.get():
                    unit = json.dumps([["put", "meta", {"id": f"other-{len(wrote)}"}]])
                    other.execute(OTHER, (storage, unit.encode()))
                    wrote.append(1)

        real = pacing.in_steps

        def in_steps(total: int, step: Callable[[slice], None]) -> Iterator[None]:
            for _ in real(total, step):
                asked.put(True)  # another process writes, while this one goes on
                time.sleep(0.02)
                yield

        monkeypatch.setattr(pacing, "in_steps", in_steps)
        writer = threading.Thread(target=other_process)
        writer.start()
        try:
            answer = sandbox.http.post(
                f"/symplify/{ACCOUNT}/lists/42/send",
                json={"subject": "Sale", "body": "Hi"},
                headers=tenant.symplify_auth(),
            )
        finally:
            asked.put(False)
            writer.join(10)
        assert answer.status_code == 200, answer.text
        assert answer.json()["recipients"] == CONTACTS
        assert len(wrote) >= CONTACTS
    with in_process(database_url=postgres_url) as fresh:  # what the database holds
        items = fresh.http.get("/_sandbox/tenants/stepped/outbox", params={"limit": 500}).json()
        sent = sorted(m["to"] for m in items["items"] if m["operation"] == "sendToList")
        assert sent == sorted(f"c{n}@example.com" for n in range(CONTACTS))
