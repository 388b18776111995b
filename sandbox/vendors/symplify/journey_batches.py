"""A journey commenced for many contacts at once: the help centre's batch starter
(help.symplify.com 360014214059, "API starter - multiple contacts"). `POST /{customerid}/
batchtrigger/v2` with `{"type": "JOURNEY_COMMENCE", "entityId": <journey>}` answers an
`uploadUrl`; the client PUTs a file of JSON rows to it, one contact a line,
`{"id": "<originalId>", "properties": {...}}`, and each contact enters the journey as
`POST journeys/{id}/commence` enters one (journeys.entrant and journeys.enter: decided like
a trigger's message, its block and opt-outs honoured).

Symplify's uploadUrl is a pre-signed URL the client PUTs to without its API token: the
sandbox's is its own route, `.../batchtrigger/v2/uploads/{batchId}?signature=...`, the
signature naming the tenant (sandbox/tokens.py) and good for one file, for a day of the
tenant's clock. The file's rows are read in a worker thread and the messages recorded a few
milliseconds at a time (sandbox/pacing.py), as a list send records them.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from weakref import WeakKeyDictionary

import orjson

from sandbox import collector, pacing, tokens
from sandbox.clock import epoch_ms
from sandbox.doc import Doc
from sandbox.errors import ApiError, Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from sandbox.http import Context, Offload, Reply, Steps
from sandbox.store import TenantData
from sandbox.vendors.symplify import journeys
from sandbox.vendors.symplify.accounts import JOURNEY_BATCHES, JOURNEYS, account, list_key
from sandbox.vendors.symplify.handler_table import handlers

SEQUENCE = "symplify_journey_batch"
AUDIENCE = "symplify-upload"  # a signature is good for this and nothing else
UPLOAD_TTL_SECONDS = 86_400  # assumed: Symplify does not say how long its URL lasts
MAX_ROWS = 100_000  # rows a file may have (an import's bound)
REPORTED = 1000  # rows left out that are kept to report (all of them are counted)
UPLOAD = "uploadBatchTrigger"

# the batches a file is being written for, per tenant ("1234/3"): a second PUT of the same
# URL meanwhile is a 409, so no batch is entered twice
_busy: WeakKeyDictionary[TenantData, set[str]] = WeakKeyDictionary()


def batch_dto(doc: Doc) -> dict[str, Any]:
    return {
        "id": doc["batch_id"],
        "type": "JOURNEY_COMMENCE",
        "entityId": doc["journey_id"],
        "status": doc["status"],
        "rows": doc.get("rows", 0),
        "entered": doc.get("entered", 0),
        "failed": doc.get("failed", 0),
        "errors": doc.get("errors", []),
        "dateCreated": doc["created"],
        "dateFinished": doc.get("finished"),
    }


@handlers("batchTrigger")
def batch_trigger(ctx: Context) -> Reply:
    """A batch for the journey, waiting for its file: the URL to PUT it to."""
    account_id = account(ctx)
    body = ctx.body
    journey_id = int(body["entityId"])
    journey = ctx.data[JOURNEYS].get(list_key(account_id, journey_id))
    if journey is None:
        raise NotFound(
            f"entityId: no journey {journey_id} in account {account_id}", field="entityId"
        )
    signature = tokens.issue(ctx.store, ctx.data, AUDIENCE, UPLOAD_TTL_SECONDS)
    tx = ctx.data.begin()
    batch_id = tx.next_id(SEQUENCE)
    tx.put(
        JOURNEY_BATCHES,
        {
            "id": list_key(account_id, batch_id),
            "account": account_id,
            "batch_id": batch_id,
            "journey_id": journey["journey_id"],
            "signature": signature,
            "status": "WAITING",
            "created": epoch_ms(ctx.now),
        },
    )
    tx.commit()
    host = ctx.headers.get("host") or f"{ctx.store.settings.host}:{ctx.store.settings.port}"
    path = f"/symplify/{quote(account_id, safe='')}/batchtrigger/v2/uploads/{batch_id}"
    return Reply({"uploadUrl": f"http://{host}{path}?signature={signature}", "id": batch_id})


@handlers(UPLOAD)
def upload(ctx: Context) -> Offload:
    """The batch's file: checked here (the URL's signature, then the batch), read in the
    worker, its contacts entered in steps by `_enter`."""
    signature = ctx.query["signature"]
    found = tokens.verify(ctx.store, signature, AUDIENCE)
    if not isinstance(found, TenantData):
        why = "has expired" if found is tokens.Verdict.EXPIRED else "is not one this sandbox made"
        raise Forbidden(f"signature: the upload URL's signature {why}", field="signature")
    ctx.tenant = found  # the request log belongs to this tenant
    account_id = account(ctx)
    batch_id = ctx.path_params["batchId"]
    key = list_key(account_id, batch_id)
    batch = found[JOURNEY_BATCHES].get(key)
    if batch is None or not hmac.compare_digest(batch["signature"], signature):
        raise NotFound(f"batchId: no batch {batch_id} in account {account_id}", field="batchId")
    busy = _busy.setdefault(found, set())
    if batch["status"] != "WAITING" or key in busy:
        raise Conflict(
            f"batchId: batch {batch_id} already has its file; start another batch "
            "(POST batchtrigger/v2)",
            field="batchId",
        )
    journey = found[JOURNEYS].get(list_key(account_id, batch["journey_id"]))
    if journey is None:  # (declared journeys are never removed but by a reset)
        raise NotFound(f"batchId: batch {batch_id}'s journey is gone", field="batchId")
    raw = ctx.raw
    if not raw or raw.isspace():
        raise InvalidInput("body: the file is empty; one JSON row a contact", field="body")
    busy.add(key)

    def work() -> _Rows | ApiError:
        body, ctx.raw = ctx.raw, b""
        try:
            return _rows(body)
        except ApiError as refused:  # raised by the finish, on the loop
            return refused

    def finish(rows: _Rows | ApiError) -> Steps:
        if isinstance(rows, ApiError):
            raise rows
        return (yield from _enter(ctx, found, batch, journey, rows))

    return Offload(work, finish, always=lambda: busy.discard(key))


@dataclass
class _Rows:
    """A file's contacts, (line, originalId, properties), and the rows left out."""

    kept: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    seen: int = 0

    def left_out(self, line: int, message: str) -> None:
        if len(self.problems) < REPORTED:
            self.problems.append({"line": line, "message": message})


