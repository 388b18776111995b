"""The list send: every contact with an address on the channel gets a message; those under a
temporary block are recorded SUPPRESSED with CONTACT_TEMP_BLOCKED, the answer is the same."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from sandbox import outbox, pacing
from sandbox.engine import Channel
from sandbox.errors import Conflict
from sandbox.store import TenantData
from sandbox.testing import Sandbox, Tenant, in_process
from sandbox.vendors.symplify import sends
from sandbox.vendors.symplify.accounts import CONTACTS

from .helpers import ACCOUNT, ANN, GAGA, TOM, Sym, error, full_on_the_second_write, interleaved

RULES = ["customer_status_block", "sender_blocklist", "contact_temp_block", "subscription_opt_out"]


def test_an_email_send_reaches_every_contact_with_an_address(sym: Sym) -> None:
    response = sym.send()
    assert response.json() == {
        "message": "Message queued for 2 contacts",
        "listId": 42,
        "recipients": 2,
    }
    messages = sym.tenant.outbox(vendor="symplify")
    assert sorted(m["to"] for m in messages) == [GAGA, TOM]
    message = messages[0]
    assert (message["operation"], message["channel"], message["category"]) == (
        "sendToList",
        "EMAIL",
        "PROMOTIONAL",
    )
    assert (message["subject"], message["body"], message["priority"]) == ("Sale", "Hi", None)
    assert [r["rule"] for r in message["decision"]] == RULES
    assert [r["outcome"] for r in message["decision"]] == [
        "not_applicable",
        "not_applicable",
        "pass",
        "pass",  # the contact has not opted out of e-mail
    ]


def test_an_sms_send_reaches_the_mobile_numbers(sym: Sym) -> None:
    assert sym.delivered(channel="SMS", subject=None) == {ANN: ("DELIVERED", None)}


def test_a_blocked_contact_is_recorded_suppressed_with_the_reason(sym: Sym) -> None:
    sym.block(until="2020-01-20")
    unblocked = sym.send().json()
    assert unblocked["recipients"] == 2  # the answer does not reveal the block
    [message] = sym.tenant.outbox(reason="CONTACT_TEMP_BLOCKED")
    assert message["to"] == GAGA
    rule = message["decision"][2]
    assert rule == {
        "rule": "contact_temp_block",
        "outcome": "suppress",
        "detail": "contact is blocked until the end of 2020-01-20 (list 42)",
    }


def test_an_ended_block_says_when_it_ended(sym: Sym) -> None:
    sym.block(until="2020-01-20")
    sym.tenant.advance_clock(6 * 86400)
    sym.send()
    message = sym.tenant.outbox(to=GAGA)[0]
    assert message["status"] == "DELIVERED"
    assert message["decision"][2]["detail"] == "temporary block ended at 2020-01-21T00:00Z"


def test_every_message_is_in_the_request_journal(sym: Sym) -> None:
    sym.send()
    [entry] = sym.http.get(f"{sym.tenant.control}/requests", params={"limit": 1}).json()["items"]
    assert entry["operationId"] == "sendToList" and len(entry["message_ids"]) == 2


def test_an_email_send_needs_a_subject(sym: Sym) -> None:
    response = sym.call("POST", f"/{ACCOUNT}/lists/42/send", {"body": "Hi"})
    assert error(response, 400) == "subject"
    assert sym.tenant.outbox() == []


def test_a_send_to_an_unknown_list_is_a_404(sym: Sym) -> None:
    assert error(sym.send(77), 404) == "listId"
    assert sym.tenant.outbox() == []


def test_a_send_needs_a_body(sym: Sym) -> None:
    response = sym.call("POST", f"/{ACCOUNT}/lists/42/send", {"subject": "x"})
    assert error(response, 400) == "body"


def big_list(sandbox: Sandbox, contacts: int) -> tuple[Tenant, TenantData]:
    emails = [{"original_id": str(n), "email": f"c{n}@example.com"} for n in range(contacts)]
    lists = [{"id": 42, "contacts": emails}]
    made = sandbox.create_tenant(
        {"symplify": {"accounts": [{"customer_id": ACCOUNT, "lists": lists}]}}
    )
    data = sandbox.caller.app.store.get(made.name)  # type: ignore[union-attr]
    assert data is not None
    return made, data


def total(sandbox: Sandbox, tenant: Tenant) -> int:
    """How many messages the tenant's outbox holds."""
    found: int = sandbox.http.get(f"{tenant.control}/outbox", params={"limit": 1}).json()["total"]
    return found


