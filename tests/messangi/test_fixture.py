"""The `messangi` section of a fixture: blocklist entries, checked, and restored by a reset."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.testing import Sandbox

from .helpers import BLOCKED, FIRST_ENTRY, FREE, Msg, entry, lookup


def test_reset_restores_the_fixture_blocklist(msg: Msg) -> None:
    msg.call("DELETE", f"/subscribers/{FIRST_ENTRY}")
    msg.add(entry(FREE))
    reset = msg.http.post(f"{msg.tenant.control}/reset")
    assert reset.status_code == 200
    assert msg.find(**lookup()).json()["data"]["id"] == FIRST_ENTRY
    assert msg.find(**lookup(FREE)).status_code == 404


def test_fixture_entries_are_numbered_in_order_and_repeats_collapse(sandbox: Sandbox) -> None:
    blocklist = [
        {"to": "+1 415 555 0100", "from": "A", "type": "SMS"},
        {"to": "14155550100", "from": "A", "type": "SMS", "reason": "again"},
        {"to": "x@example.com", "from": "A", "type": "EMAIL", "reason": "COMPLAINED"},
    ]
    tenant = sandbox.create_tenant({"messangi": {"blocklist": blocklist}})
    try:
        client = Msg(sandbox.http, tenant, tenant.messangi_auth())
        first = client.find(**lookup("+14155550100", "A")).json()["data"]
        assert (first["id"], first["to"], first["reason"]) == (
            FIRST_ENTRY,
            "+1 415 555 0100",
            "UNSUBSCRIBED",  # the default reason
        )
        second = client.find(**lookup("X@example.com", "A", "EMAIL")).json()["data"]
        assert (second["id"], second["reason"]) == (f"{2:024x}", "COMPLAINED")
        added = client.add(entry(BLOCKED, "A")).json()["data"]
        assert added["id"] not in (FIRST_ENTRY, f"{2:024x}")
    finally:
        tenant.delete()


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"to": "+525500000000", "from": "A", "type": "EMAIL"}, "messangi.blocklist[0].to"),
        ({"to": "a@example.com", "from": "A", "type": "SMS"}, "messangi.blocklist[0].to"),
        ({"to": "+525500000000", "from": "A", "type": "FAX"}, "messangi.blocklist[0].type"),
        ({"to": "+525500000000", "type": "SMS"}, "messangi.blocklist[0]"),
        ({"to": "+525500000000", "from": "A", "type": "SMS", "colour": 1}, "colour"),
    ],
)
def test_a_bad_fixture_entry_is_a_400_naming_its_path(
    sandbox: Sandbox, item: dict[str, Any], field: str
) -> None:
    response = sandbox.http.put(
        "/_sandbox/tenants/bad-messangi", json={"messangi": {"blocklist": [item]}}
    )
    assert response.status_code == 400, response.text
    assert field in response.text
    assert sandbox.http.get("/_sandbox/tenants/bad-messangi").status_code == 404


def test_an_entry_repeated_under_another_id_is_a_400_naming_it(sandbox: Sandbox) -> None:
    """A repeated entry (same type, sender and recipient, however written) is the same entry,
    as a repeated add is; one that declares an id of its own would lose it silently."""
    first = {"to": "+525500000000", "from": "A", "type": "SMS", "id": f"{1:024x}"}
    again = {"to": "0052 55 0000 0000", "from": " A ", "type": "SMS"}
    refused = sandbox.http.put(
        "/_sandbox/tenants/bad-messangi",
        json={"messangi": {"blocklist": [first, {**again, "id": f"{7:024x}"}]}},
    )
    assert refused.status_code == 400, refused.text
    assert "messangi.blocklist[1].id" in refused.text
    assert sandbox.http.get("/_sandbox/tenants/bad-messangi").status_code == 404
    for same in (again, {**again, "id": first["id"]}):
        taken = sandbox.http.put(
            "/_sandbox/tenants/bad-messangi", json={"messangi": {"blocklist": [first, same]}}
        )
        assert taken.status_code in (200, 201), taken.text
    assert sandbox.http.delete("/_sandbox/tenants/bad-messangi").status_code == 204


@pytest.mark.parametrize(
    ("declared", "serial"),
    [
        # the API's own ids: their serial, read in hex (26, not 1a read as decimal or base 17)
        (["65f00000000000000000001a", "65f000000000000000000003"], 26),
        # the largest serial the API reaches, 2**32 - 1 ...
        (["65f0000000000000ffffffff"], 2**32 - 1),
        # ... past it, a real ObjectId's random part the API never reaches: no serial of its
        # own (2**32 exactly, and one whose low digits alone would read as 64)
        (["65f000000000000100000000", "65f000001000000000000040"], 2),
    ],
)
def test_an_added_entry_takes_the_serial_after_every_declared_one(
    sandbox: Sandbox, declared: list[str], serial: int
) -> None:
    """Entry ids are a second and a serial (hex): the first entry the API adds to a tenant
    whose fixture declares ids takes the serial after the highest one the API could have
    given, or after the number of entries."""
    blocklist = [
        {"id": entry_id, "to": f"+52551111111{n}", "from": "A", "type": "SMS"}
        for n, entry_id in enumerate(declared)
    ]
    tenant = sandbox.create_tenant({"messangi": {"blocklist": blocklist}})
    try:
        client = Msg(sandbox.http, tenant, tenant.messangi_auth())
        added = client.add(entry(BLOCKED, "A")).json()["data"]["id"]
        assert int(added[8:], 16) == serial + 1
    finally:
        tenant.delete()
