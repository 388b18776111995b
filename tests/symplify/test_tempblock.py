"""PUT / POST / GET /{customerid}/lists/contacts/tempblock (seed 004)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sandbox.testing import Sandbox

from .helpers import ACCOUNT, FIRST_CONTACT, FIXTURE, GAGA, TEMPBLOCK, TOM, Sym, dto, error

# 2020-02-01T23:59:59.999Z: a block lasts through the end of its day
END_OF_FEB_1 = 1580601599999


def test_a_block_answers_the_status_of_the_contacts_found(sym: Sym) -> None:
    response = sym.block()
    assert response.status_code == 200
    assert response.json() == {
        "findBy": "ORIGINALID",
        "listId": "42",
        "searchValue": "111",
        "blocked": True,
        "blockUntil": "2020-02-01",
        "contacts": [
            {
                "id": FIRST_CONTACT,
                "listId": 42,
                "originalId": "111",
                "emailAddress": GAGA,
                "blocked": True,
                "blockUntil": "2020-02-01",
                "blockedUntil": END_OF_FEB_1,
                "blockedOn": "list 42",
            }
        ],
    }


def test_any_list_finds_the_contact_on_every_list(sym: Sym) -> None:
    body = sym.block(list_id="-1").json()
    assert [(c["listId"], c["blockedOn"]) for c in body["contacts"]] == [
        (42, "all lists"),
        (43, "all lists"),
    ]
    assert sym.delivered(42)[GAGA] == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")
    assert sym.delivered(43)["Lady_Gaga@example.com"] == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")


@pytest.mark.parametrize("find_by", ["EMAILADRESS", "EMAILADDRESS"])
def test_both_spellings_find_by_email_in_any_case(sym: Sym, find_by: str) -> None:
    body = sym.block(find_by=find_by, list_id=-1, value="LADY_GAGA@example.COM").json()
    assert [c["listId"] for c in body["contacts"]] == [42, 43]
    assert body["findBy"] == find_by and body["listId"] == "-1"


def test_a_list_block_leaves_the_other_lists_alone(sym: Sym) -> None:
    sym.block(find_by="EMAILADRESS", value=GAGA)
    assert sym.delivered(43)["Lady_Gaga@example.com"] == ("DELIVERED", None)
    assert sym.delivered(42) == {
        GAGA: ("SUPPRESSED", "CONTACT_TEMP_BLOCKED"),
        TOM: ("DELIVERED", None),
    }


def test_list_id_may_be_a_number(sym: Sym) -> None:
    assert sym.block(list_id=42).json()["listId"] == "42"


def test_a_new_block_replaces_the_old_one(sym: Sym) -> None:
    sym.block(until="2020-03-01")
    assert sym.block(until="2020-01-20").json()["blockUntil"] == "2020-01-20"
    sym.tenant.advance_clock(6 * 86400)  # 2020-01-21
    assert sym.delivered()[GAGA] == ("DELIVERED", None)


def test_the_last_day_counts_and_the_next_does_not(sym: Sym) -> None:
    sym.block(until="2020-01-16")
    sym.tenant.set_clock(now="2020-01-16T23:59:59.999Z")
    assert sym.delivered()[GAGA] == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")
    assert sym.status().json()["blocked"] is True
    sym.tenant.set_clock(now="2020-01-17T00:00:00Z")
    assert sym.delivered()[GAGA] == ("DELIVERED", None)
    ended = sym.status().json()
    assert ended["blocked"] is False and ended["blockUntil"] is None
    assert ended["contacts"][0] == {
        "id": FIRST_CONTACT,
        "listId": 42,
        "originalId": "111",
        "emailAddress": GAGA,
        "blocked": False,
    }


def test_release_with_an_empty_or_absent_block_until(sym: Sym) -> None:
    sym.block(list_id="-1")
    released = sym.release()  # list 42 only
    assert released.status_code == 200
    assert released.json()["blocked"] is False
    assert sym.delivered(42)[GAGA] == ("DELIVERED", None)
    assert sym.delivered(43)["Lady_Gaga@example.com"][0] == "SUPPRESSED"
    assert sym.call("POST", TEMPBLOCK, dto(list_id="43", until=None)).status_code == 200
    assert sym.delivered(43)["Lady_Gaga@example.com"][0] == "DELIVERED"


def test_releasing_an_unblocked_contact_is_harmless(sym: Sym) -> None:
    assert sym.release().json()["blocked"] is False


def test_status_from_a_body_or_from_query_parameters(sym: Sym) -> None:
    sym.block()
    from_body = sym.status()
    from_query = sym.http.get(
        f"/symplify{TEMPBLOCK}",
        params={"findBy": "ORIGINALID", "listId": "42", "searchValue": "111"},
        headers=sym.auth,
    )
    assert from_body.json() == from_query.json()
    assert from_body.json()["blocked"] is True


def test_a_body_wins_over_query_parameters(sym: Sym) -> None:
    sym.block()
    response = sym.http.request(
        "GET",
        f"/symplify{TEMPBLOCK}",
        params={"findBy": "ORIGINALID", "listId": "42", "searchValue": "222"},
        json=dto(until=...),
        headers=sym.auth,
    )
    assert response.json()["searchValue"] == "111"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (dto(find_by="PHONE"), "findBy"),
        (dto(find_by="emailadress"), "findBy"),
        (dto(list_id="0"), "listId"),
        (dto(list_id="-2"), "listId"),
        (dto(list_id="forty-two"), "listId"),
        (dto(list_id=None), "listId"),
        (dto(value=""), "searchValue"),
        (dto(until="01/02/2020"), "blockUntil"),
        (dto(until="2020-2-1"), "blockUntil"),
        (dto(until="2020-02-30"), "blockUntil"),
        (dto(until="20200201"), "blockUntil"),  # date.fromisoformat reads these two
        (dto(until="2020-W05-6"), "blockUntil"),
        (dto(until="2020-02-01T00:00"), "blockUntil"),
        (dto(until="2020-02-01\n"), "blockUntil"),
        (dto(until="\uff12\uff10\uff12\uff10-02-01"), "blockUntil"),  # not ASCII digits
        (dto(until="0000-12-31"), "blockUntil"),
        (dto(until="10000-01-01"), "blockUntil"),
        (dto(list_id="0"), "listId"),
        (dto(list_id="-2"), "listId"),
        (dto(list_id="9" * 5000), "listId"),
        (dto(list_id=2**31), "listId"),
        (dto(until=""), "blockUntil"),
        (dto(until=...), "blockUntil"),
        (dto(until=20200201), "blockUntil"),
        ({"listId": "42", "searchValue": "111", "blockUntil": "2020-02-01"}, "findBy"),
    ],
)
def test_a_bad_block_names_its_field_and_changes_nothing(
    sym: Sym, body: dict[str, Any], field: str
) -> None:
    assert error(sym.call("PUT", TEMPBLOCK, body), 400) == field
    assert sym.status().json()["blocked"] is False


@pytest.mark.parametrize("until", ["20200201", "2020-W05-6", "10000-01-01"])
def test_a_refused_block_until_says_the_form_it_takes(sym: Sym, until: str) -> None:
    message = sym.block(until=until).json()["error"]
    assert until in message and "YYYY-MM-DD" in message, message


def test_a_block_may_end_today(sym: Sym) -> None:
    assert sym.block(until="2020-01-15").status_code == 200


def test_list_one_is_a_list_id(sym: Sym) -> None:
    """The lowest list id is looked up (a 404 for this account, which has no list 1), not
    refused as a bad listId."""
    response = sym.block(list_id="1")
    assert error(response, 404) == "listId" and "no list 1" in response.json()["error"]


@pytest.mark.parametrize("until", ["2020-01-14", "0001-01-01"])
def test_a_day_already_past_is_taken_and_blocks_nothing(sym: Sym, until: str) -> None:
    """CONTRACT section 13: the block has already ended (seed 004's DTOs, dated 2020, work as
    they are on today's clock); like any block it replaces the one before."""
    assert sym.block(until="2020-02-01").json()["blocked"] is True
    answer = sym.block(until=until)
    assert answer.status_code == 200, answer.text
    assert answer.json()["blocked"] is False and answer.json()["blockUntil"] is None
    assert sym.delivered()[GAGA] == ("DELIVERED", None)


def test_a_block_through_the_last_day_of_9999_is_kept_and_read(sandbox: Sandbox, sym: Sym) -> None:
    """It answered 500, stored the block, and every later read of the contact answered 500."""
    answer = sym.block(until="9999-12-31")
    assert answer.status_code == 200, answer.text
    [contact] = answer.json()["contacts"]
    assert contact["blockedUntil"] == 253402300799999  # 9999-12-31T23:59:59.999Z
    read = sym.call("GET", f"/{ACCOUNT}/lists/42/contacts/111")
    assert read.status_code == 200 and read.json()["blockedUntil"] == 253402300799999
    assert sym.delivered()[GAGA] == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")
    copy = sandbox.create_tenant(sym.tenant.snapshot())  # the snapshot loads back
    try:
        again = Sym(sym.http, copy)
        assert again.status().json()["blockUntil"] == "9999-12-31"
    finally:
        copy.delete()


@pytest.mark.parametrize(
    ("until", "status"), [("9999-12-31", 201), ("20261123", 400), ("2026-W47-1", 400)]
)
def test_a_documents_temp_block_is_read_by_the_same_parser(
    sandbox: Sandbox, until: str, status: int
) -> None:
    document = copy.deepcopy(FIXTURE)
    person = document["symplify"]["accounts"][0]["lists"][0]["contacts"][0]
    person["temp_block"] = {"until": until}
    answer = sandbox.http.put("/_sandbox/tenants/sym-temp-block", json=document)
    try:
        assert answer.status_code == status, answer.text
        if status == 400:
            where = "symplify.accounts[0].lists[0].contacts[0].temp_block.until"
            assert answer.json()["error"]["field"] == where
            return
        made = sandbox.tenant("sym-temp-block")
        read = sandbox.http.get(
            f"/symplify/{ACCOUNT}/lists/42/contacts/111", headers=made.symplify_auth()
        )
        assert read.status_code == 200 and read.json()["blockedUntil"] == 253402300799999
    finally:
        sandbox.http.delete("/_sandbox/tenants/sym-temp-block")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": "999"}, "searchValue"),
        ({"list_id": "-1", "value": "999"}, "searchValue"),
        ({"find_by": "EMAILADRESS", "value": "nobody@example.com"}, "searchValue"),
        ({"value": "111", "list_id": "77"}, "listId"),
        ({"find_by": "EMAILADRESS", "value": TOM, "list_id": "43"}, "searchValue"),
    ],
)
def test_blocking_a_contact_nobody_has_is_a_404(
    sym: Sym, fields: dict[str, Any], field: str
) -> None:
    assert error(sym.block(**fields), 404) == field
    assert error(sym.status(**fields), 404) == field
    assert error(sym.release(**fields), 404) == field