def _rows(raw: bytes) -> _Rows:
    """Each non-blank line as a contact row, or a problem of its own (a row that is no JSON
    object, has no `id`, or whose properties are not texts)."""
    rows = _Rows()
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        rows.seen += 1
        if rows.seen > MAX_ROWS:
            raise PayloadTooLarge(
                f"body: more than {MAX_ROWS} rows; start a batch for each part", field="body"
            )
        read = _read_row(line)
        if isinstance(read, str):
            rows.left_out(number, read)
        else:
            original_id, properties = read
            rows.kept.append((number, original_id, properties))
    return rows


def _read_row(line: bytes) -> tuple[str, dict[str, Any]] | str:
    """A row's (originalId, properties), or what is wrong with it."""
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        return "not a JSON object (one a line; not an array)"
    if not isinstance(row, dict):
        return "not a JSON object (one a line; not an array)"
    given = row.get("id")
    if isinstance(given, bool) or not isinstance(given, str | int) or given == "":
        return "id: the contact's originalId (a text or a number) is required"
    properties = row.get("properties") or {}
    if not isinstance(properties, dict) or not all(
        isinstance(value, str | None) for value in properties.values()
    ):
        return "properties: an object of texts"
    return (given if isinstance(given, str) else str(given)), properties


def _enter(ctx: Context, data: TenantData, batch: Doc, journey: Doc, rows: _Rows) -> Steps:
    """Each row's contact enters the journey, a step at a time; then the batch is done."""
    entered = 0
    problems = rows.problems  # (the rows the worker left out, then those refused here)
    failed = rows.seen - len(rows.kept)
    kept = rows.kept

    def step(part: slice) -> None:
        nonlocal entered, failed
        doing = f"batch {batch['batch_id']} was entered ({entered} contacts before it)"
        pacing.still_current(ctx.store, data, "batchId", doing)
        tx = data.begin()
        for line, original_id, properties in kept[part]:
            try:
                contact, messages = journeys.entrant(data, journey, original_id)
            except ApiError as refused:  # not on the journey's list, or no address for it
                failed += 1
                rows.left_out(line, refused.message)
                continue
            journeys.enter(
                tx, journey, contact, messages, properties, operation=UPLOAD,
                now=ctx.now, outbox=ctx.outbox,
            )  # fmt: skip
            entered += 1
        pacing.commit(tx, f"batch {batch['batch_id']} stopped there, after {entered} contacts")

    yield from pacing.in_steps(len(kept), step)
    collector.settle(entered)
    pacing.still_current(ctx.store, data, "batchId", f"batch {batch['batch_id']} was entered")
    tx = data.begin()
    done = {
        **batch,
        "status": "ERROR" if rows.seen and not entered else "FINISHED",
        "rows": rows.seen,
        "entered": entered,
        "failed": failed,
        "errors": sorted(problems, key=lambda p: p["line"]),
        "finished": epoch_ms(data.clock.now()),
    }
    tx.put(JOURNEY_BATCHES, done)
    pacing.commit(tx, f"batch {batch['batch_id']}'s {entered} contacts entered")
    return Reply(batch_dto(done))
