"""`make image-test`: checks a built comms-sandbox image as a CI service container uses it.

    python tests/image_check.py comms-sandbox:0.1.0

Healthy (Docker's HEALTHCHECK and GET /_sandbox/health), answers a Capillary send on the demo
tenant, runs as a non-root user, and keeps an acknowledged write when the container is removed
and a new one started on the same volume. Prints the image's size and the start-up time (from
`docker run` to the first 200 of the health check, median of the runs). Exits 1 on a failed
check. Needs a Docker engine; `make test` does not run it.
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

DEMO = ("demo_till", "demo-password")
STARTS = 5  # container starts measured (the first, the restart, and these extra)


def docker(*args: str, check: bool = True) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"docker {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(port: int, method: str, path: str, body: Any = None, auth: bool = False) -> Any:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if auth:
        import base64

        token = base64.b64encode(":".join(DEMO).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read() or b"null")


def start(image: str, volume: str, port: int) -> tuple[str, float]:
    """A detached container on `volume`; returns its id and the seconds until it answered."""
    started = time.perf_counter()
    container = docker("run", "-d", "-p", f"127.0.0.1:{port}:8000", "-v", f"{volume}:/data", image)
    deadline = started + 30
    while time.perf_counter() < deadline:
        try:
            if call(port, "GET", "/_sandbox/health") == {"status": "ok"}:
                return container, time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.02)
    logs = docker("logs", container, check=False)
    docker("rm", "-f", container, check=False)
    raise SystemExit(f"the container did not answer its health check in 30 s:\n{logs}")


def wait_healthy(container: str) -> str:
    """Docker's own view, from the image's HEALTHCHECK."""
    for _ in range(150):
        status = docker("inspect", "--format", "{{.State.Health.Status}}", container)
        if status in {"healthy", "unhealthy"}:
            return status
        time.sleep(0.1)
    return status


def main(image: str) -> int:
    failures: list[str] = []

    def expect(ok: bool, what: str) -> None:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            failures.append(what)

    volume = f"comms-sandbox-check-{uuid.uuid4().hex[:8]}"
    docker("volume", "create", volume)
    timings: list[float] = []
    try:
        port = free_port()
        container, seconds = start(image, volume, port)
        timings.append(seconds)
        config = json.loads(docker("image", "inspect", image))[0]["Config"]
        expect(bool(config.get("Healthcheck", {}).get("Test")), "the image declares a HEALTHCHECK")
        expect("/data" in (config.get("Volumes") or {}), "the data directory is the volume /data")
        expect(wait_healthy(container) == "healthy", "Docker reports the container healthy")
        uid = docker("exec", container, "id", "-u")
        expect(uid not in {"", "0"}, f"the server runs as a non-root user (uid {uid})")
        sent = call(
            port,
            "POST",
            "/capillary/v2/communications/sendMessage?channel=sms",
            {"sms": [{"to": "919353491050", "body": "Your order has shipped"}]},
            auth=True,
        )
        expect(sent["status"]["success"] is True, "a Capillary send on the demo tenant answers 200")
        [message] = call(port, "GET", "/_sandbox/tenants/demo/outbox")["items"]
        expect(
            message["reason"] == "CUSTOMER_STATUS_BLOCKED",
            "the blocked demo customer's message is suppressed",
        )
        docker("rm", "-f", container)
        for run in range(STARTS - 1):
            port = free_port()
            container, seconds = start(image, volume, port)
            timings.append(seconds)
            if run == 0:
                kept = call(port, "GET", "/_sandbox/tenants/demo/outbox")["items"]
                expect(
                    [m["id"] for m in kept] == [message["id"]],
                    "a new container on the same volume still has the acknowledged message",
                )
            docker("rm", "-f", container)
    finally:
        docker("volume", "rm", "-f", volume, check=False)
    size = int(docker("image", "inspect", "--format", "{{.Size}}", image))
    median = statistics.median(timings)
    print(f"image {image}: {size / 1e6:.0f} MB")
    print(
        f"start-up to the first healthy answer: median {median:.2f} s of {len(timings)} starts "
        f"(fastest {min(timings):.2f} s, slowest {max(timings):.2f} s)"
    )
    expect(median < 2.0, "start-up to healthy is under 2 s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "comms-sandbox:latest"))
