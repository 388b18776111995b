"""A small client for the Symplify API tests, bound to one tenant, and its fixture."""

from __future__ import annotations

import asyncio
import errno
import os
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sandbox.store import TenantData
from sandbox.testing import Sandbox, Tenant

ACCOUNT = "1234"
# the same person on lists 42 and 43; Tom on 42 only; Ann has a mobile and no e-mail
FIXTURE: dict[str, Any] = {
    "symplify": {
        "accounts": [
            {
                "customer_id": ACCOUNT,
                "lists": [
                    {
                        "id": "42",
                        "name": "Newsletter",
                        "contacts": [
                            {"original_id": "111", "email": "lady_gaga@example.com"},
                            {"original_id": "222", "email": "tom@example.com"},
                            {"original_id": "333", "mobile": "+46701234567"},
                        ],
                    },
                    {
                        "id": 43,
                        "contacts": [{"original_id": "111", "email": "Lady_Gaga@example.com"}],
                    },
                ],
                # an e-mail trigger, and an SMS one that ignores opt-outs (a one-time code)
                "triggers": [
                    {
                        "id": 7,
                        "name": "Order confirmation",
                        "list_id": 42,
                        "body": "Order {{orderId}} is confirmed",
                    },
                    {
                        "id": 8,
                        "name": "Login code",
                        "list_id": "42",
                        "channel": "SMS",
                        "ignore_opt_out": True,
                        "body": "Your code is {{code}}",
                    },
                ],
            },
            {"customer_id": "5678", "lists": [{"id": 42}]},
        ]
    }
}
GAGA, TOM, ANN = "lady_gaga@example.com", "tom@example.com", "+46701234567"
FIRST_CONTACT = 2_047_800_001
TEMPBLOCK = f"/{ACCOUNT}/lists/contacts/tempblock"


def dto(
    find_by: str = "ORIGINALID",
    list_id: Any = "42",
    value: str = "111",
    until: Any = "2020-02-01",
) -> dict[str, Any]:
    body = {"findBy": find_by, "listId": list_id, "searchValue": value}
    if until is not ...:
        body["blockUntil"] = until
    return body


@dataclass
class Sym:
    http: httpx.Client
    tenant: Tenant

    @property
    def auth(self) -> dict[str, str]:
        return self.tenant.symplify_auth()

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> httpx.Response:
        return self.http.request(
            method, f"/symplify{path}", json=body, params=params or None, headers=self.auth
        )

    def block(self, **fields: Any) -> httpx.Response:
        return self.call("PUT", TEMPBLOCK, dto(**fields))

    def release(self, **fields: Any) -> httpx.Response:
        return self.call("POST", TEMPBLOCK, dto(until="", **fields))

    def status(self, **fields: Any) -> httpx.Response:
        return self.call("GET", TEMPBLOCK, dto(until=..., **fields))

    def send(self, list_id: int = 42, **body: Any) -> httpx.Response:
        request = {k: v for k, v in {"subject": "Sale", "body": "Hi", **body}.items() if v}
        return self.call("POST", f"/{ACCOUNT}/lists/{list_id}/send", request)

    def delivered(self, list_id: int = 42, **body: Any) -> dict[str, tuple[str, str | None]]:
        """to -> (status, reason) of the messages one list send triggered."""
        response = self.send(list_id, **body)
        assert response.status_code == 200, response.text
        journal = self.http.get(f"{self.tenant.control}/requests", params={"limit": 1}).json()
        ids = journal["items"][0]["message_ids"]
        messages = [self.http.get(f"{self.tenant.control}/outbox/{i}").json() for i in ids]
        return {m["to"]: (m["status"], m["reason"]) for m in messages}


def error(response: httpx.Response, status: int) -> str:
    """The field an error names, checked to be in Symplify's error body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) <= {"error", "status", "field"} and body["status"] == status, body
    assert body.get("field", "") in body["error"], body  # the message names it too
    field: str = body.get("field", "")
    return field


@dataclass
class Interleaved:
    """A large request and another tenant's request made while it was under way."""

    large: httpx.Response
    other: httpx.Response
    committed: int  # the large request's commits when the other one was answered
    commits: int  # its commits in all


def interleaved(
    sandbox: Sandbox, data: TenantData, large: httpx.Request, other: httpx.Request
) -> Interleaved:
    """Make `large` (a request of the tenant `data`), and `other` as soon as `large` has made
    its first commit, on one event loop as a server would: `other` is answered between two
    of `large`'s steps if `large` works in steps, only after it if it works in one."""
    caller = sandbox.caller
    assert caller is not None, "an in-process sandbox"
    commit = data.commit
    commits = 0
    first = asyncio.Event()

    def counted(ops: list[Any], alone: bool = False) -> None:
        nonlocal commits
        commit(ops, alone)
        commits += 1
        first.set()

    async def run() -> Interleaved:
        making = asyncio.ensure_future(caller.call(large))
        await first.wait()
        answered = await caller.call(other)
        committed = commits
        return Interleaved(await making, answered, committed, 0)

    data.commit = counted  # type: ignore[method-assign]
    try:
        made = asyncio.run(run())
    finally:
        del data.commit
    made.commits = commits
    return made


def full_on_the_second_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk full (ENOSPC) for the second `os.write` from now on: the first journal line
    (a paced request's first step) is written, the next refused."""
    real_write = os.write
    writes = 0

    def full(fd: int, data: bytes | memoryview) -> int:
        nonlocal writes
        writes += 1
        if writes == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
