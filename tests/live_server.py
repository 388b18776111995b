"""A real sandbox server in a child process, for tests that need sockets: durability, the
plugin against a live server, the installed package."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    data_dir: Path,
    *,
    command: Sequence[str] = (sys.executable, "-m", "sandbox"),
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    args: Sequence[str] = (),
    open_files: int | None = None,
) -> Iterator[tuple[subprocess.Popen[bytes], httpx.Client]]:
    """`command serve` on a free port until it answers its health check; killed (-9) after.
    `open_files` caps the server's open-file limit (soft and hard), as a small host would."""

    def limit_files() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    port = free_port()
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - the server writes it until the end
        prefix=f"sandbox-{port}-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--data-dir", str(data_dir), *args],
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
        cwd=cwd,
        env=env,
        preexec_fn=limit_files if open_files is not None else None,  # noqa: PLW1509
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        if not answers_health(client, process, seconds=30):
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError(f"server did not start: {Path(log.name).read_text()}")
        process.log = Path(log.name)  # type: ignore[attr-defined]  # what it logged, for tests
        yield process, client
    finally:
        client.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.close()
        Path(log.name).unlink(missing_ok=True)


def answers_health(client: httpx.Client, process: subprocess.Popen[bytes], seconds: float) -> bool:
    """Whether `client` got a 200 from /_sandbox/health within `seconds`, asking every 50 ms;
    False as soon as `process` (what serves it) has exited."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if client.get("/_sandbox/health").status_code == 200:
                return True
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.05)
