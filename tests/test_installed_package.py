"""The package works outside this repository, as a new user meets it: the wheel, installed
with `[testing]` into a throw-away virtual environment, serves the demo tenant from any working
directory, answers a Capillary send, and runs an integrator's tests without a conftest.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp_project import write_project
from integrator import copy_project, passed, run_pytest
from live_server import server

from sandbox import __version__

ROOT = Path(__file__).resolve().parent.parent
# what the wheel is built from: the package and the top-level sources its resources link to
SOURCES = ("pyproject.toml", "README.md", "sandbox", "openapi", "fixtures")


# the environment of the installed package's processes: nothing of this checkout on the path
CLEAN = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "SANDBOX_URL"}}


def _run(*argv: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env=CLEAN,
    )
    assert done.returncode == 0, f"{argv}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A virtual environment holding only the built wheel, its [testing] dependencies and the
    HTTP libraries the integrator project's code uses."""
    root = tmp_path_factory.mktemp("installed")
    source = root / "source"  # a copy, so the build leaves nothing in the checkout
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name,
                source / name,
                symlinks=True,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
        else:
            source.mkdir(exist_ok=True)
            shutil.copy(ROOT / name, source / name)
    dist = root / "dist"
    pip = (sys.executable, "-m", "pip")
    _run(*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", dist, source, cwd=root)
    [wheel] = dist.glob("comms_sandbox-*.whl")
    venv = root / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=root)
    # and what the integrator project's own code uses besides httpx: requests (urllib3) and
    # sbcommons, the Symplify client on PyPI
    libraries = ("requests", "sbcommons")
    _run(
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "-q",
        f"{wheel}[testing]",
        *libraries,
        cwd=root,
    )
    yield venv


def test_the_wheel_carries_the_documents_and_the_demo_fixture(installed: Path) -> None:
    where = _run(
        installed / "bin" / "python",
        "-c",
        "import sandbox, sandbox.resources as r; print(sandbox.__file__); "
        "print(sorted(p.name for p in r.openapi_dir().iterdir())); "
        "print((r.fixtures_dir() / 'demo.yaml').is_file())",
        cwd=installed,
    ).splitlines()
    assert where[0].startswith(str(installed))  # not the checkout
    assert where[1] == "['capillary.yaml', 'messangi.yaml', 'sandbox.yaml', 'symplify.yaml']"
    assert where[2] == "True"


def test_the_command_serves_the_demo_tenant_from_any_directory(
    installed: Path, tmp_path: Path
) -> None:
    command = installed / "bin" / "comms-sandbox"
    assert _run(command, "--version", cwd=tmp_path).strip() == f"comms-sandbox {__version__}"
    with server(tmp_path / "data", command=(str(command),), cwd=tmp_path, env=CLEAN) as (_, client):
        sent = client.post(
            "/capillary/v2/communications/sendMessage?channel=sms",
            json={"sms": [{"to": "919353491050", "body": "Your order has shipped"}]},
            auth=("demo_till", "demo-password"),
        )
        assert sent.status_code == 200 and sent.json()["status"]["success"] is True
        [message] = client.get("/_sandbox/tenants/demo/outbox").json()["items"]
        assert (message["status"], message["reason"]) == ("SUPPRESSED", "CUSTOMER_STATUS_BLOCKED")
        assert client.get("/openapi/capillary.yaml").status_code == 200
        # the web outbox's templates, assets and each vendor's views travel in the wheel
        outbox = client.get("/_sandbox/ui/tenants/demo")
        assert outbox.status_code == 200 and "customer status blocked" in outbox.text
        recipients = client.get("/_sandbox/ui/tenants/demo/recipients")
        assert recipients.status_code == 200 and "Symplify lists" in recipients.text
        assert client.get("/_sandbox/ui/static/app.js").status_code == 200
        listing = _run(command, "tenants", "--url", str(client.base_url), cwd=tmp_path)
        assert listing.split() == ["demo"]


def test_an_integrators_tests_pass_with_only_the_package_installed(
    installed: Path, tmp_path: Path
) -> None:
    done = run_pytest(installed / "bin" / "python", copy_project(tmp_path / "project"))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert passed() in done.stdout


def test_an_aiohttp_project_passes_with_the_wheel_and_aiohttp(
    installed: Path, tmp_path: Path
) -> None:
    """aiohttp beside the wheel (in a folder of its own: the environment stays without it)."""
    extra = tmp_path / "aiohttp"
    pip = (installed / "bin" / "python", "-m", "pip", "install", "-q", "--target", extra)
    _run(*pip, "aiohttp>=3.12.1", cwd=tmp_path)
    project = write_project(tmp_path / "project")
    done = run_pytest(installed / "bin" / "python", project, env={"PYTHONPATH": str(extra)})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout
