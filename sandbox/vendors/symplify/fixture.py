"""The `symplify` section of a fixture document: accounts, their lists and contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.clock import epoch_ms
from sandbox.errors import InvalidInput
from sandbox.store import Doc
from sandbox.vendors.symplify import contacts, lists
from sandbox.vendors.symplify.accounts import ACCOUNTS, CONTACTS, LISTS


def tables(section: dict[str, Any], now: datetime) -> dict[str, list[Doc]]:
    """A contact without an original_id gets its contact id as one; list ids are integers."""
    created = epoch_ms(now)
    accounts: list[Doc] = []
    list_docs: list[Doc] = []
    people: list[Doc] = []
    next_contact = contacts.CONTACT_IDS_START
    max_list = lists.LIST_IDS_START - 1
    for a, given in enumerate(section.get("accounts") or []):
        customer_id = str(given["customer_id"]).strip()
        where = f"symplify.accounts[{a}]"
        if not customer_id or "/" in customer_id or customer_id in {d["id"] for d in accounts}:
            raise InvalidInput(
                f"{where}.customer_id: {customer_id!r} is empty, has a '/' or is repeated",
                field=f"{where}.customer_id",
            )
        accounts.append({"id": customer_id})
        seen_lists: set[int] = set()
        for index, listed in enumerate(given.get("lists") or []):
            here = f"{where}.lists[{index}]"
            list_id = _list_id(listed["id"], f"{here}.id", seen_lists)
            max_list = max(max_list, list_id)
            name = str(listed.get("name") or f"List {list_id}")
            list_docs.append(lists.new_list(customer_id, list_id, name, "", 1))
            originals: set[str] = set()
            for c, person in enumerate(listed.get("contacts") or []):
                spot = f"{here}.contacts[{c}]"
                email, mobile = contacts.checked(person, "email", "mobile")
                contact_id, next_contact = next_contact, next_contact + 1
                original = str(person.get("original_id", contact_id)).strip()
                if not original or original in originals:
                    raise InvalidInput(
                        f"{spot}.original_id: {original!r} is empty or already on list {list_id}",
                        field=f"{spot}.original_id",
                    )
                originals.add(original)
                fields = {
                    "original_id": original,
                    "email": email,
                    "mobile": mobile,
                    "firstname": person.get("firstname"),
                    "lastname": person.get("lastname"),
                }
                people.append(
                    contacts.new_contact(contact_id, customer_id, list_id, fields, created)
                )
    return {
        ACCOUNTS: accounts,
        LISTS: list_docs,
        CONTACTS: people,
        "_sequences": [
            {"id": contacts.SEQUENCE, "value": next_contact - 1},
            {"id": lists.SEQUENCE, "value": max_list},
        ],
    }


def _list_id(value: Any, field: str, seen: set[int]) -> int:
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 2_147_483_647 or int(text) in seen:
        raise InvalidInput(
            f"{field}: {value!r} is not a list id (a positive integer, once per account)",
            field=field,
        )
    seen.add(int(text))
    return int(text)
