"""The command line's client of a running sandbox's control plane: `comms-sandbox tenants`,
`outbox [--follow]` and `snapshot save|load` (docs/contract.md sections 4 and 8)."""

from __future__ import annotations

import json
import sys
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
            raise refused(method, path, response)
        return response


def refused(method: str, path: str, response: httpx.Response) -> Unreachable:
    """The server's refusal in one line: the call, the status and the API's message."""
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text[:200]
    return Unreachable(f"{method} {path}: {response.status_code} {message}")


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
) -> None:
    """The newest `last` messages, oldest first (a line saying there are none when no message
    matches; `[]` as JSON); then, with `follow`, each new one as the tenant's event stream
    brings it (as `tail -f` does), until interrupted or the server goes away."""
    show = json.dumps if as_json else line
    path = f"/tenants/{tenant}/outbox"
    # the newest message of all, read before the page: the stream resumes after it (below)
    newest = remote.call("GET", path, params={"limit": 1}).json()["items"] if follow else []
    page = remote.call("GET", path, params={**filters, "limit": max(1, min(last, 1000))}).json()
    shown = page["items"][: max(0, last)]
    for message in reversed(shown):
        print(show(message), file=out, flush=True)
    if not shown and last > 0 and not (as_json and follow):
        print("[]" if as_json else _none(tenant, filters), file=out, flush=True)
    if not follow:
        return
    after = int(newest[0]["id"]) if newest else 0
    # recorded after `newest` and before the stream opened: the stream replays them, and
    # those on the page are not shown twice
    on_page = {int(m["id"]) for m in page["items"] if int(m["id"]) > after}
    for message in _stream(remote, tenant, after, filters):
        if int(message["id"]) in on_page:
            on_page.discard(int(message["id"]))
            continue
        print(show(message), file=out, flush=True)


def _none(tenant: str, filters: dict[str, str]) -> str:
    given = " ".join(f"{name}={value}" for name, value in filters.items())
    return f"no messages in tenant {tenant}'s outbox" + (f" that match {given}" if given else "")


# seconds without a byte before a stream counts as lost: the server writes a comment every 15
STALLED = 45.0


def _stream(
    remote: Remote, tenant: str, after: int, filters: dict[str, str]
) -> Iterator[dict[str, Any]]:
    """Each message the tenant records after message `after` that matches `filters`, from
    `GET /_sandbox/tenants/{t}/events` (server-sent events, docs/contract.md section 10). A
    stream the server ends (one fallen too far behind) is opened again with Last-Event-ID,
    as a browser would; one that cannot be opened again means the server went away."""
    path = f"/tenants/{tenant}/events"
    wanted = _matcher(filters)
    last_id = str(after)
    while True:
        opened = False
        try:
            with remote.http.stream(
                "GET",
                f"{CONTROL_PREFIX}{path}",
                headers={"Accept": "text/event-stream", "Last-Event-ID": last_id},
                timeout=httpx.Timeout(10, read=STALLED),
            ) as response:
                if response.is_error:
                    response.read()
                    raise refused("GET", path, response)
                data: list[str] = []
                for text in response.iter_lines():
                    opened = True
                    field, _, value = text.partition(":")
                    value = value.removeprefix(" ")
                    if field == "id":
                        last_id = value
                    elif field == "data":
                        data.append(value)
                    elif not text and data:  # a blank line ends an event
                        message = json.loads("\n".join(data))
                        data = []
                        if wanted(message):
                            yield message
        except httpx.HTTPError as exc:
            if not opened:
                raise Unreachable(
                    f"the sandbox at {remote.url} went away ({type(exc).__name__}: {exc})"
                ) from None
        if not opened:
            raise Unreachable(f"the sandbox at {remote.url} ended the event stream of {tenant}")


def _matcher(filters: dict[str, str]) -> Callable[[dict[str, Any]], bool]:
    """The outbox's own check of a message against `filters` (sandbox/outbox.py): the event
    stream sends every message, the page only those that match."""
    if not filters:
        return lambda message: True
    from sandbox.outbox import matcher

    customer = filters.get("customer_id")
    others = matcher({k: v for k, v in filters.items() if k != "customer_id"})
    return lambda message: (
        (customer is None or message.get("customer_id") == customer)
        and (others is None or others(message))
    )


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


def snapshot_load(
    remote: Remote, tenant: str, source: str, out: TextIO, *, as_json: bool = False
) -> None:
    """Create or replace `tenant` from a snapshot or fixture file (`-` is stdin), and print
    its credentials (a snapshot carries none: a new tenant gets its own)."""
    data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    kind = "application/json" if Path(source).suffix.lower() == ".json" else "application/yaml"
    response = remote.call(
        "PUT", f"/tenants/{tenant}", content=data, headers={"Content-Type": kind}
    )
    if as_json:
        print(json.dumps(response.json()), file=out)
        return
    verb = "created" if response.status_code == 201 else "replaced"
    print(f"{verb} tenant {tenant} from {source}; its credentials:", file=out)
    for text in credential_lines(response.json()["credentials"]):
        print(text, file=out)


def credential_lines(credentials: dict[str, dict[str, str]]) -> Iterator[str]:
    """A line per vendor, as the README's table shows the demo tenant's: the scheme's
    credential first (`Basic user / password`, `Header: value`), then its other fields."""
    for vendor, given in credentials.items():
        fields = dict(given)
        kind = fields.pop("type", "")
        if kind == "basic":
            first = f"Basic {fields.pop('username', '')} / {fields.pop('password', '')}"
        elif kind == "header":
            first = f"{fields.pop('name', '')}: {fields.pop('value', '')}"
        else:
            first = kind
        rest = ", ".join(f"{name} {value}" for name, value in fields.items())
        yield f"  {vendor:<10} {first}" + (f" ({rest})" if rest else "")
