"""The command line's client of a running sandbox's control plane: `comms-sandbox tenants`,
`outbox [--follow]` and `snapshot save|load` (docs/contract.md sections 4 and 8)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import httpx

from sandbox import CONTROL_PREFIX

YAML_TYPES = {".yaml", ".yml"}


class Unreachable(Exception):
    """The sandbox did not answer, or answered with an error: one line for the user."""


class Remote:
    def __init__(self, url: str, token: str | None = None, timeout: float = 10) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, f"{CONTROL_PREFIX}{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise Unreachable(
                f"no sandbox answers at {self.url} ({type(exc).__name__}: {exc})"
            ) from None
        if response.is_error:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:200]
            raise Unreachable(f"{method} {path}: {response.status_code} {message}")
        return response


def tenants(remote: Remote, out: TextIO, as_json: bool) -> None:
    names: list[str] = remote.call("GET", "/tenants").json()["tenants"]
    if as_json:
        print(json.dumps(names), file=out)
    for name in [] if as_json else names:
        print(name, file=out)


def line(message: dict[str, Any]) -> str:
    """One message as a terminal line: time, id, vendor and operation, channel, recipient,
    status and reason."""
    reason = message.get("reason") or ""
    return (
        f"{message['created_at']}  #{message['id']:<8} {message['vendor']:<9} "
        f"{message['operation']:<28} {message['channel']:<8} {message['to']:<28} "
        f"{message['status']:<10} {reason}".rstrip()
    )


def outbox(
    remote: Remote,
    tenant: str,
    out: TextIO,
    *,
    last: int,
    follow: bool,
    as_json: bool,
    filters: dict[str, str],
    interval: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """The newest `last` messages, oldest first; then, with `follow`, each new one as it is
    recorded (as `tail -f` does), until interrupted."""
    show = json.dumps if as_json else line
    for message in _follow(remote, tenant, last, follow, filters, interval, sleep):
        print(show(message), file=out, flush=True)


def _follow(  # noqa: PLR0917 - the options of `outbox`, passed on as they are
    remote: Remote,
    tenant: str,
    last: int,
    follow: bool,
    filters: dict[str, str],
    interval: float,
    sleep: Callable[[float], None],
) -> Iterator[dict[str, Any]]:
    path = f"/tenants/{tenant}/outbox"
    newest = remote.call("GET", path, params={**filters, "limit": max(1, min(last, 1000))}).json()
    items = newest["items"][: max(0, last)]
    yield from reversed(items)
    seen = int(newest["items"][0]["id"]) if newest["items"] else 0
    while follow:
        sleep(interval)
        page = remote.call("GET", path, params={**filters, "limit": 1000}).json()["items"]
        if page and int(page[0]["id"]) < seen:  # the tenant was reset or replaced
            seen = 0
        fresh = [m for m in page if int(m["id"]) > seen]
        yield from reversed(fresh)
        if fresh:
            seen = int(fresh[0]["id"])


def snapshot_save(remote: Remote, tenant: str, target: str, out: TextIO) -> None:
    """Write tenant's snapshot to `target` (YAML for .yaml/.yml, else JSON; `-` is stdout)."""
    as_yaml = Path(target).suffix.lower() in YAML_TYPES
    accept = "application/yaml" if as_yaml else "application/json"
    response = remote.call("GET", f"/tenants/{tenant}/snapshot", headers={"Accept": accept})
    text = response.text if as_yaml else json.dumps(response.json(), indent=1) + "\n"
    if target == "-":
        out.write(text)
    else:
        Path(target).write_text(text, encoding="utf-8")
        print(f"saved tenant {tenant} to {target}", file=sys.stderr)


def snapshot_load(remote: Remote, tenant: str, source: str, out: TextIO) -> None:
    """Create or replace `tenant` from a snapshot or fixture file (`-` is stdin)."""
    data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    kind = "application/json" if Path(source).suffix.lower() == ".json" else "application/yaml"
    response = remote.call(
        "PUT", f"/tenants/{tenant}", content=data, headers={"Content-Type": kind}
    )
    verb = "created" if response.status_code == 201 else "replaced"
    print(f"{verb} tenant {tenant} from {source}", file=out)
