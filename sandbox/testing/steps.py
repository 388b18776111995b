"""Reusable pytest-bdd steps for acceptance scenarios against comms-sandbox.

The pytest plugin registers them when pytest-bdd is installed (or name them yourself with
`pytest_plugins = ["sandbox.testing.steps"]`). Scenarios run in-process by default, or against a
running sandbox given by `--sandbox-url` or `SANDBOX_URL`; each scenario gets a tenant of its
own, so suites run in parallel.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from pytest_bdd import given, parsers, then, when

from sandbox.testing import Sandbox, Tenant, capillary, messangi
from sandbox.testing.capillary import CALLS, succeeded
from sandbox.testing.plugin import comms_sandbox_server  # noqa: F401 - the steps' sandbox
from sandbox.vendors.symplify.flags import FLAGS


class World:
    """What a scenario has set up and observed so far."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.labels: list[dict[str, Any]] = []
        self.customers: dict[str, dict[str, Any]] = {}
        self.blocklist: list[dict[str, Any]] = []  # the fixture's Messangi blocklist
        # the fixture's Symplify accounts: customer id -> list id -> contacts
        self.accounts: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.triggers: dict[str, list[dict[str, Any]]] = {}  # account -> its triggers
        self.journeys: dict[str, list[dict[str, Any]]] = {}  # account -> its journeys
        self._tenant: Tenant | None = None
        self.response: httpx.Response | None = None
        self.answers: list[httpx.Response | None] = []  # of the last `sends ... N times`
        self.dropped = False  # the last call's connection closed without an answer
        self.outbox_before: int | None = None  # messages held before the last call

    @property
    def tenant(self) -> Tenant:
        """The scenario's tenant, created from what the Given steps set up, on first use."""
        if self._tenant is None:
            fixture = {
                "capillary": {
                    "status_labels": self.labels,
                    "customers": [
                        {k: v for k, v in c.items() if k != "name"} for c in self.customers.values()
                    ],
                },
                "messangi": {"blocklist": self.blocklist},
                "symplify": {
                    "accounts": [
                        {
                            "customer_id": account,
                            "lists": [
                                {"id": list_id, "contacts": contacts}
                                for list_id, contacts in lists.items()
                            ],
                            "triggers": self.triggers.get(account, []),
                            "journeys": self.journeys.get(account, []),
                        }
                        for account, lists in self.accounts.items()
                    ]
                },
            }
            self._tenant = self.sandbox.create_tenant(fixture)
        return self._tenant

    def call(self, request: Callable[[], httpx.Response]) -> None:
        """Make a vendor call and keep its answer, or note that its connection was dropped
        (an injected fault with status 0); the outbox's size before it is kept too."""
        self.outbox_before = self.outbox_total()
        try:
            self.response, self.dropped = request(), False
        except httpx.RemoteProtocolError:
            self.response, self.dropped = None, True

    def outbox_total(self) -> int:
        tenant = self.tenant
        total: int = tenant.http.get(f"{tenant.control}/outbox", params={"limit": 1}).json()[
            "total"
        ]
        return total

    def customer(self, name: str) -> dict[str, Any]:
        return self.customers[name]

    def triggered(self) -> list[dict[str, Any]]:
        """The messages the last API call triggered, from the request log."""
        tenant = self.tenant
        journal = tenant.http.get(f"{tenant.control}/requests", params={"limit": 1}).json()
        ids = journal["items"][0]["message_ids"]
        return [tenant.http.get(f"{tenant.control}/outbox/{i}").json() for i in ids]

    def operations(self) -> list[str]:
        """`vendor:operationId` of every vendor call the scenario made (its request log)."""
        if self._tenant is None:
            return []
        tenant = self._tenant
        journal = tenant.http.get(f"{tenant.control}/requests", params={"limit": 1000}).json()
        return sorted({f"{e['vendor']}:{e['operationId']}" for e in journal["items"]})

    def close(self) -> None:
        if self._tenant is not None:
            self._tenant.delete()


@pytest.fixture
def world(comms_sandbox_server: Sandbox, request: pytest.FixtureRequest) -> Iterator[World]:  # noqa: F811
    """The scenario's state; its tenant is deleted afterwards. The vendor operations it called
    are left in the test's `user_properties` (contracts/coverage.py reports them)."""
    state = World(comms_sandbox_server)
    yield state
    request.node.user_properties.append(("operations", state.operations()))
    state.close()


