"""Capillary's success envelopes: v1.1 batches with per-item status, v2 created/entity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.errors import ApiError
from sandbox.http import Context, Reply
from sandbox.store import Tx


def batch_outcome(total: int, succeeded: int) -> tuple[int, str]:
    """A batch's HTTP status and message: 200 when every item succeeded, 201 when some
    failed, 400 when all did."""
    if succeeded == total:
        return 200, "Success"
    if succeeded:
        return 201, "Some requests have failed due to errors"
    return 400, "All requests have failed due to errors"


def v11_batch(
    plural: str, singular: str, items: list[dict[str, Any]], failed: int, *, typed: bool = False
) -> Reply:
    """v1.1 batch (batch_outcome), whose status `code` for 'All requests have failed' is
    Capillary's documented 500: the sandbox answers HTTP 400 because it never answers 5xx
    for a client's input. Capillary types the status differently per operation: most
    examples write `"success": "true"` and the counts as strings; `typed` is the JSON-typed
    form of those that write `"success": true` (request/add, research 7b)."""
    total = len(items)
    succeeded = total - failed
    http, message = batch_outcome(total, succeeded)
    code = 500 if http == 400 else http
    status: dict[str, Any] = {
        "success": bool(succeeded) if typed else ("true" if succeeded else "false"),
        "code": code,
        "message": message,
        "total": total if typed else str(total),
        "success_count": succeeded if typed else str(succeeded),
    }
    return Reply({"response": {"status": status, plural: {singular: items}}}, http)


Item = dict[str, Any]


def v11_each(
    ctx: Context,
    plural: str,
    singular: str,
    process: Callable[[Tx, Any, str], Item],
    failure: Callable[[Any, ApiError | None], Item],
    *,
    typed: bool = False,
) -> Reply:
    """A v1.1 batch (`root.<singular>[]`): each item in its own transaction, so a bad item
    fails alone (schema errors included) and the good ones apply: exactly the items the
    answer reports accepted are written (with the request, once its answer is made: a
    storage failure then is the whole request's 503, and changes nothing).
    `process(tx, item, where)` returns the item's answer; `failure(item, error)` the answer
    of one that failed."""
    results: list[Item] = []
    failed = 0
    for index, item in enumerate(ctx.body["root"][singular]):
        error = ctx.item_errors.get(("root", singular, index))
        if error is None:
            tx = ctx.data.begin()
            recorded = len(ctx.message_ids)
            try:
                result = process(tx, item, f"root.{singular}[{index}]")
            except ApiError as exc:
                error = exc
                del ctx.message_ids[recorded:]  # staged in `tx`, which is dropped
            else:
                tx.commit()
                results.append(result)
                continue
        failed += 1
        results.append(failure(item if isinstance(item, dict) else {}, error))
    return v11_batch(plural, singular, results, failed, typed=typed)


# the status of the communications answers (v1.1 sms and email, their reads, v2 email),
# typed as every published copy of their examples types it: strings
TEXT_OK = {"success": "true", "code": "200", "message": "success"}


def v11_ok(**entities: Any) -> Reply:
    """A communications answer: `TEXT_OK` and the entity."""
    return Reply({"response": {"status": dict(TEXT_OK), **entities}})


def v2_created(created_id: int, warnings: list[dict[str, Any]] | None = None) -> Reply:
    return Reply({"createdId": created_id, "warnings": warnings or []})
