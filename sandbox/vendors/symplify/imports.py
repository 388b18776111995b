"""Symplify's list imports, as the PyPI client sbcommons (`SymplifyClient`) makes them
(research 7c): `POST lists/{id}/imports` declares one (delimiter, encoding, ADD or REPLACE,
identityColumn), `POST lists/{id}/recipients/{importId}` gives it its CSV, and
`GET batches/{id}` reports the batch: FINISHED with the rows it left out, or ERROR when no row
could be imported.

The CSV is read in a worker thread (import_csv.py); its contacts are written on the event
loop a few milliseconds' worth per commit (sandbox/pacing.py), so other requests are served between
the steps. The recipients call answers once every step is written: the batch it names is
already FINISHED (sbcommons sleeps a minute between looks at a batch that is not). ADD adds
new contacts and updates those already on the list (an empty cell clears the field); REPLACE
also removes, at the end, the list's contacts the file does not name. An import stopped
midway (a storage failure, the tenant reset, the server killed) keeps the steps written before
it and records no batch; the call answered an error (or nothing), and running it again is
safe.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sandbox import collector, pacing
from sandbox.clock import epoch_ms
from sandbox.doc import Doc
from sandbox.errors import Conflict, InvalidInput, NotFound
from sandbox.http import Context, Offload, Reply, Steps
from sandbox.store import Store, TenantData, Tx
from sandbox.vendors.symplify import import_csv, properties
from sandbox.vendors.symplify.accounts import (
    BATCHES,
    CONTACTS,
    IMPORTS,
    account,
    list_key,
    path_list,
)
from sandbox.vendors.symplify.contacts import CONTACT_IDS_START, new_contact, stamped
from sandbox.vendors.symplify.contacts import SEQUENCE as CONTACT_SEQUENCE
from sandbox.vendors.symplify.handler_table import handlers

IMPORT_SEQUENCE = "symplify_import"
BATCH_SEQUENCE = "symplify_batch"
IDENTITY = "originalId"

# the lists an import is being written to, per tenant ("1234/42"): another import into one of
# them waits for its answer (a 409), so two imports never interleave their steps on a list
_busy: WeakKeyDictionary[TenantData, set[str]] = WeakKeyDictionary()


def import_dto(doc: Doc) -> dict[str, Any]:
    dto = {
        "id": doc["import_id"],
        "listId": doc["list_id"],
        "delimiter": str(ord(doc["delimiter"])),
        "encoding": doc["encoding"],
        "type": doc["type"],
        "identityColumn": doc["identity"],
        "dateCreated": doc["created"],
    }
    if doc.get("batch_id") is not None:
        dto["batchId"] = doc["batch_id"]
    return dto


def batch_dto(doc: Doc) -> dict[str, Any]:
    return {
        "id": doc["batch_id"],
        "status": doc["status"],
        "importId": doc["import_id"],
        "listId": doc["list_id"],
        "type": doc["type"],
        "rows": doc["rows"],
        "added": doc["added"],
        "updated": doc["updated"],
        "removed": doc["removed"],
        "failed": doc["failed"],
        "errors": doc["errors"],
        "dateCreated": doc["created"],
        "dateFinished": doc["finished"],
    }


@handlers("createImport")
def create_import(ctx: Context) -> Reply:
    account_id, listed = path_list(ctx)
    body = ctx.body or {}
    delimiter = import_csv.delimiter_of(body.get("delimiter", "44"))
    encoding = body.get("encoding", "UTF8")  # one of import_csv.ENCODINGS: the schema's enum
    tx = ctx.data.begin()
    import_id = tx.next_id(IMPORT_SEQUENCE)
    doc = tx.put(
        IMPORTS,
        {
            "id": list_key(account_id, import_id),
            "account": account_id,
            "import_id": import_id,
            "list_id": listed["list_id"],
            "delimiter": delimiter,
            "encoding": encoding,
            "type": body.get("type", "ADD"),
            "identity": IDENTITY,
            "created": epoch_ms(ctx.now),
        },
    )
    tx.commit()
    return Reply(import_dto(doc))


@handlers("getBatch")
def get_batch(ctx: Context) -> Reply:
    account_id = account(ctx)
    batch_id = ctx.path_params["batchId"]
    found = ctx.data[BATCHES].get(list_key(account_id, batch_id))
    if found is None:
        raise NotFound(f"batchId: no batch {batch_id} in account {account_id}", field="batchId")
    return Reply(batch_dto(found))


@handlers("importRecipients")
def import_recipients(ctx: Context) -> Offload:
    """Checked here, read in the worker, written in steps by `_write`."""
    account_id, listed = path_list(ctx)
    import_id = ctx.path_params["importId"]
    data = ctx.data
    declared = data[IMPORTS].get(list_key(account_id, import_id))
    if declared is None or declared["list_id"] != listed["list_id"]:
        where = "" if declared is None else f" for list {listed['list_id']}"
        raise NotFound(
            f"importId: no import {import_id}{where} in account {account_id} (create one with "
            f"POST lists/{listed['list_id']}/imports)",
            field="importId",
        )
    if declared.get("batch_id") is not None:
        raise Conflict(
            f"importId: import {import_id} already has its CSV (its batch is "
            f"{declared['batch_id']}); create a new import",
            field="importId",
        )
    busy = _busy.setdefault(data, set())
    target = listed["id"]
    if target in busy:
        raise Conflict(
            f"importId: another import into list {listed['list_id']} is being written; post "
            "this one when it has answered",
            field="importId",
        )
    raw = ctx.raw
    if not raw or raw.isspace():  # (isspace stops at the first other byte: no copy)
        raise InvalidInput(
            "body: the CSV is empty; its first line must name the columns", field="body"
        )
    refused = import_csv.too_large(len(raw))
    if refused is not None:
        raise refused
    codec = import_csv.codec_of(declared["encoding"])
    now = epoch_ms(ctx.now)  # read here: the worker touches no tenant state
    busy.add(target)

    def finish(read: _Read | Exception) -> Steps:
        if isinstance(read, Exception):
            raise read
        return (yield from _write(ctx.store, data, declared, read, now))

    def work() -> _Read | Exception:
        body, ctx.raw = ctx.raw, b""  # (let go of once read: not held while it is written)
        return _read(body, declared, codec)

    return Offload(work, finish, always=lambda: busy.discard(target))


@dataclass
class _Read:
    """What the worker prepares: the file's rows, and for a REPLACE the originalIds the file
    names (its rows left out included)."""

    rows: import_csv.Rows
    named: frozenset[str]


def _read(raw: bytes, declared: Doc, codec: str) -> _Read | Exception:
    """The rows, or what stopped the reading: the finish raises it, on the loop (a refusal
    is answered as such, anything else is a bug's 500)."""
    try:
        rows = import_csv.read(raw, declared["delimiter"], codec)
        named = (
            frozenset(rows.places) | rows.named_bad
            if declared["type"] == "REPLACE"
            else frozenset()
        )
        rows.places.clear()  # (the steps look rows up by place)
    except Exception as stopped:  # handed to the finish, which raises it
        return stopped
    return _Read(rows, named)


@dataclass
class _Counts:
    added: int = 0
    updated: int = 0
    removed: int = 0


def _write(store: Store, data: TenantData, declared: Doc, read: _Read, now: int) -> Steps:
    account_id, list_id = declared["account"], declared["list_id"]
    rows = read.rows
    counts = _Counts()
    stored = data[CONTACTS]

    def step(part: slice) -> None:
        _still_current(store, data, declared, part.start)
        tx = data.begin()
        for index in range(part.start, part.stop):
            row = rows.take(index)  # (each row let go as it is written)
            existing = stored.by("on_list", (account_id, list_id, row["original_id"]))
            if existing is None:
                contact_id = tx.next_id(CONTACT_SEQUENCE, CONTACT_IDS_START)
                tx.put(CONTACTS, new_contact(contact_id, account_id, list_id, _new(row), now))
                counts.added += 1
            else:
                updated = _updated(existing, row, now, rows.lines[index])
                if isinstance(updated, import_csv.Problem):
                    rows.left_out(updated)
                    continue
                if updated is not None:  # (a row that changes nothing writes nothing)
                    tx.put(CONTACTS, updated)
                counts.updated += 1
        _commit(tx, declared, part.start)

    yield from pacing.in_steps(len(rows.kept), step)
    collector.settle(counts.added + counts.updated)  # (still paused: sandbox/collector.py)
    landed = counts.added + counts.updated
    if declared["type"] == "REPLACE" and (landed or not rows.failed):  # an ERROR removes no one
        yield from _remove_unnamed(store, data, declared, read.named, counts)
    _still_current(store, data, declared, landed)
    tx = data.begin()
    batch_id = tx.next_id(BATCH_SEQUENCE)
    problems = sorted(rows.problems, key=lambda p: p.line)[: import_csv.REPORTED]
    tx.put(
        BATCHES,
        {
            "id": list_key(account_id, batch_id),
            "account": account_id,
            "batch_id": batch_id,
            "import_id": declared["import_id"],
            "list_id": list_id,
            "type": declared["type"],
            "status": "ERROR" if rows.failed and not landed else "FINISHED",
            "rows": rows.seen,
            "added": counts.added,
            "updated": counts.updated,
            "removed": counts.removed,
            "failed": rows.failed,
            "errors": [
                {"line": p.line, "column": p.column, "message": p.message} for p in problems
            ],
            "created": now,
            "finished": epoch_ms(data.clock.now()),
        },
    )
    tx.put(IMPORTS, {**declared, "batch_id": batch_id})
    if landed:
        properties.define(tx, data, account_id, rows.properties, now)
    _commit(tx, declared, landed)
    return Reply({"batchId": batch_id})


def _remove_unnamed(
    store: Store, data: TenantData, declared: Doc, named: frozenset[str], counts: _Counts
) -> Iterator[None]:
    """REPLACE: the list's contacts the file does not name, removed in steps (once the
    file's contacts are written)."""
    written = counts.added + counts.updated
    members = data[CONTACTS].all_by("list", (declared["account"], declared["list_id"]))
    unnamed = [c["id"] for c in members if c["original_id"] not in named]

    def step(part: slice) -> None:
        _still_current(store, data, declared, written)
        tx = data.begin()
        for contact_id in unnamed[part]:
            tx.delete(CONTACTS, contact_id)
        _commit(tx, declared, written, removed=counts.removed)
        counts.removed += len(unnamed[part])

    yield from pacing.in_steps(len(unnamed), step)


def _commit(tx: Tx, declared: Doc, written: int, removed: int | None = None) -> None:
    """One step's commit; a storage failure says how far the import got."""
    done = f"{written} contacts" + ("" if removed is None else f" and {removed} removed")
    pacing.commit(
        tx,
        f"import {declared['import_id']} stopped there, after {done} (no batch is recorded; "
        "run it again)",
    )


def _still_current(store: Store, data: TenantData, declared: Doc, written: int) -> None:
    doing = f"import {declared['import_id']} was written ({written} contacts written before it)"
    pacing.still_current(store, data, "importId", doing)


def _new(row: dict[str, Any]) -> dict[str, Any]:
    """A new contact's fields: empty cells and properties left out (the row is changed: it
    is this contact's alone)."""
    given = row.get("properties")
    if given:
        row["properties"] = {k: v for k, v in given.items() if v} or None
    return row


def _updated(
    existing: Doc, row: dict[str, Any], now: int, line: int
) -> Doc | import_csv.Problem | None:
    """The contact with the row's columns: a value sets a field, an empty cell clears it;
    None when that changes nothing (a file imported again); a Problem when the contact would
    carry more properties than a contact may."""
    updated = dict(existing)
    for name, given in row.items():
        value = given
        if name == "properties":
            merged = {**(existing.get("properties") or {}), **given}
            value = {k: v for k, v in merged.items() if v} or None
            if value is not None and len(value) > import_csv.MAX_PROPERTIES:
                return import_csv.Problem(
                    line,
                    "row",
                    f"originalId {row['original_id']!r}: the contact would have {len(value)} "
                    f"properties; at most {import_csv.MAX_PROPERTIES}",
                )
        if value is None or value is False:
            updated.pop(name, None)
        else:
            updated[name] = value
    if updated == existing:
        return None
    updated["modified"] = now
    return stamped(updated, now)
