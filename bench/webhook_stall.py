"""A hostile webhook target stalls no tenant (issue 23): `GET /_sandbox/health` timed while the
demo tenant sends a message every 10 ms and its webhook goes to

- `none`: no webhook,
- `plain`: a target answering `204` at once,
- `hostile`: a target answering each delivery with ~1 MB of 1-byte chunks (chunked encoding),

the three sides alternated over a few rounds on one server (the first side rotating), health
p50 and p99 of each side per round, and the medians. Before issue 23 the client parsed a
chunked answer again from its start on every read: health p50 went from 0.9 ms to 374 ms.

    .venv/bin/python -m bench.webhook_stall [--rounds 3] [--seconds 5]

The targets run in a child process of their own (`--targets`), so they take no CPU from the
timing client's interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench import procs
from bench.model import Measurement
from bench.servers import PROJECT_ROOT, free_port, running, start_sandbox

SEND = "/capillary/v2/communications/sendMessage?channel=sms"
BODY = {"sms": [{"to": "919988221100", "body": "Your order has shipped"}]}
SETTINGS = "/_sandbox/tenants/demo/settings"
CHUNKS = 160_000  # 1-byte chunks of the hostile answer: ~960 kB, under the client's 1 MiB
HOSTILE = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1\r\nx\r\n" * CHUNKS + b"0\r\n\r\n"
)
PLAIN = b"HTTP/1.1 204 No Content\r\n\r\n"
SIDES = ("none", "plain", "hostile")


# the targets (a child process) ---------------------------------------------------------------
async def _serve_targets(plain_port: int, hostile_port: int) -> None:
    def answering(answer: bytes) -> Any:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    await reader.readexactly(length)
                    writer.write(answer)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()

        return handle

    plain = await asyncio.start_server(answering(PLAIN), "127.0.0.1", plain_port)
    hostile = await asyncio.start_server(answering(HOSTILE), "127.0.0.1", hostile_port)
    async with plain, hostile:
        await asyncio.gather(plain.serve_forever(), hostile.serve_forever())


# the measurement -----------------------------------------------------------------------------
class Sender(threading.Thread):
    """The demo tenant's sends, one every 10 ms, until stopped."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(
            base_url=self.base_url, auth=("demo_till", "demo-password"), timeout=60
        ) as client:
            while not self.done.is_set():
                client.post(SEND, json=BODY)
                time.sleep(0.01)


def _health_ms(client: httpx.Client, seconds: float) -> list[float]:
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        client.get("/_sandbox/health")
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.005)
    return sorted(latencies)


def measure(rounds: int, seconds: float) -> dict[str, Any]:
    plain_port, hostile_port = free_port(), free_port()
    targets = procs.spawn(
        [sys.executable, "-m", "bench.webhook_stall", "--targets", f"{plain_port},{hostile_port}"],
        cwd=PROJECT_ROOT,
    )
    urls = {
        "none": None,
        "plain": f"http://127.0.0.1:{plain_port}/hook",
        "hostile": f"http://127.0.0.1:{hostile_port}/hook",
    }
    per_round: dict[str, list[tuple[float, float]]] = {side: [] for side in SIDES}
    try:
        with tempfile.TemporaryDirectory() as work:
            server = start_sandbox(Path(work) / "data", Path(work) / "logs", None)
            with running(server), httpx.Client(base_url=server.base_url, timeout=60) as client:
                sender = Sender(server.base_url)
                sender.start()
                try:
                    for number in range(rounds):
                        order = SIDES[number % 3 :] + SIDES[: number % 3]
                        for side in order:
                            client.put(SETTINGS, json={"webhook_url": urls[side]})
                            time.sleep(1.5)  # the last side's deliveries end (1 s timeout)
                            ms = _health_ms(client, seconds)
                            per_round[side].append((statistics.median(ms), ms[int(len(ms) * 0.99)]))
                            print(
                                f"round {number + 1} {side}: p50 {per_round[side][-1][0]:.2f} ms, "
                                f"p99 {per_round[side][-1][1]:.1f} ms",
                                flush=True,
                            )
                finally:
                    sender.done.set()
                    sender.join()
                    client.put(SETTINGS, json={"webhook_url": None})
    finally:
        procs.stop(targets)
    return {
        side: {
            "p50_ms_median": statistics.median(p50 for p50, _ in values),
            "p99_ms_median": statistics.median(p99 for _, p99 in values),
            "rounds": values,
        }
        for side, values in per_round.items()
    }


TARGET_RATIO = 2.0  # the hostile side's health p50 against the plain side's, same run


def measurement(rounds: int = 3, seconds: float = 5.0) -> list[Measurement]:
    """The figure for `python -m bench.run` (`--only webhook-stall`)."""
    figures = measure(rounds, seconds)
    p50 = {side: figure["p50_ms_median"] for side, figure in figures.items()}
    ratio = p50["hostile"] / p50["plain"]
    return [
        Measurement(
            "webhook-stall",
            "every tenant's health p50 while a webhook target answers in 1-byte chunks",
            f"hostile {p50['hostile']:.2f} ms, plain {p50['plain']:.2f} ms, none "
            f"{p50['none']:.2f} ms (medians of {rounds} alternated rounds): {ratio:.2f}x plain",
            f"hostile <= {TARGET_RATIO:.0f}x plain",
            passed=ratio <= TARGET_RATIO,
            details=figures,
        )
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhook_stall", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="health timed per side")
    parser.add_argument("--targets", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.targets:
        plain_port, hostile_port = (int(port) for port in args.targets.split(","))
        asyncio.run(_serve_targets(plain_port, hostile_port))
        return
    figures = measure(args.rounds, args.seconds)
    for side, figure in figures.items():
        print(
            f"{side:8} health p50 {figure['p50_ms_median']:.2f} ms, "
            f"p99 {figure['p99_ms_median']:.1f} ms (medians of {args.rounds} rounds)"
        )


if __name__ == "__main__":
    main()