def send_request(tenant: Tenant) -> httpx.Request:
    return httpx.Request(
        "POST",
        f"http://localhost/symplify/{ACCOUNT}/lists/42/send",
        json={"subject": "Sale", "body": "Hi"},
        headers=tenant.symplify_auth(),
    )


def test_a_large_send_is_recorded_in_steps_other_tenants_served_between_them(
    sym: Sym, sandbox: Sandbox
) -> None:
    """A list of thousands of contacts does not hold every tenant up: its messages are
    committed a step at a time, and another tenant's send made meanwhile is answered before
    the list send is (issue 23: a send to 177,000 contacts stopped every tenant for 4 s)."""
    contacts = pacing.STEP * 3
    large, data = big_list(sandbox, contacts)
    other = httpx.Request(
        "POST",
        f"http://localhost/symplify/{ACCOUNT}/triggers/7/messages",
        json={"originalId": "222"},
        headers=sym.auth,
    )
    made = interleaved(sandbox, data, send_request(large), other)
    assert made.other.status_code == 200 and sym.tenant.outbox(to=TOM)  # answered meanwhile
    assert 1 <= made.committed < made.commits  # ... between the list send's commits
    assert made.commits >= 4
    assert made.large.json() == {
        "message": f"Message queued for {contacts} contacts",
        "listId": 42,
        "recipients": contacts,
    }
    recorded = list(data["messages"].values())
    assert len(recorded) == total(sandbox, large) == contacts
    assert {m["to"] for m in recorded} == {f"c{n}@example.com" for n in range(contacts)}
    assert len({m["created_at"] for m in recorded}) == 1  # every message at the call's time
    [entry] = sandbox.http.get(f"{large.control}/requests", params={"limit": 1}).json()["items"]
    assert entry["message_ids"][-1] == f"... {contacts} in all"
    large.delete()


def test_a_send_stops_when_its_tenant_is_reset_between_steps(sandbox: Sandbox) -> None:
    large, data = big_list(sandbox, pacing.STEP * 2)
    ctx: Any = SimpleNamespace(
        data=data,
        store=sandbox.caller.app.store,  # type: ignore[union-attr]
        now=datetime(2020, 1, 15, tzinfo=UTC),
        op=SimpleNamespace(operation_id="sendToList"),
        outbox=outbox.Recorder(datetime(2020, 1, 15, tzinfo=UTC)),
    )
    members = data[CONTACTS].keys_by("list", (ACCOUNT, 42))
    steps = sends._send(ctx, 42, members, channel=Channel.EMAIL, subject="Sale", text="Hi")
    next(steps)
    recorded = total(sandbox, large)
    assert 0 < recorded < pacing.STEP * 2
    large.reset()
    with pytest.raises(Conflict, match=rf"listId: the tenant was reset .*\({recorded} messages"):
        next(steps)
    large.delete()


def test_a_storage_failure_midway_is_a_503_saying_how_far_it_got(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A paced send is not one commit: the steps before a failure stay, the answer says how
    many messages they recorded (docs/contract.md section 12)."""
    with in_process(data_dir=tmp_path) as sandbox:
        large, _ = big_list(sandbox, pacing.STEP * 2)
        full_on_the_second_write(monkeypatch)
        refused = sandbox.http.post(
            f"/symplify/{ACCOUNT}/lists/42/send",
            json={"subject": "Sale", "body": "Hi"},
            headers=large.symplify_auth(),
        )
        monkeypatch.undo()
        assert refused.status_code == 503, refused.text
        message = refused.json()["error"]
        assert message.startswith("storage full"), message
        sent = int(re.search(r"after (\d+) messages", message).group(1))  # type: ignore[union-attr]
        assert 0 < sent < pacing.STEP * 2
        assert total(sandbox, large) == sent
        # its log entry names the messages the steps before recorded (it named none: the
        # outbox held them, and their pages showed no request)
        [entry] = sandbox.http.get(f"{large.control}/requests", params={"limit": 1}).json()["items"]
        assert entry["status"] == 503
        stored = sandbox.http.get(f"{large.control}/outbox", params={"limit": sent}).json()
        assert sorted(entry["message_ids"]) == sorted(m["id"] for m in stored["items"])
