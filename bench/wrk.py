"""Drive a server with wrk (a Lua script sets method, body and headers) and parse its report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import procs

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}  # -> milliseconds
_TIME = r"([\d.]+)(us|ms|s|m|h)"
_PERCENTILE = re.compile(rf"^\s*(\d+(?:\.\d+)?)%\s+{_TIME}\s*$", re.MULTILINE)
_REQUESTS = re.compile(rf"(\d+) requests in {_TIME}")
_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


class WrkError(RuntimeError):
    pass


def ensure_wrk() -> str:
    """The path of wrk, installing it with apt-get if it is missing; a clear error if not."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        raise WrkError("wrk is not installed and apt-get is not available: install wrk first")
    prefix: list[str] = []
    if os.geteuid() != 0:
        sudo = shutil.which("sudo")
        if sudo is None:
            raise WrkError("wrk is not installed; run `sudo apt-get install -y wrk` and retry")
        prefix = [sudo, "-n"]
    print("wrk not found: apt-get install -y wrk ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*prefix, apt, "install", "-y", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run([*prefix, apt, "update"], env=env, check=False)
        subprocess.run(install, env=env, check=False)
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk is not installed and `apt-get install -y wrk` failed; install it")
    return found


def version(wrk: str) -> str:
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).splitlines()
    return lines[0].strip() if lines else "unknown"


def _lua_string(text: str) -> str:
    """A double-quoted Lua string literal; bytes outside printable ASCII as \\ddd escapes."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        if char in {'"', "\\"}:
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def write_script(
    path: Path, *, method: str, body: str | None = None, headers: Mapping[str, str] | None = None
) -> Path:
    """A wrk Lua script that sends every request with `method`, `body` and `headers`."""
    lines = [f"wrk.method = {_lua_string(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    for name, value in (headers or {}).items():
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class WrkResult:
    requests: int
    seconds: float
    requests_per_s: float
    latency_ms: dict[str, float]  # "50", "75", "90", "99" -> milliseconds
    non_2xx: int
    socket_errors: dict[str, int] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    output: str = ""
    # CPUs used by the server, by wrk and by other processes during the run (bench.noise)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def other_cpus(self) -> float:
        return self.cpu.get("other_cpus", 0.0)

    @property
    def server_cpu_us_per_request(self) -> float:
        """Server CPU time per answered request: less sensitive to a busy machine than req/s."""
        server = self.cpu.get("server_cpus")
        if server is None or not self.requests_per_s:
            return float("nan")
        return server / self.requests_per_s * 1e6

    @property
    def ok_responses(self) -> int:
        """Responses wrk counted as 2xx/3xx (the sandbox answers 200 on success)."""
        return self.requests - self.non_2xx

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())

    @property
    def p50(self) -> float:
        return self.latency_ms["50"]

    @property
    def p99(self) -> float:
        return self.latency_ms["99"]

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["ok_responses"] = self.ok_responses
        doc["server_cpu_us_per_request"] = self.server_cpu_us_per_request
        return doc


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]


def parse(output: str) -> WrkResult:
    """Parse wrk's text report (run with --latency)."""
    requests = _REQUESTS.search(output)
    rps = _RPS.search(output)
    if requests is None or rps is None:
        raise WrkError(f"could not parse wrk's report:\n{output}")
    latency = {
        match.group(1).removesuffix(".000").removesuffix(".0"): _ms(match.group(2), match.group(3))
        for match in _PERCENTILE.finditer(output)
    }
    if "50" not in latency or "99" not in latency:
        raise WrkError(f"wrk reported no latency distribution (run it with --latency):\n{output}")
    non_2xx = _NON_2XX.search(output)
    errors = _SOCKET_ERRORS.search(output)
    return WrkResult(
        requests=int(requests.group(1)),
        seconds=_ms(requests.group(2), requests.group(3)) / 1000,
        requests_per_s=float(rps.group(1)),
        latency_ms=latency,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        )
        if errors
        else {},
        output=output,
    )


def run(
    url: str,
    script: Path,
    *,
    duration_s: float,
    connections: int,
    threads: int = 1,
    cpus: frozenset[int] | None = None,
    wrk: str = "wrk",
) -> WrkResult:
    """`wrk -t -c -d --latency -s script url`, pinned to `cpus`; returns the parsed report."""
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    proc = procs.spawn(command, cpus=cpus, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=duration_s + 60)
    finally:
        procs.stop(proc)
    if proc.returncode != 0:
        raise WrkError(f"{' '.join(command)} exited {proc.returncode}: {err.decode()}")
    result = parse(out.decode())
    result.command = command
    return result
