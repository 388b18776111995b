"""A 100-item v1.1 subscription batch (seed 002): its latency, one client at a time."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from bench import noise, wrk
from bench.model import Env, Measurement
from bench.servers import ServerFailed, request, running, start_sandbox

PATH = "/capillary/v1.1/customer/subscriptions?format=json"
TENANT = "batch"
ITEMS = 100
TARGET_MS = 20.0


def _fixture() -> bytes:
    customers = [
        {"mobile": f"9190{n:08d}", "email": f"batch.{n}@example.com"} for n in range(ITEMS)
    ]
    return json.dumps({"capillary": {"customers": customers}}).encode()


def _body() -> str:
    """100 distinct customers, each opted out of or into one channel and priority."""
    items = [
        {
            "mobile": f"9190{n:08d}",
            "priority": ("bulk", "TRANS")[n % 2],
            "scope": "all",
            "channel": ("sms", "email")[(n // 2) % 2],
            "is_subscribed": str(n % 3 % 2),
        }
        for n in range(ITEMS)
    ]
    return json.dumps({"root": {"subscription": items}}, separators=(",", ":"))


def subscription_batch(env: Env) -> list[Measurement]:
    config = env.config
    print(f"subscription-batch: {ITEMS} items per request, 1 connection", flush=True)
    data_dir = Path(env.workdir) / "batch"
    server = start_sandbox(data_dir, env.workdir / "logs", env.server_cpus, outbox_retention=None)
    with running(server):
        status, created = request(
            server,
            "PUT",
            f"/_sandbox/tenants/{TENANT}",
            body=_fixture(),
            headers={"Content-Type": "application/json"},
        )
        if status not in (200, 201):
            raise ServerFailed(f"creating tenant {TENANT}: {status} {created[:300]!r}")
        capillary = json.loads(created)["credentials"]["capillary"]
        token = base64.b64encode(f"{capillary['username']}:{capillary['password']}".encode())
        headers = {"Content-Type": "application/json", "Authorization": f"Basic {token.decode()}"}
        body = _body()
        status, answer = request(server, "POST", PATH, body=body.encode(), headers=headers)
        if status != 200 or json.loads(answer)["response"]["status"]["success_count"] != str(ITEMS):
            raise ServerFailed(f"the batch answered {status}: {answer[:300]!r}")
        scripts = env.workdir / "scripts"
        scripts.mkdir(parents=True, exist_ok=True)
        script = wrk.write_script(scripts / "batch.lua", method="POST", body=body, headers=headers)
        noise.wait_quiet(config.quiet_wait_s)

        def one(seconds: float) -> wrk.WrkResult:
            return wrk.run(
                server.base_url + PATH,
                script,
                duration_s=seconds,
                connections=1,
                cpus=env.client_cpus,
                wrk=env.wrk,
            )

        one(config.warmup_s)
        measured = one(config.duration_s)
    p50 = measured.p50
    return [
        Measurement(
            key="subscription-batch",
            title=f"v1.1 subscription batch of {ITEMS} items",
            figure=f"p50 {p50:.2f} ms, p99 {measured.p99:.2f} ms",
            target=f"p50 < {TARGET_MS:g} ms",
            passed=p50 < TARGET_MS,
            valid=measured.errors == 0,
            details={"items": ITEMS, "p50_ms": p50},
            loads={f"subscriptions x{ITEMS}": measured},
            notes=[
                f"POST {PATH}: {ITEMS} customers each opted in or out of one channel and "
                "priority; one connection, so the latency is the batch's own"
            ],
        )
    ]
