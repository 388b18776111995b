"""In-process sends through the vendors' real hosts (issue 11): the plugin's path.

One httpx client loop in this process posts sendMessage to `https://eu.api.capillarytech.com`,
routed by respx into an in-process sandbox (`sandbox.testing.respx_routes`), and the same loop
against a respx route that returns a constant answer (respx's own cost, no sandbox work). The
sides alternate (routed, constant, routed, ...) over ROUNDS rounds; the figure is the median of
the per-round ratios routed/constant in sends per second, with their spread. Target: >= 0.6.

Also shown, not targeted: the same with an async client, and the path this replaced (each
request re-sent through a second httpx client into the app), measured in the same rounds.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

import httpx
import respx

from bench.model import Env, Measurement
from sandbox.testing import Sandbox, in_process
from sandbox.testing.respx_routes import vendor_routes

HOST = "https://eu.api.capillarytech.com"
PATH = "/v2/communications/sendMessage?channel=sms"
BODY = {"sms": [{"to": "919988221100", "body": "Your order has shipped"}]}
SENDS = 2_000  # per side and round
ROUNDS = 5
TARGET = 0.6
FIXTURE = {
    "capillary": {
        "status_labels": [{"name": "Active", "status": "ACTIVE"}],
        "customers": [{"id": 565039506, "mobile": "919988221100", "status_label": "Active"}],
    }
}
# what the sandbox answers that send, as the constant route's body (same size on the wire)
CONSTANT = {
    "status": {"success": True, "code": 200, "message": "Success", "count": 1},
    "smsList": [{"sms": BODY["sms"][0], "errors": [], "warnings": []}],
}


def _rate(loop: Callable[[int], None], sends: int) -> float:
    started = time.perf_counter()
    loop(sends)
    return sends / (time.perf_counter() - started)


def _sync_loop(headers: dict[str, str]) -> Callable[[int], None]:
    def run(sends: int) -> None:
        with httpx.Client(base_url=HOST, headers=headers) as client:
            for _ in range(sends):
                answer = client.post(PATH, json=BODY)
                if answer.status_code != 200:
                    raise RuntimeError(f"the send answered {answer.status_code}: {answer.text}")

    return run


def _async_loop(headers: dict[str, str]) -> Callable[[int], None]:
    async def sends_of(count: int) -> None:
        async with httpx.AsyncClient(base_url=HOST, headers=headers) as client:
            for _ in range(count):
                answer = await client.post(PATH, json=BODY)
                if answer.status_code != 200:
                    raise RuntimeError(f"the send answered {answer.status_code}")

    return lambda count: asyncio.run(sends_of(count))


def _second_client(sandbox: Sandbox) -> Callable[[httpx.Request], httpx.Response]:
    """The replaced path: rebuild the request and send it through the sandbox's own client."""

    def side_effect(request: httpx.Request) -> httpx.Response:
        answer = sandbox.http.request(
            request.method,
            "/capillary" + request.url.raw_path.decode(),
            content=request.content,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return side_effect


def inprocess_routes(env: Env) -> list[Measurement]:
    del env  # in this process: no server, no CPU pinning
    print(f"in-process routes: {ROUNDS} alternated rounds of {SENDS:,} sends a side", flush=True)
    rates: dict[str, list[float]] = {"routed": [], "constant": [], "async": [], "replaced": []}
    with in_process() as sandbox:
        tenant = sandbox.create_tenant(FIXTURE)
        sync_loop, async_loop = (
            _sync_loop(tenant.capillary_auth()),
            _async_loop(tenant.capillary_auth()),
        )
        with vendor_routes(sandbox):  # warm-up of both paths, unmeasured
            sync_loop(200)
        for _ in range(ROUNDS):
            with vendor_routes(sandbox):
                rates["routed"].append(_rate(sync_loop, SENDS))
            with respx.mock(assert_all_called=False) as constant:
                constant.route(host="eu.api.capillarytech.com").respond(200, json=CONSTANT)
                rates["constant"].append(_rate(sync_loop, SENDS))
            with vendor_routes(sandbox):
                rates["async"].append(_rate(async_loop, SENDS))
            with respx.mock(assert_all_called=False) as old:
                old.route(host="eu.api.capillarytech.com").mock(side_effect=_second_client(sandbox))
                rates["replaced"].append(_rate(sync_loop, SENDS))
            tenant.clear_outbox()
    ratios = [r / c for r, c in zip(rates["routed"], rates["constant"], strict=True)]
    async_ratios = [a / c for a, c in zip(rates["async"], rates["constant"], strict=True)]
    old_ratios = [o / c for o, c in zip(rates["replaced"], rates["constant"], strict=True)]
    median = statistics.median(ratios)
    per_second = {name: round(statistics.median(values)) for name, values in rates.items()}
    figure = (
        f"{median:.2f}x of a constant respx route (spread {min(ratios):.2f}-{max(ratios):.2f}; "
        f"{per_second['routed']:,} vs {per_second['constant']:,} sends/s)"
    )
    return [
        Measurement(
            "inprocess",
            "sendMessage through the vendor-host routes, in-process, sync httpx client",
            figure,
            f">= {TARGET}x",
            passed=median >= TARGET,
            details={
                "rounds": ROUNDS,
                "sends_per_round": SENDS,
                "sends_per_second_median": per_second,
                "ratios": [round(r, 3) for r in ratios],
                "async_ratio_median": round(statistics.median(async_ratios), 3),
                "replaced_path_ratio_median": round(statistics.median(old_ratios), 3),
            },
            notes=[
                f"async client: {statistics.median(async_ratios):.2f}x; the replaced path "
                f"(a second httpx client per request): {statistics.median(old_ratios):.2f}x"
            ],
        )
    ]