def _bool(text: str) -> bool:
    return text.strip().lower() in {"true", "yes", "1"}


# --- given ----------------------------------------------------------------------------------
@given("a Capillary tenant with the status labels")
def status_labels(world: World, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    for row in rows:
        values = dict(zip(header, row, strict=True))
        world.labels.append(
            {
                "name": values["name"],
                "status": values["status"],
                "block_communications": _bool(values["block_communications"]),
            }
        )


@given("the customers")
def customers(world: World, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    for row in rows:
        values = {k: v for k, v in zip(header, row, strict=True) if v}
        if "id" in values:
            values["id"] = int(values["id"])  # type: ignore[assignment]
        world.customers[values["name"]] = values


@given(parsers.parse('"{name}" opted out of {channel} {priority} messages'))
def opted_out(world: World, name: str, channel: str, priority: str) -> None:
    preference = {"channel": channel.lower(), "priority": priority.upper(), "subscribed": False}
    world.customers[name].setdefault("subscriptions", []).append(preference)


@given(parsers.parse('"{name}" is opted in to every channel and priority'))
def opted_in_everywhere(world: World, name: str) -> None:
    world.customers[name]["subscriptions"] = [
        {"channel": channel, "priority": priority, "subscribed": True}
        for channel in ("sms", "email")
        for priority in ("TRANS", "BULK")
    ]


@given("the Messangi blocklist")
def messangi_blocklist(world: World, datatable: list[list[str]]) -> None:
    """Rows of to, from, type and optionally reason: the tenant's starting blocklist."""
    header, *rows = datatable
    world.blocklist.extend({k: v for k, v in zip(header, row, strict=True) if v} for row in rows)


@given(parsers.parse('the Symplify account "{account}" with the contacts'))
def symplify_contacts(world: World, account: str, datatable: list[list[str]]) -> None:
    """Rows of list, original_id and optionally email, mobile, and any opt-out or bounce a
    tenant document declares (`bounced: true`, its date `invalidated` in epoch ms, ...): the
    account's lists."""
    header, *rows = datatable
    lists = world.accounts.setdefault(account, {})
    for row in rows:
        values: dict[str, Any] = {k: v for k, v in zip(header, row, strict=True) if v}
        for name in _FLAG_COLUMNS & values.keys():
            values[name] = values[name] == "true"
        for name in _DATE_COLUMNS & values.keys():
            values[name] = int(values[name])
        lists.setdefault(values.pop("list"), []).append(values)


# a contact's opt-outs and bounces and their dates, as a tenant document declares them
_FLAG_COLUMNS = frozenset(flag.stored for flag in FLAGS)
_DATE_COLUMNS = frozenset(flag.dated for flag in FLAGS)


@given(
    parsers.re(
        r'the Symplify account "(?P<account>[^"]+)" has the (?P<channel>EMAIL|SMS) trigger '
        r'(?P<trigger_id>\d+) "(?P<name>[^"]+)" on list (?P<list_id>\d+)'
        r"(?P<ignores> ignoring opt-outs)?$"
    )
)
def symplify_trigger(
    world: World, *, account: str, channel: str, trigger_id: str, name: str, list_id: str,
    ignores: str | None,
) -> None:  # fmt: skip
    world.triggers.setdefault(account, []).append(
        {
            "id": int(trigger_id),
            "name": name,
            "list_id": int(list_id),
            "channel": channel,
            "ignore_opt_out": bool(ignores),
        }
    )


@given(
    parsers.re(
        r'the Symplify account "(?P<account>[^"]+)" has the journey (?P<journey_id>\d+) '
        r'"(?P<name>[^"]+)" on list (?P<list_id>\d+) sending (?P<channels>(?:EMAIL|SMS)'
        r"(?:, (?:EMAIL|SMS))*)(?P<ignores> ignoring opt-outs)?$"
    )
)
def symplify_journey(
    world: World, *, account: str, journey_id: str, name: str, list_id: str, channels: str,
    ignores: str | None,
) -> None:  # fmt: skip
    """A journey whose messages go out on `channels` in order (`EMAIL, SMS`), with its name as
    their subject and text."""
    world.journeys.setdefault(account, []).append(
        {
            "id": int(journey_id),
            "name": name,
            "list_id": int(list_id),
            "ignore_opt_out": bool(ignores),
            "messages": [{"channel": channel} for channel in channels.split(", ")],
        }
    )


# --- when -----------------------------------------------------------------------------------
@when(parsers.parse('a message is sent to list {list_id:d} of account "{account}"'))
def symplify_list_send(world: World, list_id: int, account: str) -> None:
    tenant = world.tenant
    world.call(
        lambda: tenant.http.post(
            f"/symplify/{account}/lists/{list_id}/send",
            json={"subject": "Spring sale", "body": "Everything must go"},
            headers=tenant.symplify_auth(),
        )
    )
    assert world.response is not None and world.response.status_code == 200, world.response


_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@when(parsers.re(r"the tenant clock advances (?P<amount>\d+) (?P<unit>second|minute|hour|day)s?$"))
def advance_clock(world: World, amount: str, unit: str) -> None:
    world.tenant.advance_clock(int(amount) * _SECONDS[unit])


@given(parsers.parse('"{to}" is blocklisted on sender "{sender}" for {channel}'))
@when(parsers.parse('"{to}" is blocklisted on sender "{sender}" for {channel}'))
def blocklisted_by_api(world: World, to: str, sender: str, channel: str) -> None:
    response = messangi.blocklist(world.tenant, channel, sender, to)
    assert response.status_code == 200, response.text


_SEND = r'sender "(?P<sender>[^"]+)" sends an? (?P<channel>[A-Z]+) message to "(?P<to>[^"]+)"'


@when(parsers.re(_SEND + "$"))
def messangi_send(world: World, sender: str, channel: str, to: str) -> None:
    world.call(lambda: messangi.send(world.tenant, channel, sender, to))


@when(parsers.re(_SEND + " with a login key$"))
def messangi_send_with_login_key(world: World, sender: str, channel: str, to: str) -> None:
    key = messangi.login_key(world.tenant)
    world.call(lambda: messangi.send(world.tenant, channel, sender, to, headers=key))


_WRONG_LOGIN = {
    "its credentials": {},
    "a wrong password": {"password": "not-the-password"},
    "an unknown username": {"username": "nobody@messangi.sandbox"},
}


@when(parsers.re(r"the client logs in to Messangi with (?P<which>" + "|".join(_WRONG_LOGIN) + ")$"))
def messangi_login(world: World, which: str) -> None:
    """POST /kingslanding/login with the tenant's username and password, or one of them wrong."""
    world.call(lambda: messangi.login(world.tenant, **_WRONG_LOGIN[which]))


@when(parsers.parse('"{api}" triggers its communication for "{name}"'))
def call_api(world: World, api: str, name: str) -> None:
    world.call(lambda: CALLS[api](world.tenant, world.customer(name)))


@given(parsers.parse('"{name}" was sent an OTP by SMS'))
def otp_sent(world: World, name: str) -> None:
    response = CALLS["POST /v2/otp/generate (sms and email)"](world.tenant, world.customer(name))
    assert response.status_code == 200, response.text


@when(parsers.parse('"{name}" validates the OTP with the code it was sent'))
def otp_validated(world: World, name: str) -> None:
    customer = world.customer(name)
    code = capillary.otp_code(world.tenant, customer)
    world.call(lambda: capillary.validate_otp(world.tenant, customer, code))


@when(parsers.parse('"{name}" validates the OTP with the code "{code}"'))
def otp_validated_with(world: World, name: str, code: str) -> None:
    customer = world.customer(name)
    world.call(lambda: capillary.validate_otp(world.tenant, customer, code))


@when(parsers.parse('"{name}" is assigned the status label "{label}"'))
def assign_label(world: World, name: str, label: str) -> None:
    tenant = world.tenant
    response = tenant.http.put(
        "/capillary/v2/customers/lookup/status",
        params={
            "source": "INSTORE",
            "identifierName": "mobile",
            "identifierValue": world.customer(name)["mobile"],
        },
        json={"reason": "acceptance test", "label": label},
        headers=tenant.capillary_auth(),
    )
    assert response.status_code == 200, response.text


@when(parsers.parse('the label "{label}" is configured to block communications'))
def label_blocks(world: World, label: str) -> None:
    tenant = world.tenant
    response = tenant.http.put(
        f"{tenant.control}/capillary/status-labels/{label}", json={"block_communications": True}
    )
    assert response.status_code == 200, response.text


# --- then -----------------------------------------------------------------------------------
@then("the API answers with its normal success")
def normal_success(world: World) -> None:
    assert world.response is not None
    assert succeeded(world.response), f"{world.response.status_code} {world.response.text}"


@then(parsers.parse("every communication it triggered is {status} with reason {reason}"))
def every_triggered(world: World, status: str, reason: str) -> None:
    messages = world.triggered()
    assert messages, "the call triggered no communication"
    expected = None if reason == "none" else reason
    assert {(m["status"], m["reason"]) for m in messages} == {(status, expected)}, messages


@then(parsers.parse("it triggered communications on {channels}"))
def triggered_channels(world: World, channels: str) -> None:
    wanted = sorted(c.strip() for c in channels.replace(" and ", ",").split(",") if c.strip())
    assert sorted(m["channel"] for m in world.triggered()) == wanted


@then("no communication was triggered")
def nothing_triggered(world: World) -> None:
    """The outbox holds as many messages as before the last call (read, not inferred)."""
    assert world.outbox_before is not None, "no call was made"
    assert world.outbox_total() == world.outbox_before, world.tenant.outbox()[:5]


@then(parsers.parse('the decision says "{detail}"'))
def decision_detail(world: World, detail: str) -> None:
    details = [r["detail"] for m in world.triggered() for r in m["decision"]]
    assert detail in details, details


@then(parsers.parse('the subscription rule answers "{outcome}"'))
def subscription_outcome(world: World, outcome: str) -> None:
    for message in world.triggered():
        rules = {r["rule"]: r["outcome"] for r in message["decision"]}
        assert rules["subscription_opt_out"] == outcome, message["decision"]


@then(parsers.parse('the interaction history of "{name}" counts {count:d} {kind}'))
def interaction_count(world: World, name: str, count: int, kind: str) -> None:
    tenant = world.tenant
    response = tenant.http.get(
        "/capillary/v1.1/customer/interaction",
        params={"mobile": world.customer(name)["mobile"]},
        headers=tenant.capillary_auth(),
    )
    counts = {
        entry["type"]: entry["count"]
        for network in response.json()["response"]["customer"]["interactions"]["network"]
        for entry in network["interaction"]
    }
    assert counts[kind] == count, counts


@then(parsers.parse('the v2 interaction history of "{name}" lists the {kind} as {status}'))
def interaction_v2(world: World, name: str, kind: str, status: str) -> None:
    tenant = world.tenant
    response = tenant.http.get(
        "/capillary/v2/customers/interaction",
        params={"identifierName": "mobile", "identifierValue": world.customer(name)["mobile"]},
        headers=tenant.capillary_auth(),
    )
    entries = {e["name"]: e for e in response.json()["interaction"]}
    assert {m["status"] for m in entries[kind]["messageList"]} == {status}


# --- generic requests and answers ----------------------------------------------------------
def _at(document: Any, pointer: str) -> Any:
    """`response.status.code` or `errors[0].message` inside a JSON document."""
    node = document
    for part in pointer.replace("[", ".[").split("."):
        if not part:
            continue
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    return node


def _credentials(tenant: Tenant, path: str, valid: bool) -> dict[str, str]:
    """The vendor's own credentials for `path`, or wrong ones of the same scheme."""
    if path.startswith("/messangi/"):
        return tenant.messangi_auth() if valid else {"Authorization": "Bearer wrong-key"}
    if path.startswith("/symplify/"):
        return tenant.symplify_auth() if valid else {"X-Carma-Authentication-Token": "wrong"}
    return tenant.capillary_auth() if valid else {"Authorization": "Basic bm9ib2R5Ong="}


def _send(
    world: World,
    method: str,
    path: str,
    body: str | None,
    *,
    auth: bool = True,
    content_type: str = "application/json",
) -> None:
    tenant = world.tenant
    headers = _credentials(tenant, path, auth)
    if body is not None:
        headers["Content-Type"] = content_type
    content = None if body is None else body.encode()
    world.call(lambda: tenant.http.request(method, path, content=content, headers=headers))


@when(parsers.re(r"the client sends (?P<method>[A-Z]+) (?P<path>\S+)$"))
def client_sends(world: World, method: str, path: str, docstring: str | None = None) -> None:
    _send(world, method, path, docstring)


@when(parsers.re(r"the client sends (?P<method>[A-Z]+) (?P<path>\S+) as (?P<media>\w+/[\w.+-]+)$"))
def client_sends_as(
    world: World, method: str, path: str, media: str, docstring: str | None = None
) -> None:
    """A body of another media type than JSON, e.g. a Symplify import's text/csv."""
    _send(world, method, path, docstring, content_type=media)


@when(
    parsers.re(
        r"the client sends (?P<method>[A-Z]+) to the answer's (?P<pointer>\S+) "
        r"as (?P<media>\w+/[\w.+-]+)$"
    )
)
def client_sends_to_answered_url(
    world: World, method: str, pointer: str, media: str, docstring: str | None = None
) -> None:
    """To the URL the last answer gave (e.g. Symplify's batch `uploadUrl`), as it is: no
    vendor credentials (a pre-signed URL carries its own)."""
    assert world.response is not None
    url = urlsplit(str(_at(world.response.json(), pointer)))
    target = f"{url.path}?{url.query}" if url.query else url.path
    tenant = world.tenant
    content = None if docstring is None else docstring.encode()
    headers = {"Content-Type": media}
    world.call(lambda: tenant.http.request(method, target, content=content, headers=headers))


@when(parsers.re(r"the client sends (?P<method>[A-Z]+) (?P<path>\S+) with wrong credentials$"))
def client_sends_unauthenticated(
    world: World, method: str, path: str, docstring: str | None = None
) -> None:
    _send(world, method, path, docstring, auth=False)


@when(parsers.re(r"the client sends (?P<method>[A-Z]+) (?P<path>\S+) (?P<times>\d+) times$"))
def client_sends_repeatedly(
    world: World, method: str, path: str, times: str, docstring: str | None = None
) -> None:
    world.answers = []
    for _ in range(int(times)):
        _send(world, method, path, docstring)
        world.answers.append(world.response)


@then(parsers.parse("every answer was HTTP {status:d}"))
def every_answer(world: World, status: int) -> None:
    assert world.answers, "no repeated call was made"
    seen = [a.status_code if a is not None else "dropped" for a in world.answers]
    assert set(seen) == {status}, seen


# --- faults and rate limits (docs/contract.md section 7) ----------------------------------------
@given(parsers.parse("the {vendor} rate limit is {limit:d} requests per minute"))
@when(parsers.parse("the {vendor} rate limit is {limit:d} requests per minute"))
def rate_limit(world: World, vendor: str, limit: int) -> None:
    world.tenant.set_rate_limits(**{vendor.lower(): limit})


_FAULT = r'the operation "(?P<operation>\w+)" (?P<effect>fails with HTTP \d+|drops the connection)'


@given(parsers.re(_FAULT + r" the next (?P<times>\d+) times?$"))
@when(parsers.re(_FAULT + r" the next (?P<times>\d+) times?$"))
def fault(world: World, operation: str, effect: str, times: str) -> None:
    """An injected fault on the next calls of a vendor operation (by its operationId)."""
    status = 0 if effect == "drops the connection" else int(effect.rsplit(" ", 1)[1])
    world.tenant.set_fault(operation, status, times=int(times))


@then("the connection was dropped")
def connection_dropped(world: World) -> None:
    assert world.dropped, f"the call was answered: {world.response!r}"


@then(parsers.parse('the answer carries the header "{name}: {value}"'))
def answer_header(world: World, name: str, value: str) -> None:
    assert world.response is not None
    assert world.response.headers.get(name) == value, dict(world.response.headers)


@given(parsers.parse('the tenant clock is frozen at "{moment}"'))
def frozen_clock(world: World, moment: str) -> None:
    world.tenant.set_clock(now=moment, frozen=True)


@when(parsers.parse('"{name}" is sent a {kind} {channel} message'))
def send_kind(world: World, name: str, kind: str, channel: str) -> None:
    """A direct send whose priority follows its kind: promotional is BULK, else TRANS."""
    customer = world.customer(name)
    priority = "BULK" if kind == "promotional" else "TRANS"
    if channel.lower() == "sms":
        body: dict[str, Any] = {"sms": [{"to": customer["mobile"], "body": kind}]}
    else:
        body = {"email": [{"to": customer["email"], "subject": kind, "body": kind}]}
    next(iter(body.values()))[0]["priority"] = priority
    tenant = world.tenant
    world.call(
        lambda: tenant.http.post(
            "/capillary/v2/communications/sendMessage",
            params={"channel": channel.lower()},
            json=body,
            headers=tenant.capillary_auth(),
        )
    )


@then(parsers.parse("the answer is HTTP {status:d}"))
def answer_status(world: World, status: int) -> None:
    assert world.response is not None
    assert world.response.status_code == status, world.response.text


@then(parsers.parse("the answer has {pointer} = {value}"))
def answer_value(world: World, pointer: str, value: str) -> None:
    assert world.response is not None
    assert _at(world.response.json(), pointer) == json.loads(value), world.response.text


@then(parsers.parse('the answer has {pointer} matching "{pattern}"'))
def answer_matches(world: World, pointer: str, pattern: str) -> None:
    assert world.response is not None
    assert re.search(pattern, str(_at(world.response.json(), pointer))), world.response.text


@then(parsers.parse("the message is {status} with reason {reason}"))
def the_message(world: World, status: str, reason: str) -> None:
    """The one message the last API call triggered."""
    [message] = world.triggered()
    expected = None if reason == "none" else reason
    assert (message["status"], message["reason"]) == (status, expected), message


@then(parsers.parse('the message to "{address}" is {status} with reason {reason}'))
def message_to(world: World, address: str, status: str, reason: str) -> None:
    """The message the last API call triggered to `address`."""
    found = [m for m in world.triggered() if m["to"] == address]
    assert len(found) == 1, f"{len(found)} messages to {address}: {world.triggered()}"
    expected = None if reason == "none" else reason
    assert (found[0]["status"], found[0]["reason"]) == (status, expected), found[0]


@then(parsers.parse("Messangi reports the message status {status}"))
def messangi_status(world: World, status: str) -> None:
    """GET /raven/v2/messages/{id} of the message the last send answered with."""
    assert world.response is not None
    message_id = world.response.json()["data"]["id"]
    tenant = world.tenant
    answer = tenant.http.get(
        f"/messangi/raven/v2/messages/{message_id}", headers=tenant.messangi_auth()
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["status"] == status, answer.text


@then(parsers.parse('the answer has {pointer} mentioning "{text}"'))
def answer_mentions(world: World, pointer: str, text: str) -> None:
    assert world.response is not None
    assert text in str(_at(world.response.json(), pointer)), world.response.text


@then(parsers.parse('the last message to "{name}" is {status} with reason {reason}'))
def last_message(world: World, name: str, status: str, reason: str) -> None:
    newest = world.tenant.outbox(customer_id=str(world.customer(name)["id"]), limit=1)
    _newest_is(newest, name, status, reason)


def _newest_is(newest: list[dict[str, Any]], to: str, status: str, reason: str) -> None:
    assert newest, f"no message to {to}"
    expected = None if reason == "none" else reason
    assert (newest[0]["status"], newest[0]["reason"]) == (status, expected), newest[0]


@then(parsers.parse('no message to "{address}" is in the outbox'))
def none_to(world: World, address: str) -> None:
    assert world.tenant.outbox(to=address) == []


@then(parsers.parse('the newest message to "{address}" is {status} with reason {reason}'))
def newest_to(world: World, address: str, status: str, reason: str) -> None:
    """The newest message to `address` in the outbox, whichever call or schedule recorded it."""
    _newest_is(world.tenant.outbox(to=address, limit=1), address, status, reason)


@then(parsers.parse('"{name}" has no message'))
def no_message(world: World, name: str) -> None:
    assert world.tenant.outbox(customer_id=str(world.customer(name)["id"])) == []
