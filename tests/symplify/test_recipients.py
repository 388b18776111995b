"""Issue 23 item 6: a contact is found by its address however the address is written (a
temporary block's e-mail search, contacts, imports' columns, "what if"); an address that cannot
be read is a 400 naming the field, or a row the batch reports, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import ACCOUNT, GAGA, Sym
from .test_imports import contact, imported, on_list

SPELLINGS = [
    "Lady_Gaga@Example.com",
    "  lady_gaga@example.com.  ",
    "Lady Gaga <lady_gaga@example.com>",
    "<LADY_GAGA@EXAMPLE.COM>",
]


@pytest.mark.parametrize("written", SPELLINGS)
def test_a_block_finds_the_contact_however_its_address_is_written(sym: Sym, written: str) -> None:
    blocked = sym.block(find_by="EMAILADRESS", list_id="-1", value=written)
    assert blocked.status_code == 200, blocked.text
    assert {c["listId"] for c in blocked.json()["contacts"]} == {42, 43}
    assert sym.delivered(42)[GAGA] == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")
    status = sym.status(find_by="EMAILADRESS", list_id="42", value=written)
    assert status.json()["blocked"] is True, status.text


def test_a_contact_added_with_a_display_name_is_stored_and_found_by_its_address(
    sym: Sym,
) -> None:
    added = sym.call(
        "POST",
        f"/{ACCOUNT}/lists/42/contacts",
        {
            "originalId": "900",
            "emailAddress": "Ann <Ann@Example.org.>",
            "mobileNumber": "0046 70 123 45 99",
        },
    )
    assert added.status_code == 200, added.text
    assert added.json()["emailAddress"] == "Ann@Example.org"
    blocked = sym.block(find_by="EMAILADDRESS", list_id="42", value="ann@example.org")
    assert [c["originalId"] for c in blocked.json()["contacts"]] == ["900"], blocked.text
    probe = {"vendor": "symplify", "channel": "SMS", "to": "+46 70-123 45 99", "list_id": "1234/42"}
    answer = sym.http.post(f"{sym.tenant.control}/explain", json=probe)
    assert answer.json()["reason"] == "CONTACT_TEMP_BLOCKED", answer.text


def test_an_update_reads_the_address_as_an_add_does(sym: Sym) -> None:
    path = f"/{ACCOUNT}/lists/42/contacts/222/update"
    updated = sym.call("PUT", path, {"emailAddress": " <Tom.New@Example.com.> "})
    assert updated.status_code == 200, updated.text
    assert updated.json()["emailAddress"] == "Tom.New@Example.com"
    blocked = sym.block(find_by="EMAILADRESS", list_id="42", value="tom.new@example.com")
    assert blocked.status_code == 200, blocked.text


def test_an_imports_address_columns_are_read_as_the_api_reads_them(sym: Sym) -> None:
    csv = (
        "originalId,emailAddress,mobileNumber\n"
        "701,Someone <Someone@Example.com.>,0046 70 123 45 01\n"
        "702,two\u200b@example.com,\n"
        "703,three@example.com,+46 70\u200b1234502\n"
    )
    batch = imported(sym, csv)
    assert (batch["added"], batch["failed"]) == (1, 2), batch
    problems = {(e["line"], e["column"]): e["message"] for e in batch["errors"]}
    assert "U+200B" in problems[(3, "emailAddress")]
    assert "U+200B" in problems[(4, "mobileNumber")]
    assert contact(sym, "701")["emailAddress"] == "Someone@Example.com"  # type: ignore[index]
    assert on_list(sym) == ["111", "222", "333", "701"]
    blocked = sym.block(find_by="EMAILADRESS", list_id="42", value="someone@example.com")
    assert blocked.status_code == 200, blocked.text


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "PUT",
            "/lists/contacts/tempblock",
            {
                "findBy": "EMAILADRESS",
                "listId": "-1",
                "searchValue": "lady_gaga\u200b@example.com",
                "blockUntil": "2020-02-01",
            },
            "searchValue",
        ),
        (
            "POST",
            "/lists/42/contacts",
            {"originalId": "901", "emailAddress": "\ufeffann@example.org"},
            "emailAddress",
        ),
        (
            "POST",
            "/lists/42/contacts",
            {"originalId": "902", "mobileNumber": "+46 70 123\u200d45 99"},
            "mobileNumber",
        ),
        (
            "PUT",
            "/lists/42/contacts/222/update",
            {"emailAddress": "tom\u00ad@example.com"},
            "emailAddress",
        ),
    ],
    ids=["tempblock", "add-email", "add-mobile", "update"],
)
def test_an_address_that_cannot_be_read_is_a_400_naming_it_and_changes_nothing(
    sym: Sym, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    before = sym.tenant.snapshot()
    response = sym.call(method, f"/{ACCOUNT}{path}", body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field, response.text
    assert "invisible character" in response.json()["error"], response.text
    assert sym.tenant.snapshot() == before
