"""compose.yaml's `scale` profile (README "Several processes"): two sandbox processes on one
PostgreSQL database (the official `postgres` image) behind nginx (the official image, its
configuration committed as deploy/nginx.conf), with the default `docker compose up` left as
it was. The wiring is checked from the files themselves; `docker compose config` validates
them where docker compose is installed; and where nginx is installed, the committed
configuration is run in front of two real server processes on the harness's database."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from live_server import answers_health, free_port, server

from sandbox.testing import Sandbox
from sandbox.testing.example import EXAMPLE_FIXTURE

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
NGINX = ROOT / "deploy" / "nginx.conf"
CUSTOMER = "/capillary/v2/customers/565039505?source=INSTORE"  # a read


def services() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return loaded


def scale() -> dict[str, Any]:
    return {name: s for name, s in services().items() if "scale" in s.get("profiles", [])}


def healthy(service: dict[str, Any], *names: str) -> bool:
    depends = service.get("depends_on", {})
    return all(depends.get(name, {}).get("condition") == "service_healthy" for name in names)


def test_the_default_profile_is_the_single_sandbox_it_was() -> None:
    default = {name: s for name, s in services().items() if not s.get("profiles")}
    assert list(default) == ["comms-sandbox"]
    single = default["comms-sandbox"]
    assert single["image"] == "comms-sandbox:latest"
    assert single["ports"] == ["127.0.0.1:8000:8000"]
    assert "SANDBOX_DATABASE_URL" not in single["environment"]  # its data directory


def test_the_scale_profile_wires_two_sandboxes_one_database_and_a_load_balancer() -> None:
    profile = scale()
    images = {name: s["image"] for name, s in profile.items()}
    database = next(name for name, image in images.items() if image.startswith("postgres:"))
    balancer = next(name for name, image in images.items() if image.startswith("nginx:"))
    sandboxes = sorted(n for n, image in images.items() if image == "comms-sandbox:latest")
    assert len(sandboxes) == 2 and len(profile) == 4, images
    # both sandboxes on the same database: the postgres service's, with its user and name
    urls = {profile[name]["environment"]["SANDBOX_DATABASE_URL"] for name in sandboxes}
    assert len(urls) == 1
    url = urlsplit(urls.pop())
    postgres = profile[database]["environment"]
    assert (url.scheme, url.hostname, url.port) == ("postgresql", database, 5432)
    assert (url.username, url.password) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    assert url.path == f"/{postgres['POSTGRES_DB']}"
    # the load balancer routes to both, from the committed configuration, on loopback only
    upstream = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", NGINX.read_text(), re.M)
    assert sorted(upstream) == [(name, "8000") for name in sandboxes]
    assert f"./{NGINX.relative_to(ROOT)}:/etc/nginx/nginx.conf:ro" in profile[balancer]["volumes"]
    assert [p.split(":")[0] for p in profile[balancer]["ports"]] == ["127.0.0.1"]
    published = {p.rsplit(":", 1)[0] for s in services().values() for p in s.get("ports", [])}
    assert len(published) == sum(len(s.get("ports", [])) for s in services().values())
    # each has a healthcheck; each waits for what it needs to be healthy: the database, the
    # first sandbox before the second (the first start makes the demo tenant once), both
    # sandboxes before the load balancer
    for name, service in profile.items():
        assert service["healthcheck"]["test"], name
    assert all(healthy(profile[name], database) for name in sandboxes)
    assert healthy(profile[sandboxes[1]], sandboxes[0])
    assert healthy(profile[balancer], *sandboxes)
    assert "/_sandbox/health" in " ".join(profile[balancer]["healthcheck"]["test"])


def test_the_load_balancer_keeps_event_streams_open_and_never_sends_a_post_twice() -> None:
    conf = NGINX.read_text()
    assert re.search(r"^\s*proxy_buffering off;", conf, re.M)
    assert re.search(r"^\s*proxy_read_timeout 1h;", conf, re.M)
    assert "non_idempotent" not in re.sub(r"#.*", "", conf)
    assert re.search(r"^\s*proxy_set_header Host \$http_host;", conf, re.M)


def compose_command() -> list[str] | None:
    if shutil.which("docker") is not None:
        plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if plugin.returncode == 0:
            return ["docker", "compose"]
    found = shutil.which("docker-compose")
    return [found] if found is not None else None


@pytest.mark.parametrize("profiles", [[], ["--profile", "scale"]])
def test_docker_compose_accepts_the_file(profiles: list[str]) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("docker compose is not installed (apt-get install docker-compose): skipped")
    done = subprocess.run(
        [*command, "-f", str(COMPOSE), *profiles, "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr


@contextmanager
def nginx_before(ports: list[int], tmp_path: Path) -> Iterator[httpx.Client]:
    """nginx with deploy/nginx.conf, its two upstreams pointed at `ports` on this machine and
    its own port free: a client of it."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    listen = free_port()
    conf = NGINX.read_text()
    for number, port in enumerate(ports, 1):
        conf = conf.replace(f"scale-sandbox-{number}:8000", f"127.0.0.1:{port}")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    conf = conf.replace("http {", "http {\n    access_log off;", 1)
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(conf)
    process = subprocess.Popen(
        [binary, "-p", str(tmp_path), "-c", "nginx.conf", "-e", "stderr", "-g", "daemon off;"],
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{listen}", timeout=10)
    try:
        if not answers_health(client, process, seconds=15):
            assert process.poll() is None, process.stderr and process.stderr.read()
            raise AssertionError("nginx did not answer")
        yield client
    finally:
        client.close()
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_the_committed_load_balancer_shares_two_processes(
    postgres_url: str, tmp_path: Path
) -> None:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx is not installed (apt-get install nginx-light): skipped")
    fixture = {
        **EXAMPLE_FIXTURE,
        "clock": {"now": "2026-11-23T10:00:00Z", "frozen": True},
        "settings": {"rate_limits": {"capillary": 4}},
    }
    args = ("--database-url", postgres_url)
    with ExitStack() as stack:
        first_process, first = stack.enter_context(server(tmp_path / "a", args=args))
        tenant = Sandbox(first).create_tenant(fixture, name="shared")
        _, second = stack.enter_context(server(tmp_path / "b", args=args))
        ports = [c.base_url.port for c in (first, second)]
        (tmp_path / "nginx").mkdir()
        balanced = stack.enter_context(nginx_before([p for p in ports if p], tmp_path / "nginx"))
        auth = tenant.capillary_auth()
        # through the load balancer, one window for the tenant: four in it
        statuses = [balanced.get(CUSTOMER, auth=auth).status_code for _ in range(10)]
        assert statuses == [200] * 4 + [429] * 6
        # one process killed: the other answers everything through the load balancer
        os.killpg(first_process.pid, signal.SIGKILL)
        first_process.wait()
        answers = [balanced.get(f"{tenant.control}/clock") for _ in range(4)]
        assert [a.status_code for a in answers] == [200] * 4
