"""The `symplify` section of a tenant document: accounts, their lists and contacts, each
contact with its temporary block, and their triggers and journeys. `tables` loads a section,
`section` writes one from a tenant (a snapshot's contacts carry their ids and times too)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from sandbox.clock import epoch_ms
from sandbox.doc import Doc
from sandbox.errors import InvalidInput
from sandbox.store import TenantData
from sandbox.vendor import refuse_repeated
from sandbox.vendors.symplify import (
    contacts,
    imports,
    journey_batches,
    lists,
    properties,
    tempblock,
)
from sandbox.vendors.symplify.accounts import (
    ACCOUNTS,
    BATCHES,
    CONTACTS,
    IMPORTS,
    JOURNEY_BATCHES,
    JOURNEYS,
    LISTS,
    PROPERTIES,
    TRIGGERS,
    list_key,
)
from sandbox.vendors.symplify.flags import FLAGS


def tables(section: dict[str, Any], now: datetime) -> dict[str, list[Doc]]:
    """A contact without an original_id gets its contact id as one; list ids are integers."""
    created = epoch_ms(now)
    accounts: list[Doc] = []
    list_docs: list[Doc] = []
    people: list[Doc] = []
    declared: dict[str, list[Doc]] = {TRIGGERS: [], JOURNEYS: []}
    made: dict[str, list[Doc]] = {IMPORTS: [], BATCHES: [], JOURNEY_BATCHES: []}
    defined: list[Doc] = []
    next_contact = contacts.CONTACT_IDS_START
    contact_ids: set[int] = set()
    max_list = lists.LIST_IDS_START - 1
    for a, given in enumerate(section.get("accounts") or []):
        account_id = str(given["customer_id"]).strip()
        where = f"symplify.accounts[{a}]"
        if not account_id or "/" in account_id or account_id in {d["id"] for d in accounts}:
            raise InvalidInput(
                f"{where}.customer_id: {account_id!r} is empty, has a '/' or is repeated",
                field=f"{where}.customer_id",
            )
        accounts.append({"id": account_id})
        first_person = len(people)  # this account's contacts are people[first_person:]
        seen_lists: set[int] = set()
        for index, listed in enumerate(given.get("lists") or []):
            here = f"{where}.lists[{index}]"
            list_id = _list_id(listed["id"], f"{here}.id", seen_lists)
            max_list = max(max_list, list_id)
            name = str(listed.get("name") or f"List {list_id}")
            list_docs.append(
                lists.new_list(
                    account_id,
                    list_id,
                    name,
                    listed.get("description", ""),
                    listed.get("type", 1),
                )
            )
            originals: set[str] = set()
            for c, person in enumerate(listed.get("contacts") or []):
                spot = f"{here}.contacts[{c}]"
                email, mobile = contacts.checked(person, "email", "mobile")
                if "id" in person:
                    contact_id = int(person["id"])
                    if contact_id in contact_ids:
                        raise InvalidInput(
                            f"{spot}.id: {contact_id} is repeated", field=f"{spot}.id"
                        )
                else:  # past every id so far, given or not
                    contact_id = next_contact
                next_contact = max(next_contact, contact_id + 1)
                contact_ids.add(contact_id)
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
                    "properties": person.get("properties") or None,
                    **_flags(person, spot),
                }
                contact = contacts.new_contact(contact_id, account_id, list_id, fields, created)
                contact.update({k: person[k] for k in ("created", "modified") if k in person})
                if person.get("temp_block"):
                    contact["block"] = _block(person["temp_block"], f"{spot}.temp_block")
                people.append(contact)
        for kind in _DECLARED:
            declared[kind.collection].extend(
                _declared(
                    given.get(kind.section) or [], account_id, seen_lists, created, where, kind=kind
                )
            )
        last = max(_last(defined, "property_id"), properties.FIRST_DEFINED - 1)
        defined.extend(
            _properties(given, account_id, people[first_person:], created, last, where=where)
        )
        account_made = {
            collection: _made(given.get(name) or [], account_id, number, f"{where}.{name}")
            for name, collection, number in _MADE
        }
        _check_made(account_made, seen_lists, declared[JOURNEYS], where)
        for collection, docs in account_made.items():
            made[collection].extend(docs)
    return {
        ACCOUNTS: accounts,
        LISTS: list_docs,
        CONTACTS: people,
        **declared,
        **made,
        PROPERTIES: defined,
        # each sequence past the ids its documents took (a sequence with none: as it starts)
        "_sequences": [
            {"id": sequence, "value": value}
            for sequence, value, documents in (
                (properties.SEQUENCE, _last(defined, "property_id"), defined),
                (contacts.SEQUENCE, next_contact - 1, people),
                (lists.SEQUENCE, max_list, list_docs),
                (imports.IMPORT_SEQUENCE, _last(made[IMPORTS], "import_id"), made[IMPORTS]),
                (imports.BATCH_SEQUENCE, _last(made[BATCHES], "batch_id"), made[BATCHES]),
                (
                    journey_batches.SEQUENCE,
                    _last(made[JOURNEY_BATCHES], "batch_id"),
                    made[JOURNEY_BATCHES],
                ),
            )
            if documents
        ],
    }


# what an account's calls made, as snapshots carry it: (section, collection, its id field)
_MADE = (
    ("imports", IMPORTS, "import_id"),
    ("batches", BATCHES, "batch_id"),
    ("journey_batches", JOURNEY_BATCHES, "batch_id"),
)


# what an import, a batch or a journey batch names, and where it must be found: (collection,
# its field, the collection its value belongs to, that collection's numbering field); None:
# the lists
_REFERENCES = (
    (IMPORTS, "list_id", None, ""),
    (IMPORTS, "batch_id", BATCHES, "batch_id"),
    (BATCHES, "list_id", None, ""),
    (BATCHES, "import_id", IMPORTS, "import_id"),
    (JOURNEY_BATCHES, "journey_id", JOURNEYS, "journey_id"),
)


def _check_made(
    made: dict[str, list[Doc]], lists: set[int], journeys: list[Doc], where: str
) -> None:
    """An account's imports, batches and journey batches name its own lists, imports,
    batches and journeys (`journeys`: every account's so far; none of them is ever removed):
    one naming another is one no call could find or run."""
    sections = {collection: name for name, collection, _ in _MADE} | {JOURNEYS: "journeys"}
    account_id = next(iter(doc["account"] for docs in made.values() for doc in docs), None)
    owned = {**made, JOURNEYS: [doc for doc in journeys if doc["account"] == account_id]}
    for collection, field, target, number in _REFERENCES:
        known = lists if target is None else {doc[number] for doc in owned[target]}
        noun = "lists" if target is None else sections[target]
        for index, doc in enumerate(made[collection]):
            value = doc.get(field)
            if value is not None and value not in known:
                here = f"{where}.{sections[collection]}[{index}].{field}"
                raise InvalidInput(
                    f"{here}: {value!r} is not one of the account's {noun} "
                    f"({', '.join(map(str, sorted(known))) or 'none'})",
                    field=here,
                )


def _made(given: list[dict[str, Any]], account_id: str, number: str, where: str) -> list[Doc]:
    """A snapshot's imports or batches, as stored (the id is the account's number)."""
    docs: list[Doc] = []
    seen: set[int] = set()
    for index, item in enumerate(given):
        item_id = _list_id(item["id"], f"{where}[{index}].id", seen, f"an id of {where}")
        rest = {k: v for k, v in item.items() if k != "id"}
        docs.append(
            {"id": list_key(account_id, item_id), "account": account_id, number: item_id, **rest}
        )
    return docs


def _properties(
    given: dict[str, Any],
    account_id: str,
    people: list[Doc],
    created: int,
    last: int,
    *,
    where: str,
) -> list[Doc]:
    """The account's property definitions: a snapshot's (`properties`), then each property one
    of its contacts (`people`) has that none defines, in the order they first appear, numbered
    after `last` (the tenant's definitions share one sequence)."""
    declared = given.get("properties") or []
    for unique in ("id", "name"):
        refuse_repeated(declared, unique, f"{where}.properties")
    docs = [
        properties.new_property(account_id, item["id"], item["name"], item["created"])
        for item in declared
    ]
    seen = {item["name"] for item in declared}
    next_id = max([last] + [d["property_id"] for d in docs])
    for person in people:
        for name in person.get("properties") or {}:
            if name not in seen:
                seen.add(name)
                next_id += 1
                docs.append(properties.new_property(account_id, next_id, name, created))
    return docs


def _last(docs: list[Doc], number: str) -> int:
    return max((doc[number] for doc in docs), default=0)


def _declared(
    given: list[dict[str, Any]],
    account_id: str,
    lists: set[int],
    created: int,
    where: str,
    *,
    kind: _Kind,
) -> list[Doc]:
    """An account's declared triggers or journeys: each on one of the account's lists, ids
    once each, with its own fields (`kind.fields`)."""
    docs: list[Doc] = []
    seen: set[int] = set()
    for index, item in enumerate(given):
        here = f"{where}.{kind.section}[{index}]"
        item_id = _list_id(item["id"], f"{here}.id", seen, f"a {kind.noun} id")
        doc: Doc = {
            "id": list_key(account_id, item_id),
            "account": account_id,
            kind.number: item_id,
            "name": str(item.get("name") or f"{kind.noun.capitalize()} {item_id}"),
            "list_id": _its_list(item, here, account_id, lists),
            "ignore_opt_out": bool(item.get("ignore_opt_out", False)),
            "created": item.get("created", created),
            **kind.fields(item),
        }
        if item.get("description"):
            doc["description"] = item["description"]
        docs.append(doc)
    return docs


def _trigger_fields(trigger: dict[str, Any]) -> Doc:
    """A trigger's channel (EMAIL unless given), and its subject and body when given."""
    given = {k: trigger[k] for k in ("subject", "body") if trigger.get(k)}
    return {"channel": trigger.get("channel", "EMAIL"), **given}


def _journey_fields(journey: dict[str, Any]) -> Doc:
    """A journey's category and the messages a contact entering it is sent (each on its
    channel, EMAIL unless given)."""
    messages = [
        {"channel": message.get("channel", "EMAIL")}
        | {k: message[k] for k in ("subject", "body") if message.get(k)}
        for message in journey["messages"]
    ]
    return {"category": journey.get("category", "TRANSACTIONAL"), "messages": messages}


class _Kind(NamedTuple):
    """What an account declares and each send names: its section, collection, the field of
    its number, its noun, and its own fields."""

    section: str
    collection: str
    number: str
    noun: str
    fields: Callable[[dict[str, Any]], Doc]


_DECLARED = (
    _Kind("triggers", TRIGGERS, "trigger_id", "trigger", _trigger_fields),
    _Kind("journeys", JOURNEYS, "journey_id", "journey", _journey_fields),
)


def _its_list(item: dict[str, Any], here: str, account_id: str, lists: set[int]) -> int:
    """The list a declared trigger or journey names, which must be one of the account's: one
    naming another is refused when the tenant is loaded, not when it is sent."""
    given_list = str(item["list_id"]).strip()
    list_id = int(given_list) if _digits(given_list) else None
    if list_id not in lists:
        raise InvalidInput(
            f"{here}.list_id: {item['list_id']!r} is not one of account {account_id}'s "
            f"lists ({', '.join(map(str, sorted(lists))) or 'none'})",
            field=f"{here}.list_id",
        )
    return list_id


def _flags(person: dict[str, Any], where: str) -> dict[str, Any]:
    """A declared contact's opt-outs and bounces, each with its date when given (a snapshot
    carries them; without one, the contact is dated as loaded); a date without its flag is
    refused: nothing would show it."""
    flags: dict[str, Any] = {}
    for flag in FLAGS:
        flags[flag.stored] = bool(person.get(flag.stored))
        if flag.dated in person:
            if not flags[flag.stored]:
                raise InvalidInput(
                    f"{where}.{flag.dated}: given without {flag.stored}: true",
                    field=f"{where}.{flag.dated}",
                )
            flags[flag.dated] = person[flag.dated]
    return flags


def _block(given: dict[str, Any], where: str) -> dict[str, Any]:
    """A declared temporary block: its last day, and whether it covers every list."""
    until = tempblock.parse_day(given["until"], f"{where}.until")  # blockUntil's own parser
    return {"until": until, "all": bool(given.get("all_lists", False))}


def section(data: TenantData) -> dict[str, Any]:
    """The tenant's `symplify` section, as `tables` reads it."""
    accounts = []
    for account in data[ACCOUNTS].values():
        owned = sorted(data[LISTS].all_by("account", account["id"]), key=lambda d: d["list_id"])
        accounts.append(
            {
                "customer_id": account["id"],
                "lists": [
                    {
                        "id": listed["list_id"],
                        "name": listed["name"],
                        "description": listed["description"],
                        "type": listed["type"],
                        "contacts": [
                            _contact(c)
                            for c in data[CONTACTS].all_by(
                                "list", (account["id"], listed["list_id"])
                            )
                        ],
                    }
                    for listed in owned
                ],
                **{
                    kind.section: _numbered(data, kind.collection, kind.number, account["id"])
                    for kind in _DECLARED
                },
                **{
                    section_name: _numbered(data, collection, number, account["id"])
                    for section_name, collection, number in _MADE
                },
                "properties": [
                    {"id": d["property_id"], "name": d["name"], "created": d["created"]}
                    for d in sorted(
                        data[PROPERTIES].all_by("account", account["id"]),
                        key=lambda d: d["property_id"],
                    )
                ],
            }
        )
    return {"accounts": accounts}


def _numbered(data: TenantData, collection: str, number: str, account_id: str) -> list[Doc]:
    """An account's triggers, journeys, imports or batches in id order, each as its section
    holds it: its account's number as `id`, the rest as stored."""
    owned = sorted(data[collection].all_by("account", account_id), key=lambda doc: doc[number])
    return [
        {"id": doc[number], **{k: v for k, v in doc.items() if k not in {"id", "account", number}}}
        for doc in owned
    ]


def _contact(doc: Doc) -> dict[str, Any]:
    given = {k: v for k, v in doc.items() if k not in {"account", "list_id", "block"}}
    block = doc.get("block")
    if block is not None:
        given["temp_block"] = {"until": block["until"], "all_lists": block["all"]}
    return given


def _list_id(value: Any, field: str, seen: set[int], what: str = "a list id") -> int:
    """A positive integer id, once per account (only ASCII digits: int() reads others)."""
    text = str(value).strip()
    if not _digits(text) or not 1 <= int(text) <= 2_147_483_647 or int(text) in seen:
        raise InvalidInput(
            f"{field}: {value!r} is not {what} (a positive integer, once per account)",
            field=field,
        )
    seen.add(int(text))
    return int(text)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()
