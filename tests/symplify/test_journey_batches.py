"""A journey commenced for many contacts at once (help.symplify.com 360014214059, "API starter -
multiple contacts"): `POST /{customerid}/batchtrigger/v2` `{"type": "JOURNEY_COMMENCE",
"entityId": ...}` answers an `uploadUrl`; a file of JSON rows PUT there, without the API token,
enters each row's contact into the journey, decided as `journeys/{id}/commence` decides one
(a temporarily blocked contact enters and receives nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.testing import Sandbox

from .helpers import ACCOUNT, GAGA, TOM, Sym, error
from .test_journeys import GAGA_MOBILE, WITH_JOURNEYS

BATCH = f"/{ACCOUNT}/batchtrigger/v2"


@pytest.fixture
def sym(sandbox: Sandbox) -> Iterator[Sym]:
    """The journeys' tenant (journey 11 sends an e-mail, then an SMS)."""
    tenant = sandbox.create_tenant(WITH_JOURNEYS)
    tenant.set_clock(now="2020-01-15T09:00:00Z", frozen=True)
    yield Sym(sandbox.http, tenant)
    tenant.delete()


ROWS = b'{"id": "111", "properties": {"firstname": "Lady"}}\n{"id": "222"}\n'


def start(sym: Sym, journey: Any = 11) -> dict[str, Any]:
    answer = sym.call("POST", BATCH, {"type": "JOURNEY_COMMENCE", "entityId": journey})
    assert answer.status_code == 200, answer.text
    started: dict[str, Any] = answer.json()
    return started


def put(sym: Sym, url: str, content: bytes, **headers: str) -> httpx.Response:
    """The upload as a client makes it: the URL as given, no API token."""
    return sym.http.put(url, content=content, headers=headers)


def batch_messages(sym: Sym) -> list[dict[str, Any]]:
    return sorted(sym.tenant.outbox(operation="uploadBatchTrigger"), key=lambda m: int(m["id"]))


def test_each_row_of_the_file_enters_the_journey_a_blocked_one_receiving_nothing(
    sym: Sym,
) -> None:
    assert sym.block(value="222", until="2020-02-01").status_code == 200
    started = start(sym)
    url = started["uploadUrl"]
    assert urlsplit(url).path == f"/symplify{BATCH}/uploads/{started['id']}"
    done = put(sym, url, ROWS, **{"Content-Type": "application/x-ndjson"})
    assert done.status_code == 200, done.text
    assert done.json() | {"dateCreated": 0, "dateFinished": 0} == {
        "id": started["id"],
        "type": "JOURNEY_COMMENCE",
        "entityId": 11,
        "status": "FINISHED",
        "rows": 2,
        "entered": 2,
        "failed": 0,
        "errors": [],
        "dateCreated": 0,
        "dateFinished": 0,
    }
    sent = {(m["to"], m["status"], m["reason"]) for m in batch_messages(sym)}
    assert sent == {
        (GAGA, "DELIVERED", None),
        (GAGA_MOBILE, "DELIVERED", None),
        (TOM, "SUPPRESSED", "CONTACT_TEMP_BLOCKED"),
    }
    [gaga] = [m for m in batch_messages(sym) if m["to"] == GAGA]
    assert gaga["subject"] == "Welcome Lady" and gaga["category"] == "PROMOTIONAL"
    explained = sym.http.get(f"{sym.tenant.control}/outbox/{gaga['id']}").json()
    assert [r["rule"] for r in explained["decision"]][-1] == "subscription_opt_out"
    counted = sym.call("GET", f"/{ACCOUNT}/lists/42/contacts/222/messagecount/email").json()
    assert (counted["auto"], counted["notSent"]) == (1, 1)


def test_rows_that_cannot_enter_are_reported_and_the_others_enter(sym: Sym) -> None:
    rows = (
        b'{"id": 111}\n'  # a number: its decimal text
        b"\n"
        b"[1, 2]\n"
        b'{"properties": {}}\n'
        b'{"id": "999"}\n'
        b'{"id": "222", "properties": {"n": 1}}\n'
        b"not json\n"
    )
    done = put(sym, start(sym)["uploadUrl"], rows)
    assert done.status_code == 200, done.text
    report = done.json()
    assert (report["status"], report["rows"], report["entered"], report["failed"]) == (
        "FINISHED",
        6,
        1,
        5,
    )
    assert [e["line"] for e in report["errors"]] == [3, 4, 5, 6, 7]
    assert "'999'" in report["errors"][2]["message"]
    assert {m["contact"] for m in batch_messages(sym)} == {"111"}