def test_a_post_with_a_date_is_not_a_release(sym: Sym) -> None:
    sym.block()
    assert error(sym.call("POST", TEMPBLOCK, dto(until="2020-03-01")), 400) == "blockUntil"
    assert sym.status().json()["blockUntil"] == "2020-02-01"


def test_a_get_without_a_dto_names_find_by(sym: Sym) -> None:
    response = sym.http.get(f"/symplify{TEMPBLOCK}", headers=sym.auth)
    assert error(response, 400) == "findBy"


def test_the_seeds_get_example_with_its_trailing_comma_is_not_json(sym: Sym) -> None:
    raw = b'{"findBy":"EMAILADRESS","listId":"42","searchValue":"lady_gaga@example.com",}'
    response = sym.http.request(
        "GET",
        f"/symplify{TEMPBLOCK}",
        content=raw,
        headers={**sym.auth, "Content-Type": "application/json"},
    )
    assert error(response, 400) == "body"


def test_blocks_survive_a_reset_only_as_the_fixture_has_them(sym: Sym) -> None:
    sym.block()
    assert sym.http.post(f"{sym.tenant.control}/reset").status_code == 200
    sym.tenant.set_clock(now="2020-01-15T09:00:00Z", frozen=True)
    assert sym.status().json()["blocked"] is False


def test_accounts_do_not_share_contacts(sym: Sym) -> None:
    other = sym.call("PUT", "/5678/lists/contacts/tempblock", dto())
    assert error(other, 404) == "searchValue"
    assert ACCOUNT != "5678"
