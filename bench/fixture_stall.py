"""A large fixture PUT does not stall other tenants (issue 12): while one client creates a
tenant from a 12 MB document, another sends sendMessage to the demo tenant every 5 ms; the
figure is the slowest of those sends during the PUT (and their p99), for a JSON and a YAML
document. Target: the slowest under 100 ms.

Parsing, validating and writing a tenant document run in a worker thread; JSON bodies over
1 MiB are parsed in slices and YAML ones composed over libyaml's events, so the worker gives
the GIL back as it goes (see sandbox/json_slices.py, sandbox/yaml_documents.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import yaml

from bench import other_tenant
from bench.model import Env, Measurement
from bench.servers import running, start_sandbox

TARGET_MS = 100.0
MEGABYTES = 12


def _fixture(kind: str) -> bytes:
    """About MEGABYTES of customers, as JSON or YAML."""
    customers: list[dict[str, object]] = []
    size = 0
    while size < MEGABYTES * 1_000_000:
        n = len(customers)
        customer = {
            "id": 565_100_000 + n,
            "mobile": f"9199{n:08d}",
            "email": f"customer.{n}@example.com",
            "external_id": f"EXT-{n}",
            "firstname": "First",
            "lastname": f"Last {n}",
        }
        customers.append(customer)
        size += 150 if kind == "json" else 175
    document = {"capillary": {"status_labels": [{"name": "Active"}], "customers": customers}}
    if kind == "json":
        return json.dumps(document).encode()
    return yaml.safe_dump(document, sort_keys=False).encode()


def _stall(base_url: str, kind: str) -> dict[str, float]:
    body = _fixture(kind)
    content_type = "application/json" if kind == "json" else "application/yaml"
    with other_tenant.sending(base_url) as other, other.timed():
        started = time.perf_counter()
        answer = httpx.put(
            f"{base_url}/_sandbox/tenants/large-{kind}",
            content=body,
            headers={"Content-Type": content_type},
            timeout=600,
        )
        put_s = time.perf_counter() - started
    if answer.status_code != 201:
        raise RuntimeError(f"the PUT answered {answer.status_code}: {answer.text[:300]}")
    return {"bytes": len(body), "put_s": put_s, **other.figures()}


def fixture_stall(env: Env) -> list[Measurement]:
    print(f"fixture stall: {MEGABYTES} MB tenant documents, JSON and YAML", flush=True)
    server = start_sandbox(Path(env.workdir) / "stall", env.workdir / "logs", env.server_cpus)
    results: dict[str, dict[str, float]] = {}
    with running(server):
        for kind in ("json", "yaml"):
            results[kind] = _stall(server.base_url, kind)
    figure = "; ".join(
        f"{kind.upper()} {r['bytes'] / 1e6:.1f} MB: slowest send {r['slowest_ms']:.0f} ms, "
        f"p99 {r['p99_ms']:.0f} ms over {r['sends']:.0f} sends, PUT {r['put_s']:.1f} s"
        for kind, r in results.items()
    )
    slowest = max(r["slowest_ms"] for r in results.values())
    return [
        Measurement(
            "fixture-stall",
            "other tenants' sendMessage while a 12 MB fixture is PUT",
            figure,
            f"slowest < {TARGET_MS:.0f} ms",
            passed=slowest < TARGET_MS,
            details=results,
        )
    ]
