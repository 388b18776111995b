"""POST / GET / DELETE /subscribers: one blocklist per sender and channel type (seed 001)."""

from __future__ import annotations

import pytest

from sandbox.testing import Sandbox

from .helpers import (
    BLOCKED,
    FIRST_ENTRY,
    FREE,
    NANOS,
    OBJECT_ID,
    OTHER_SENDER,
    SENDER,
    UUID,
    Msg,
    entry,
    explain,
    lookup,
)


def test_add_answers_the_seed_shape(msg: Msg) -> None:
    msg.tenant.set_clock(now="2023-08-09T18:26:03.384Z", frozen=True)
    response = msg.add(entry(FREE, listType="BLACK"))
    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["timestamp"] == 1691605563384  # epoch ms on the tenant clock
    assert UUID.match(body["meta"]["transactionId"])
    data = body["data"]
    assert set(data) == {"id", "to", "reason", "date"}
    assert OBJECT_ID.match(data["id"]) and data["id"].startswith("64d3da3b")  # the time, as Mongo
    assert (data["to"], data["reason"]) == (FREE, "UNSUBSCRIBED")
    assert data["date"] == "2023-08-09T18:26:03.384000000Z" and NANOS.match(data["date"])


def test_get_finds_the_entry_with_its_id(msg: Msg) -> None:
    added = msg.add(entry(FREE)).json()["data"]
    found = msg.find(**lookup(FREE))
    assert found.status_code == 200
    assert found.json()["data"] == added


def test_transaction_ids_differ_per_answer(msg: Msg) -> None:
    ids = {msg.find(**lookup()).json()["meta"]["transactionId"] for _ in range(3)}
    assert len(ids) == 3


def test_a_duplicate_add_answers_the_existing_entry(msg: Msg) -> None:
    first = msg.add(entry(FREE, reason="UNSUBSCRIBED")).json()["data"]
    again = msg.add(entry(FREE, reason="COMPLAINED"))
    assert again.status_code == 200
    assert again.json()["data"] == first  # same id, reason kept: nothing added twice
    assert msg.call("DELETE", f"/subscribers/{first['id']}").status_code == 200
    assert msg.find(**lookup(FREE)).status_code == 404  # there was only one entry


@pytest.mark.parametrize("written", ["+52 55 0000 0000", "525500000000", "+52 (55) 0000-0000"])
def test_a_number_is_the_same_entry_however_it_is_written(msg: Msg, written: str) -> None:
    assert msg.add(entry(written)).json()["data"]["id"] == FIRST_ENTRY  # the fixture's entry
    assert msg.find(**lookup(written)).json()["data"]["id"] == FIRST_ENTRY


def test_an_entry_keeps_to_as_it_was_sent(msg: Msg) -> None:
    assert msg.add(entry("+1 415 555 0100")).json()["data"]["to"] == "+1 415 555 0100"
    assert msg.find(**lookup("14155550100")).json()["data"]["to"] == "+1 415 555 0100"


def test_email_entries_compare_case_insensitively(msg: Msg) -> None:
    added = msg.add(entry("Ann.Lee@Example.com", "news@example.com", "EMAIL")).json()["data"]
    again = msg.add(entry("ann.lee@example.com", "news@example.com", "EMAIL")).json()["data"]
    assert again["id"] == added["id"]
    found = msg.find(**lookup("ANN.LEE@EXAMPLE.COM", "news@example.com", "EMAIL"))
    assert found.json()["data"]["id"] == added["id"]


def test_each_sender_has_its_own_blocklist(msg: Msg) -> None:
    assert msg.find(**lookup(BLOCKED, SENDER)).status_code == 200
    missing = msg.find(**lookup(BLOCKED, OTHER_SENDER))
    assert missing.status_code == 404
    assert "not on the SMS blocklist of sender 528811" in explain(missing)
    other = msg.add(entry(BLOCKED, OTHER_SENDER)).json()["data"]
    assert other["id"] != FIRST_ENTRY


def test_528811_and_52881_are_two_senders(msg: Msg) -> None:
    """Seed 001 blocks on "528811" and then says the "52881" sender stops: kept distinct."""
    msg.add(entry(FREE, "528811"))
    assert msg.find(**lookup(FREE, "528811")).status_code == 200
    assert msg.find(**lookup(FREE, "52881")).status_code == 404


def test_each_channel_type_has_its_own_blocklist(msg: Msg) -> None:
    assert msg.find(**lookup(BLOCKED, SENDER, "WHATSAPP")).status_code == 404
    whatsapp = msg.add(entry(BLOCKED, SENDER, "WHATSAPP")).json()["data"]
    assert whatsapp["id"] != FIRST_ENTRY
    assert msg.find(**lookup(BLOCKED, SENDER, "RCS")).status_code == 404


def test_list_type_defaults_to_black(msg: Msg) -> None:
    msg.add(entry(FREE))  # no listType
    assert msg.find(**lookup(FREE)).status_code == 200


def test_delete_removes_the_entry(msg: Msg) -> None:
    deleted = msg.call("DELETE", f"/subscribers/{FIRST_ENTRY}")
    assert deleted.status_code == 200
    assert deleted.json()["data"]["to"] == BLOCKED
    assert msg.find(**lookup()).status_code == 404
    assert msg.call("DELETE", f"/subscribers/{FIRST_ENTRY}").status_code == 404
    readded = msg.add(entry()).json()["data"]
    assert readded["id"] != FIRST_ENTRY


def test_delete_of_an_unknown_id_names_it(msg: Msg) -> None:
    response = msg.call("DELETE", "/subscribers/64d3da3b27e58a0e93eefff7")
    assert response.status_code == 404
    assert explain(response).startswith("id:")


def test_tenants_do_not_share_blocklists(msg: Msg, sandbox: Sandbox) -> None:
    other = sandbox.create_tenant({})
    try:
        theirs = Msg(msg.http, other, other.messangi_auth())
        assert theirs.find(**lookup()).status_code == 404
        theirs.add(entry(FREE))
        assert msg.find(**lookup(FREE)).status_code == 404
    finally:
        other.delete()
