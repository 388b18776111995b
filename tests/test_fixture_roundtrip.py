"""Every tenant document the sandbox accepts has a snapshot that loads back into the same state:
drawn from the document's own schema (schemathesis' strategy for `PUT /tenants/{tenant}`), and
from a table of edge values the schema allows (the calendar's ends, the largest ids)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case

from sandbox.settings import Settings
from sandbox.testing import Sandbox, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE

LARGEST = 2**53 - 1


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with in_process() as running:
        yield running


def comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without what differs between two takes: when and of what it was taken,
    and a running clock's reading (its offset is compared)."""
    shown = {key: value for key, value in snapshot.items() if key != "snapshot"}
    if not shown["clock"]["frozen"]:
        shown["clock"] = {**shown["clock"], "now": None}
    return shown


def round_trip(sandbox: Sandbox, document: Any) -> None:
    """If `document` is accepted, its snapshot loads back into the same state."""
    answer = sandbox.http.put("/_sandbox/tenants/rt-source", json=document)
    if answer.status_code == 400:
        return  # refused: nothing to load back
    assert answer.status_code in (200, 201), answer.text
    taken = sandbox.http.get("/_sandbox/tenants/rt-source/snapshot")
    assert taken.status_code == 200, taken.text
    loaded = sandbox.http.put("/_sandbox/tenants/rt-copy", json=taken.json())
    assert loaded.status_code in (200, 201), f"{loaded.text}\nfrom {document!r}"
    again = sandbox.http.get("/_sandbox/tenants/rt-copy/snapshot").json()
    assert comparable(again) == comparable(taken.json())


SCHEMA = schemathesis.openapi.from_path(Settings().openapi_dir / "sandbox.yaml")
PUT_TENANT = SCHEMA["/tenants/{tenant}"]["PUT"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=PUT_TENANT.as_strategy())
def test_any_accepted_document_loads_back_from_its_snapshot(sandbox: Sandbox, case: Case) -> None:
    body = case.body if isinstance(case.body, dict | type(None)) else None
    round_trip(sandbox, body)


def edited(**sections: Any) -> dict[str, Any]:
    document = copy.deepcopy(EXAMPLE_FIXTURE)
    document.update(sections)
    return document


def message(**fields: Any) -> dict[str, Any]:
    return {
        "id": "1",
        "vendor": "capillary",
        "operation": "sendMessage",
        "channel": "SMS",
        "to": "919988221100",
        "from": None,
        "customer_id": "565039506",
        "category": "TRANSACTIONAL",
        "priority": "TRANS",
        "subject": None,
        "body": "x",
        "status": "DELIVERED",
        "reason": None,
        "decision": [],
        "created_at": "2026-01-01T00:00:00Z",
        **fields,
    }


EDGES = [
    None,
    {},
    {"clock": {"now": "1970-01-01T00:00:00Z", "frozen": True}},
    {"clock": {"now": "9000-12-31T23:59:59Z", "frozen": True}},
    {"clock": {"now": "9000-12-31T23:59:59Z"}},
    {"clock": {"now": "1970-01-01T00:00:00+00:00"}},
    {"clock": {"offset_seconds": 2.2e11}},
    {"clock": {"offset_seconds": -1.7e9}},
    {"sequences": {"message": LARGEST, "customer": LARGEST, "scheduled": LARGEST}},
    edited(outbox=[message(id=str(LARGEST), created_at="9000-12-31T23:59:59Z")]),
    edited(outbox=[message(created_at="1970-01-01T14:00:00+14:00")]),
    edited(
        capillary={"customers": [{"id": LARGEST, "points": 1e12, "mobile": 919988221100}]},
        interaction_history=[
            {
                "customer_id": str(LARGEST),
                "channel": "SMS",
                "count": LARGEST,
                "last_at": "9000-12-31T23:59:59Z",
            }
        ],
    ),
    edited(
        scheduled=[
            {
                "id": str(LARGEST),
                "due": "9000-12-31T23:59:59Z",
                "vendor": "symplify",
                "work": {
                    "account": "1234",
                    "trigger_id": 2_147_483_647,
                    "original_id": "x" * 200,
                    "properties": {"a": None, "b": "y" * 10_000},
                    "opt_out": True,
                },
            }
        ]
    ),
    edited(
        faults=[
            {
                "operationId": "sendMessage",
                "status": 0,
                "times": 1_000_000_000,
                "latency_ms": 120_000,
                "probability": 0,
                "seed": -LARGEST,
                "remaining": 0,
                "calls": LARGEST,
                "faulted": LARGEST,
            }
        ]
    ),
    {
        "symplify": {
            "accounts": [
                {
                    "customer_id": "a",
                    "lists": [
                        {
                            "id": 2_147_483_647,
                            "contacts": [
                                {
                                    "id": LARGEST,
                                    "original_id": -LARGEST,
                                    "created": 253_402_300_799_999,
                                    "modified": 0,
                                }
                            ],
                        }
                    ],
                    "properties": [{"id": LARGEST, "name": "p", "created": 0}],
                }
            ]
        }
    },
]


@pytest.mark.parametrize("document", EDGES, ids=range(len(EDGES)))
def test_documents_at_the_edges_load_back_from_their_snapshots(
    sandbox: Sandbox, document: Any
) -> None:
    answer = sandbox.http.put("/_sandbox/tenants/rt-edge", json=document)
    assert answer.status_code in (200, 201), answer.text  # each one is accepted
    round_trip(sandbox, document)
