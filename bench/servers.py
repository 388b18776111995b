"""Start the sandbox and the bare baseline app, wait until they answer, stop or crash them."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import procs

HOST = "127.0.0.1"
HEALTH_PATH = "/_sandbox/health"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ServerFailed(RuntimeError):
    """A server exited or did not answer in time; the message carries its log's tail."""


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    started_at: float  # time.perf_counter() just before spawning
    ready_s: float | None = None  # seconds from the spawn to the first 200 from the health check
    data_dir: Path | None = None

    def snapshot_generations(self) -> int:
        """Sum over tenants of the newest snapshot generation: +1 per compaction."""
        if self.data_dir is None:
            return 0
        newest: dict[str, int] = {}
        for path in self.data_dir.glob("tenants/*/snapshot.*.json"):
            generation = int(path.name.split(".")[1])
            newest[path.parent.name] = max(generation, newest.get(path.parent.name, 0))
        return sum(newest.values())

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def native_stack(self) -> list[str]:
        """Which of uvloop and httptools the server process has loaded (from its memory map)."""
        try:
            maps = Path(f"/proc/{self.pid}/maps").read_text()
        except OSError:
            return []
        return [name for name in ("uvloop", "httptools") if f"/{name}/" in maps]

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def sandbox_argv(
    port: int, data_dir: Path, outbox_retention: int | None, python: str | None = None
) -> list[str]:
    """`comms-sandbox serve ...` from this interpreter's environment, or from `python`'s (the
    venv of another checkout: a before/after comparison); uvicorn's "auto" loop and http pick
    uvloop and httptools when installed, as they are in the project's venv."""
    interpreter = python or sys.executable
    script = Path(interpreter).parent / "comms-sandbox"
    command = [str(script)] if script.exists() else [interpreter, "-m", "sandbox"]
    argv = [*command, "serve", "--host", HOST, "--port", str(port), "--data-dir", str(data_dir)]
    if outbox_retention is not None:
        argv += ["--outbox-retention", str(outbox_retention)]
    return [*argv, "--log-level", "warning"]


def bare_argv(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare_app:app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def start(
    name: str,
    argv_for_port: Callable[[int], list[str]],
    log_dir: Path,
    cpus: frozenset[int] | None,
) -> Server:
    """Spawn `argv_for_port(port)` on a free port; does not wait for it to answer."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.{port}.log"
    with log_path.open("wb") as log:
        started = time.perf_counter()
        proc = procs.spawn(
            argv_for_port(port), cpus=cpus, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT
        )
    return Server(name, proc, port, log_path, started)


def start_sandbox(
    data_dir: Path,
    log_dir: Path,
    cpus: frozenset[int] | None,
    *,
    outbox_retention: int | None = None,
    name: str = "sandbox",
    python: str | None = None,
) -> Server:
    server = start(
        name,
        lambda port: sandbox_argv(port, data_dir, outbox_retention, python),
        log_dir,
        cpus,
    )
    server.data_dir = data_dir
    return server


def start_bare(log_dir: Path, cpus: frozenset[int] | None) -> Server:
    return start("bare", bare_argv, log_dir, cpus)


def wait_healthy(server: Server, timeout: float = 60.0, interval: float = 0.002) -> float:
    """Poll GET /_sandbox/health until a 200; returns seconds since the spawn."""
    deadline = time.perf_counter() + timeout
    while True:
        if server.proc.poll() is not None:
            raise ServerFailed(
                f"{server.name} exited with status {server.proc.returncode} before answering:"
                f"\n{server.log_tail()}"
            )
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, _ = request(server, "GET", HEALTH_PATH, timeout=1.0)
            if status == 200:
                server.ready_s = time.perf_counter() - server.started_at
                return server.ready_s
        if time.perf_counter() > deadline:
            raise ServerFailed(
                f"{server.name} did not answer {HEALTH_PATH} within {timeout:.0f} s:"
                f"\n{server.log_tail()}"
            )
        time.sleep(interval)


def request(
    server: Server,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def put_json(server: Server, path: str, body: Mapping[str, object]) -> Any:
    """PUT a JSON body; its answer. Anything but 200 or 201 is a failed measurement."""
    status, answer = request(
        server,
        "PUT",
        path,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    if status not in (200, 201):
        raise ServerFailed(f"PUT {path}: {status} {answer[:300]!r}")
    return json.loads(answer) if answer else None


def get_json(server: Server, path: str) -> Any:
    status, body = request(server, "GET", path)
    if status != 200:
        raise ServerFailed(f"GET {path} answered {status}: {body[:500]!r}")
    return json.loads(body)


def outbox_total(server: Server, tenant: str) -> int:
    return int(get_json(server, f"/_sandbox/tenants/{tenant}/outbox?limit=1")["total"])


@contextlib.contextmanager
def running(server: Server, *, timeout: float = 120.0) -> Iterator[Server]:
    """Wait until `server` answers, yield it, and stop its process group whatever happens."""
    try:
        wait_healthy(server, timeout)
        yield server
    finally:
        procs.stop(server.proc)
