"""Recovery (issue 3, made able to fail in issue 13): `kill -9` the sandbox while clients are
sending, restart it on the same data directory, and look for every acknowledged write by its
own content. Each client sends sendMessage with a body no other request has, and notes the
bodies answered 200; after the restart the outbox is read whole, and every noted body must be
there. Requests in flight at the kill were never acknowledged and may be there or not.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench import procs
from bench.model import Env, Measurement
from bench.servers import running, start_sandbox

CLIENTS = 8
RETENTION = 1_000_000
PATH = "/capillary/v2/communications/sendMessage?channel=sms"


def _send_until_killed(
    base_url: str, client: int, acknowledged: list[str], stop: threading.Event
) -> None:
    with httpx.Client(base_url=base_url, auth=("demo_till", "demo-password"), timeout=5) as http:
        number = 0
        while not stop.is_set():
            body = f"recovery {client}-{number}"
            number += 1
            try:
                answer = http.post(PATH, json={"sms": [{"to": "919988221100", "body": body}]})
            except httpx.HTTPError:
                return  # the server is gone
            if answer.status_code == 200:
                acknowledged.append(body)


def _bodies(base_url: str) -> set[str]:
    found: set[str] = set()
    with httpx.Client(base_url=base_url, timeout=60) as http:
        offset = 0
        while True:
            page = http.get(
                "/_sandbox/tenants/demo/outbox", params={"limit": 1000, "offset": offset}
            ).json()
            found.update(m["body"] for m in page["items"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return found


def recovery_under_load(env: Env) -> list[Measurement]:
    data_dir = Path(tempfile.mkdtemp(prefix="recovery-", dir=env.workdir))
    logs = env.workdir / "logs"
    print(f"recovery: {CLIENTS} clients sending, kill -9 at a random moment", flush=True)
    sandbox = start_sandbox(data_dir, logs, env.server_cpus, outbox_retention=RETENTION)
    acknowledged: list[list[str]] = [[] for _ in range(CLIENTS)]
    stop = threading.Event()
    with running(sandbox):
        threads = [
            threading.Thread(
                target=_send_until_killed, args=(sandbox.base_url, n, acknowledged[n], stop)
            )
            for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(random.uniform(2.0, 4.0))
        procs.kill9(sandbox.proc)
        stop.set()
        for thread in threads:
            thread.join()
    sent = {body for bodies in acknowledged for body in bodies}
    restarted = start_sandbox(data_dir, logs, env.server_cpus, outbox_retention=RETENTION)
    with running(restarted):
        present = _bodies(restarted.base_url)
    lost = sorted(sent - present)
    return [
        Measurement(
            key="recovery",
            title="Acknowledged writes lost to kill -9 during load",
            figure=f"{len(lost)} of {len(sent):,} acknowledged writes lost",
            target="0",
            passed=not lost,
            details={
                "acknowledged": len(sent),
                "lost": lost[:20],
                "restart_to_healthy_s": restarted.ready_s,
            },
            notes=[
                f"{CLIENTS} keep-alive clients; each acknowledged body looked for after the restart"
            ],
        )
    ]
