"""The benchmarked requests, driven by wrk: Capillary sendMessage (SMS) with Basic auth, or
any other `Load` (a path, a wrk script, a check by hand)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bench import noise, wrk
from bench.model import Env
from bench.seed import Seeded
from bench.servers import Server, ServerFailed, request

SEND_PATH = "/capillary/v2/communications/sendMessage?channel=sms"
DEMO_USER, DEMO_PASSWORD, DEMO_RECIPIENT = "demo_till", "demo-password", "919988221100"


class Load(Protocol):
    """One request, repeated by wrk."""

    @property
    def path(self) -> str: ...

    def script(self, directory: Path) -> Path: ...

    def check(self, server: Server) -> None: ...


@dataclass(frozen=True)
class SendMessage:
    username: str
    password: str
    to: str

    @classmethod
    def demo(cls) -> SendMessage:
        return cls(DEMO_USER, DEMO_PASSWORD, DEMO_RECIPIENT)

    @classmethod
    def seeded(cls, seeded: Seeded) -> SendMessage:
        return cls(seeded.username, seeded.password, seeded.recipient)

    @property
    def path(self) -> str:
        return SEND_PATH

    @property
    def body(self) -> str:
        return json.dumps({"sms": [{"to": self.to, "body": "hello"}]}, separators=(",", ":"))

    @property
    def headers(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return {"Content-Type": "application/json", "Authorization": f"Basic {token}"}

    def script(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"send-{self.username}.lua"
        return wrk.write_script(path, method="POST", body=self.body, headers=self.headers)

    def check(self, server: Server) -> None:
        """One request by hand: a benchmark of error answers would be worthless."""
        status, body = request(
            server, "POST", SEND_PATH, body=self.body.encode(), headers=self.headers
        )
        if status != 200:
            raise ServerFailed(f"{server.name}: sendMessage answered {status}: {body[:500]!r}")


@dataclass
class Driven:
    runs: list[wrk.WrkResult]  # every wrk run against the server, warm-ups included
    measured: wrk.WrkResult
    compactions: int  # snapshots the server wrote during the runs (each blocks it a while)

    @property
    def ok_responses(self) -> int:
        return sum(run.ok_responses for run in self.runs)

    @property
    def errors(self) -> int:
        return sum(run.errors for run in self.runs)


def drive(env: Env, server: Server, send: Load, duration_s: float | None = None) -> Driven:
    """A warm-up run, then the measured run, of the same load; both again (up to
    `config.attempts` times) when other processes took CPU during the measured run."""
    config = env.config
    script = send.script(env.workdir / "scripts")
    url = server.base_url + send.path

    def one(seconds: float) -> wrk.WrkResult:
        return wrk.run(
            url,
            script,
            duration_s=seconds,
            connections=config.connections,
            threads=config.threads,
            cpus=env.client_cpus,
            wrk=env.wrk,
        )

    runs: list[wrk.WrkResult] = []
    generations = server.snapshot_generations()
    for attempt in range(1, config.attempts + 1):
        busy = noise.wait_quiet(config.quiet_wait_s)
        runs.append(one(config.warmup_s))
        window = noise.CpuWindow(server.pid)
        measured = one(duration_s if duration_s is not None else config.duration_s)
        measured.cpu = {"busy_before_cpus": busy, **window.close()}
        runs.append(measured)
        if measured.other_cpus <= noise.QUIET_CPUS:
            break
        print(
            f"  attempt {attempt}: other processes used {measured.other_cpus:.2f} CPUs"
            + ("; running again" if attempt < config.attempts else "; keeping it"),
            flush=True,
        )
    chosen = min(runs[1::2], key=lambda run: run.other_cpus)
    return Driven(runs, chosen, server.snapshot_generations() - generations)


def seed(
    data_dir: Path, customers: int, messages: int, retention: int, *, labelled: bool = True
) -> Seeded:
    """Build a data directory offline, in a child process so its memory is returned."""
    print(f"  seeding {customers:,} customers and {messages:,} messages ...", flush=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.seed",
            "--data-dir",
            str(data_dir),
            "--customers",
            str(customers),
            "--messages",
            str(messages),
            "--retention",
            str(retention),
            *([] if labelled else ["--no-labels"]),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding failed ({done.returncode}):\n{done.stderr[-3000:]}")
    seeded = Seeded(**json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"  seeded in {seeded.seconds:.1f} s", flush=True)
    return seeded
