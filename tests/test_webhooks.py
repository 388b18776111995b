"""The webhook client on its own: URL checks, and a full backlog told in one entry."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from sandbox import webhooks
from sandbox.errors import InvalidInput
from sandbox.webhooks import Delivery, WebhookTarget


def test_a_full_backlog_is_told_once_for_the_messages_it_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webhooks, "BACKLOG", 2)
    monkeypatch.setattr(webhooks, "TIMEOUT", 0.2)
    monkeypatch.setattr(webhooks, "IDLE", 0.1)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # accepts, never answers
    told: list[tuple[list[str], Delivery]] = []

    async def run() -> None:
        target = WebhookTarget(
            f"http://127.0.0.1:{silent.getsockname()[1]}/",
            lambda messages, outcome: told.append(([m["id"] for m in messages], outcome)),
        )
        for number in range(6):
            message: dict[str, Any] = {"id": str(number), "vendor": "capillary"}
            target.deliver(message, b"{}")
        assert target.worker is not None
        await target.worker

    try:
        asyncio.run(run())
    finally:
        silent.close()
    # two queued before the worker ran; the other four found the backlog full: one entry
    by_ids = {tuple(ids): outcome for ids, outcome in told}
    assert by_ids[("2", "3", "4", "5")].error == "not sent: 2 deliveries were waiting"
    assert by_ids[("0",)].error == by_ids[("1",)].error == "no answer within 0.2 s"
    assert sorted(i for ids, _ in told for i in ids) == [str(n) for n in range(6)]
    assert all(outcome.status == 0 for _, outcome in told)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook?x=1", "https://example.com"])
def test_absolute_http_urls_are_accepted(url: str) -> None:
    assert webhooks.checked_url(url) == url


def test_a_port_that_is_no_number_is_refused() -> None:
    with pytest.raises(InvalidInput, match="webhook_url"):
        webhooks.checked_url("http://example.com:port/")