def test_a_file_none_of_whose_rows_enters_is_an_error_batch(sym: Sym) -> None:
    done = put(sym, start(sym)["uploadUrl"], b'{"id": "999"}\n')
    assert (done.status_code, done.json()["status"], done.json()["entered"]) == (200, "ERROR", 0)
    assert batch_messages(sym) == []


def test_an_upload_url_takes_one_file(sym: Sym) -> None:
    url = start(sym)["uploadUrl"]
    assert put(sym, url, b'{"id": "222"}\n').status_code == 200
    before = sym.tenant.snapshot()
    assert error(put(sym, url, b'{"id": "222"}\n'), 409) == "batchId"
    assert sym.tenant.snapshot() == before


def test_a_bad_or_expired_signature_is_a_403_and_changes_nothing(sym: Sym) -> None:
    url = start(sym)["uploadUrl"]
    other = start(sym)
    before = sym.tenant.snapshot()
    tampered = url[:-3] + ("abc" if not url.endswith("abc") else "xyz")
    assert error(put(sym, tampered, ROWS), 403) == "signature"
    base = url.split("?")[0]
    assert error(put(sym, base, ROWS), 400) == "signature"  # (no signature at all)
    signature = parse_qs(urlsplit(other["uploadUrl"]).query)["signature"][0]
    # another batch's signature does not open this one
    assert error(put(sym, f"{base}?signature={signature}", ROWS), 404) == "batchId"
    assert error(put(sym, url, b"  \n"), 400) == "body"
    sym.tenant.advance_clock(86_400)
    assert "expired" in put(sym, url, ROWS).json()["error"]
    assert error(put(sym, url, ROWS), 403) == "signature"
    after = sym.tenant.snapshot()
    for taken in (before, after):
        taken.pop("snapshot"), taken.pop("clock")
    assert after == before
    assert batch_messages(sym) == []


def test_a_deleted_tenants_url_opens_nothing(sandbox: Sandbox) -> None:
    tenant = sandbox.create_tenant(WITH_JOURNEYS)
    gone = Sym(sandbox.http, tenant)
    url = start(gone)["uploadUrl"]
    tenant.delete()
    assert error(put(gone, url, ROWS), 403) == "signature"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"type": "CAMPAIGN_COMMENCE", "entityId": 11}, 400, "type"),
        ({"type": "JOURNEY_COMMENCE"}, 400, "entityId"),
        ({"type": "JOURNEY_COMMENCE", "entityId": 99}, 404, "entityId"),
        ({"type": "JOURNEY_COMMENCE", "entityId": "x"}, 400, "entityId"),
    ],
)
def test_a_bad_batch_start_names_its_field_and_changes_nothing(
    sym: Sym, body: dict[str, Any], status: int, field: str
) -> None:
    before = sym.tenant.snapshot()
    assert error(sym.call("POST", BATCH, body), status) == field
    assert sym.tenant.snapshot() == before


def test_a_batch_start_needs_the_token(sym: Sym) -> None:
    answer = sym.http.post(f"/symplify{BATCH}", json={"type": "JOURNEY_COMMENCE", "entityId": 11})
    assert answer.status_code == 401


def test_batches_travel_in_snapshots(sym: Sym, sandbox: Sandbox) -> None:
    done = put(sym, start(sym, "11")["uploadUrl"], ROWS).json()
    waiting = start(sym)
    copied = sandbox.create_tenant(sym.tenant.snapshot())
    try:
        batches = copied.snapshot()["symplify"]["accounts"][0]["journey_batches"]
        assert [(b["id"], b["status"], b.get("entered")) for b in batches] == [
            (done["id"], "FINISHED", 2),
            (waiting["id"], "WAITING", None),
        ]
        assert start(Sym(sym.http, copied))["id"] == waiting["id"] + 1
    finally:
        copied.delete()


def test_a_document_batch_naming_no_journey_of_its_account_is_refused(sandbox: Sandbox) -> None:
    document: dict[str, Any] = {"symplify": {"accounts": [
        {**WITH_JOURNEYS["symplify"]["accounts"][0], "journey_batches": [
            {"id": 1, "journey_id": 13, "signature": "x", "status": "WAITING", "created": 0}]},
    ]}}  # fmt: skip
    answer = sandbox.http.put("/_sandbox/tenants/sym-batch", json=document)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == "symplify.accounts[0].journey_batches[0].journey_id"
