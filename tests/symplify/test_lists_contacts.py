"""Lists and contacts: enough of Symplify's REST resources to set a tenant up and inspect it."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import ACCOUNT, ANN, FIRST_CONTACT, GAGA, Sym, error


def counts(contacts: int, emails: int = 0, mobiles: int = 0) -> dict[str, Any]:
    """A ListDTO's counts for a list nobody on has opted out of or bounced on, and its other
    fields compost-carma-api decodes (no import yet)."""
    nobody = {"unsubscribed": 0, "bounced": 0}
    return {
        "permissions": {"read": True, "write": True, "execute": True},
        "contacts": contacts,
        "emailAddresses": emails,
        "mobileNumbers": mobiles,
        "unsubscribes": 0,
        "hardBounces": 0,
        "lastImportTime": None,
        "breakdown": {
            "email": {"contacts": emails, **nobody},
            "mobile": {"contacts": mobiles, **nobody},
        },
    }


def test_lists_of_the_account_with_their_contact_counts(sym: Sym) -> None:
    response = sym.call("GET", f"/{ACCOUNT}/lists")
    assert response.json() == [
        {"id": 42, "listTypeId": 1, "name": "Newsletter", "description": "", **counts(3, 2, 1)},
        {"id": 43, "listTypeId": 1, "name": "List 43", "description": "", **counts(1, 1)},
    ]
    assert sym.call("GET", f"/{ACCOUNT}/lists/43").json()["contacts"] == 1
    assert error(sym.call("GET", f"/{ACCOUNT}/lists/44"), 404) == "listId"


def test_create_a_list_then_fill_it(sym: Sym) -> None:
    created = sym.call("POST", f"/{ACCOUNT}/lists", {"name": "VIP", "description": "best"})
    assert created.status_code == 200
    assert created.json() == {
        "id": 100,
        "listTypeId": 1,
        "name": "VIP",
        "description": "best",
        **counts(0),
    }
    added = sym.call("POST", f"/{ACCOUNT}/lists/100/contacts", {"originalId": "9"})
    assert added.status_code == 200
    assert sym.call("GET", f"/{ACCOUNT}/lists/100").json()["contacts"] == 1
    second = sym.call("POST", f"/{ACCOUNT}/lists", {"name": "Test", "listTypeId": 2}).json()
    assert (second["id"], second["listTypeId"]) == (101, 2)


def test_list_ids_continue_after_the_fixtures(sandbox: Any) -> None:
    fixture = {"symplify": {"accounts": [{"customer_id": "1", "lists": [{"id": 250}]}]}}
    tenant = sandbox.create_tenant(fixture)
    try:
        created = sandbox.http.post(
            "/symplify/1/lists", json={"name": "next"}, headers=tenant.symplify_auth()
        )
        assert created.json()["id"] == 251
    finally:
        tenant.delete()


def test_add_a_contact_answers_the_contact_dto(sym: Sym) -> None:
    body = {
        "originalId": "444",
        "emailAddress": "new@example.com",
        "mobileNumber": "+46 70 111 22 33",
        "firstName": "New",
        "lastName": "Person",
    }
    response = sym.call("POST", f"/{ACCOUNT}/lists/42/contacts", body)
    assert response.status_code == 200
    contact = response.json()
    assert contact == {
        "id": contact["id"],
        "listId": 42,
        "originalId": "444",
        "emailAddress": "new@example.com",
        "mobileNumber": "+46 70 111 22 33",
        "firstName": "New",
        "lastName": "Person",
        "unsubscribed": False,
        "bounced": False,
        "mobileUnsubscribed": False,
        "mobileBounced": False,
        "active": True,
        "dateCreated": 1579078800000,  # 2020-01-15T09:00Z, the tenant clock
        "dateModified": 1579078800000,
    }
    assert contact["id"] > FIRST_CONTACT
    assert sym.call("GET", f"/{ACCOUNT}/lists/42/contacts/444").json() == contact


def test_a_contact_added_by_api_is_blockable_and_sent_to(sym: Sym) -> None:
    sym.call("POST", f"/{ACCOUNT}/lists/42/contacts", {"originalId": "5", "emailAddress": "x@y.io"})
    sym.block(value="5")
    assert sym.delivered()["x@y.io"] == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"originalId": "111"}, 409, "originalId"),
        ({"emailAddress": "a@b.co"}, 400, "originalId"),
        ({"originalId": ""}, 400, "originalId"),
        ({"originalId": "5", "emailAddress": "not-an-address"}, 400, "emailAddress"),
        ({"originalId": "5", "mobileNumber": "call me"}, 400, "mobileNumber"),
        ({"originalId": 5}, 400, "originalId"),
    ],
)
def test_a_bad_contact_names_its_field_and_adds_nothing(
    sym: Sym, body: dict[str, Any], status: int, field: str
) -> None:
    assert error(sym.call("POST", f"/{ACCOUNT}/lists/42/contacts", body), status) == field
    assert sym.call("GET", f"/{ACCOUNT}/lists/42").json()["contacts"] == 3


def test_adding_to_an_unknown_list_is_a_404(sym: Sym) -> None:
    response = sym.call("POST", f"/{ACCOUNT}/lists/77/contacts", {"originalId": "5"})
    assert error(response, 404) == "listId"


def test_a_contact_shows_blocked_until_while_the_block_lasts(sym: Sym) -> None:
    path = f"/{ACCOUNT}/lists/42/contacts/111"
    assert "blockedUntil" not in sym.call("GET", path).json()
    sym.block(until="2020-01-16")
    contact = sym.call("GET", path).json()
    assert contact["blockedUntil"] == 1579219199999  # 2020-01-16T23:59:59.999Z
    assert contact["dateModified"] == 1579078800000
    sym.tenant.advance_clock(2 * 86400)
    assert "blockedUntil" not in sym.call("GET", path).json()


def test_an_unknown_contact_is_a_404_naming_it(sym: Sym) -> None:
    assert error(sym.call("GET", f"/{ACCOUNT}/lists/43/contacts/222"), 404) == "originalId"


def test_contacts_page_by_id(sym: Sym) -> None:
    first = sym.call("GET", f"/{ACCOUNT}/lists/42/contacts/all", pageSize=2).json()
    assert [c["originalId"] for c in first] == ["111", "222"]
    rest = sym.call(
        "GET", f"/{ACCOUNT}/lists/42/contacts/all", pageSize=2, lastId=first[-1]["id"]
    ).json()
    assert [(c["originalId"], c.get("mobileNumber")) for c in rest] == [("333", ANN)]
    assert [c["emailAddress"] for c in first] == [GAGA, "tom@example.com"]


def test_paging_stays_in_id_order_after_contacts_change(sym: Sym) -> None:
    """Blocking or updating a contact must not move it to the end of its list: a client
    paging by lastId would then skip contacts."""
    assert sym.block(value="111", until="2020-03-01").status_code == 200
    changed = sym.call("PUT", f"/{ACCOUNT}/lists/42/contacts/222/update", {"firstName": "Tom"})
    assert changed.status_code == 200
    seen: list[str] = []
    last = -1
    while True:
        page = sym.call("GET", f"/{ACCOUNT}/lists/42/contacts/all", pageSize=1, lastId=last).json()
        if not page:
            break
        seen.append(page[0]["originalId"])
        last = page[0]["id"]
    assert seen == ["111", "222", "333"]


def test_contact_listing_validates_its_parameters(sym: Sym) -> None:
    response = sym.call("GET", f"/{ACCOUNT}/lists/42/contacts/all", pageSize=0)
    assert error(response, 400) == "pageSize"
