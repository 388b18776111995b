"""Symplify list send (issue 6): one `POST /symplify/{customerid}/lists/{listId}/send` to a
list of 10,000 contacts, every tenth under a temporary block, must complete in under 1 s.

Each send records 10,000 messages (one outbox document and one decision each) in one
transaction and one journal line; the figure is the client's wall time for the whole request.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from bench import noise, procs
from bench.model import Env, Measurement
from bench.servers import Server, ServerFailed, request, running, start_sandbox

ACCOUNT = "1234"
LIST_ID = 42
CONTACTS = 10_000
BLOCKED_EVERY = 10
REPEATS = 7
TARGET_S = 1.0


def _fixture() -> bytes:
    contacts = [
        {"original_id": str(n), "email": f"contact.{n}@example.com"} for n in range(CONTACTS)
    ]
    lists = [{"id": LIST_ID, "contacts": contacts}]
    return json.dumps(
        {"symplify": {"accounts": [{"customer_id": ACCOUNT, "lists": lists}]}}
    ).encode()


def _call(server: Server, method: str, path: str, body: object, token: str) -> bytes:
    headers = {"Content-Type": "application/json", "X-Carma-Authentication-Token": token}
    status, answer = request(server, method, path, body=json.dumps(body).encode(), headers=headers)
    if status != 200:
        raise ServerFailed(f"{method} {path} answered {status}: {answer[:300]!r}")
    return answer


def list_send(env: Env) -> list[Measurement]:
    print(f"list send: {CONTACTS:,} contacts, every {BLOCKED_EVERY}th blocked", flush=True)
    server = start_sandbox(Path(env.workdir) / "listsend", env.workdir / "logs", env.server_cpus)
    with running(server):
        status, created = request(
            server,
            "PUT",
            "/_sandbox/tenants/listsend",
            body=_fixture(),
            headers={"Content-Type": "application/json"},
            timeout=300,
        )
        if status not in (200, 201):
            raise ServerFailed(f"creating the tenant: {status} {created[:300]!r}")
        token = json.loads(created)["credentials"]["symplify"]["value"]
        for n in range(0, CONTACTS, BLOCKED_EVERY):
            dto = {"findBy": "ORIGINALID", "listId": str(LIST_ID), "searchValue": str(n)}
            _call(
                server,
                "PUT",
                f"/symplify/{ACCOUNT}/lists/contacts/tempblock",
                {**dto, "blockUntil": "2999-12-31"},
                token,
            )
        path = f"/symplify/{ACCOUNT}/lists/{LIST_ID}/send"
        body = {"subject": "Spring sale", "body": "Everything must go"}
        times: list[float] = []
        for _ in range(REPEATS):
            noise.wait_quiet(env.config.quiet_wait_s)
            started = time.perf_counter()
            answer = json.loads(_call(server, "POST", path, body, token))
            times.append(time.perf_counter() - started)
            if answer["recipients"] != CONTACTS:
                raise ServerFailed(f"the send reached {answer['recipients']} contacts")
        suppressed = json.loads(
            request(
                server,
                "GET",
                "/_sandbox/tenants/listsend/outbox?reason=CONTACT_TEMP_BLOCKED&limit=1",
            )[1]
        )["total"]
        rss = procs.rss_kib(server.pid)[0] / 1024
    median, worst = statistics.median(times), max(times)
    return [
        Measurement(
            key="list-send",
            title=f"Symplify list send to {CONTACTS:,} contacts",
            figure=f"median {median:.3f} s, slowest {worst:.3f} s of {REPEATS}; RSS {rss:.0f} MiB",
            target=f"< {TARGET_S:g} s",
            passed=worst < TARGET_S,
            valid=suppressed == CONTACTS // BLOCKED_EVERY,
            details={"seconds": times, "suppressed_in_last_send": suppressed, "rss_mib": rss},
            notes=[
                f"POST {path}: {CONTACTS:,} contacts with an e-mail address, every "
                f"{BLOCKED_EVERY}th under a temporary block (recorded SUPPRESSED: "
                f"{suppressed:,} in the outbox's newest {CONTACTS:,}); wall time of the whole "
                "request from the client"
            ],
        )
    ]
