"""`GET /_sandbox/tenants/{t}/snapshot`: a tenant's whole state as a document that
`PUT /_sandbox/tenants/{u}` recreates it from (docs/contract.md section 8); JSON, or YAML when the
client accepts `application/yaml` and not JSON first."""

from __future__ import annotations

import orjson
import yaml

from sandbox.catalog import of_request
from sandbox.control import fixtures
from sandbox.control.handler_table import handlers
from sandbox.http import Context, Reply, tenant_of


@handlers("getSnapshot")
def get_snapshot(ctx: Context) -> Reply:
    data = tenant_of(ctx)
    document = fixtures.snapshot(data, data.clock.now(), of_request(ctx))
    if wants_yaml(ctx.headers.get("accept", "")):
        plain = orjson.loads(orjson.dumps(document))  # enum members become plain strings
        text = yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, width=100)
        return Reply(text.encode(), headers={"Content-Type": "application/yaml"})
    return Reply(document)


def wants_yaml(accept: str) -> bool:
    """YAML when the Accept header names a YAML type before (or without) JSON."""
    kinds = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    for kind in kinds:
        if kind in {"application/yaml", "application/x-yaml", "text/yaml"}:
            return True
        if kind == "application/json":
            return False
    return False
