"""Operations that replace a tenant's whole state (reset, replace, create, delete) against each
other, on one event loop, as a server runs them: an offloaded one (reset, PUT) prepares the new
state in a worker thread and installs it back on the loop. An acknowledged replace or delete
that lands in between is never undone: the one that started before it answers 409, changes
nothing and leaves no staging directory behind.

The overlap is made deterministic by holding the first operation's staging step (the worker
thread's part) until the second one has answered: no sleeps."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.app import create_app
from sandbox.control import tenants
from sandbox.settings import Settings
from sandbox.testing.transport import AppCaller

OLD = {"capillary": {"customers": [{"id": 1, "mobile": "919000000001"}]}}
NEW = {"capillary": {"customers": [{"id": 2, "mobile": "919000000002"}]}}
TENANT = "/_sandbox/tenants/t1"


class Held:
    """Once armed, holds the next call of `tenants.staged` (the worker's part of an offloaded
    operation) until released; other calls run at once."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.armed:
            self.armed = False
            self.entered.set()
            assert self.release.wait(30), "the held staging step was never released"
        return self.real(*args, **kwargs)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    created = create_app(Settings(data_dir=tmp_path))
    yield created
    created.store.close()


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Held:
    hold = Held(tenants.staged)
    monkeypatch.setattr(tenants, "staged", hold)
    return hold


def request(method: str, path: str, body: Any = None) -> httpx.Request:
    return httpx.Request(method, f"http://localhost{path}", json=body)


async def overlapped(
    caller: AppCaller, held: Held, first: httpx.Request, second: httpx.Request
) -> tuple[httpx.Response, httpx.Response]:
    """`first` starts and is held in its staging step; `second` runs to its answer; then
    `first` goes on. Their answers, in that order."""
    held.armed = True
    started = asyncio.ensure_future(caller.call(first))
    await asyncio.to_thread(held.entered.wait, 30)
    answered = await caller.call(second)
    held.release.set()
    return await started, answered


def staging_left(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "tenants").iterdir() if p.name.startswith("."))


def customers(app: Any) -> list[int]:
    data = app.store.get("t1")
    return sorted(doc["id"] for doc in data["customers"].values())


def test_a_reset_overlapping_a_replace_answers_409_and_keeps_the_replace(
    app: Any, held: Held, tmp_path: Path
) -> None:
    caller = AppCaller(app)
    created = caller.call_sync(request("PUT", TENANT, OLD))
    assert created.status_code == 201

    async def run() -> tuple[httpx.Response, httpx.Response]:
        return await overlapped(
            caller, held, request("POST", f"{TENANT}/reset"), request("PUT", TENANT, NEW)
        )

    reset, replaced = asyncio.run(run())
    assert replaced.status_code == 200, replaced.text
    assert reset.status_code == 409, reset.text
    error = reset.json()["error"]
    assert error["code"] == "CONFLICT" and error["field"] == "tenant"
    assert "replaced" in error["message"] and "nothing" in error["message"]
    assert customers(app) == [2]  # the acknowledged replace stands
    assert staging_left(tmp_path) == []
    # and a restart finds the replace too
    app.store.close()
    again = create_app(Settings(data_dir=tmp_path))
    try:
        assert customers(again) == [2]
    finally:
        again.store.close()


def test_a_reset_overlapping_a_delete_does_not_bring_the_tenant_back(
    app: Any, held: Held, tmp_path: Path
) -> None:
    caller = AppCaller(app)
    assert caller.call_sync(request("PUT", TENANT, OLD)).status_code == 201

    async def run() -> tuple[httpx.Response, httpx.Response]:
        return await overlapped(
            caller, held, request("POST", f"{TENANT}/reset"), request("DELETE", TENANT)
        )

    reset, deleted = asyncio.run(run())
    assert deleted.status_code == 204
    assert reset.status_code == 409, reset.text
    assert "deleted" in reset.json()["error"]["message"]
    assert caller.call_sync(request("GET", TENANT)).status_code == 404
    assert not (tmp_path / "tenants" / "t1").exists()
    assert staging_left(tmp_path) == []


def test_a_replace_overlapping_a_delete_does_not_bring_the_tenant_back(
    app: Any, held: Held, tmp_path: Path
) -> None:
    caller = AppCaller(app)
    assert caller.call_sync(request("PUT", TENANT, OLD)).status_code == 201

    async def run() -> tuple[httpx.Response, httpx.Response]:
        return await overlapped(
            caller, held, request("PUT", TENANT, NEW), request("DELETE", TENANT)
        )

    replaced, deleted = asyncio.run(run())
    assert deleted.status_code == 204
    assert replaced.status_code == 409, replaced.text
    assert caller.call_sync(request("GET", TENANT)).status_code == 404
    assert staging_left(tmp_path) == []


def test_two_overlapping_creates_the_second_to_finish_answers_409(
    app: Any, held: Held, tmp_path: Path
) -> None:
    caller = AppCaller(app)

    async def run() -> tuple[httpx.Response, httpx.Response]:
        return await overlapped(
            caller, held, request("PUT", TENANT, OLD), request("PUT", TENANT, NEW)
        )

    first, second = asyncio.run(run())
    assert second.status_code == 201
    assert first.status_code == 409, first.text
    assert "created" in first.json()["error"]["message"]
    assert customers(app) == [2]
    assert staging_left(tmp_path) == []


def test_ordinary_writes_between_do_not_stop_a_reset(app: Any, held: Held) -> None:
    """A reset's result does not depend on the state it replaces: a send (or any write that is
    not itself a replace) landing while it is prepared does not make it a conflict."""
    caller = AppCaller(app)
    assert caller.call_sync(request("PUT", TENANT, OLD)).status_code == 201

    async def run() -> tuple[httpx.Response, httpx.Response]:
        return await overlapped(
            caller,
            held,
            request("POST", f"{TENANT}/reset"),
            request("PUT", f"{TENANT}/clock", {"now": "2030-01-01T00:00:00Z", "frozen": True}),
        )

    reset, clock = asyncio.run(run())
    assert clock.status_code == 200
    assert reset.status_code == 200, reset.text
    assert app.store.get("t1").clock.frozen is False  # the reset, linearised after the clock


def test_in_memory_tenants_are_guarded_the_same(held: Held) -> None:
    app = create_app(Settings())
    caller = AppCaller(app)
    assert caller.call_sync(request("PUT", TENANT, OLD)).status_code == 201

    async def run() -> tuple[httpx.Response, httpx.Response]:
        return await overlapped(
            caller, held, request("POST", f"{TENANT}/reset"), request("PUT", TENANT, NEW)
        )

    reset, replaced = asyncio.run(run())
    assert (reset.status_code, replaced.status_code) == (409, 200)
    assert customers(app) == [2]
