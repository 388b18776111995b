"""Run `tests/integrator_project` as an integrator would: copied into an empty directory
outside the checkout, no conftest.py, with whichever Python (and so whichever installation of
comms-sandbox) the caller names."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

PROJECT = Path(__file__).parent / "integrator_project"


def copy_project(target: Path, project: Path = PROJECT) -> Path:
    """The project's files in `target`, its check_*.py renamed to test_*.py."""
    target.mkdir(parents=True, exist_ok=True)
    for source in project.iterdir():
        name = source.name
        if name.startswith("check_"):
            name = "test_" + name.removeprefix("check_")
        if source.is_file():
            shutil.copy(source, target / name)
    return target


def passed() -> str:
    """What pytest's summary says when the whole project passes: its test functions and
    scenarios, counted from its files (so a test added there needs no count changed here)."""
    tests = sum(
        line.startswith("def test_")
        for source in PROJECT.glob("check_*.py")
        for line in source.read_text().splitlines()
    )
    scenarios = sum(
        line.lstrip().startswith("Scenario")
        for source in PROJECT.glob("*.feature")
        for line in source.read_text().splitlines()
    )
    return f"{tests + scenarios} passed"


def run_pytest(
    python: Path | str,
    workdir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    xdist: bool = False,
) -> subprocess.CompletedProcess[str]:
    """pytest in `workdir`, with nothing of this repository's environment on the path (nor
    pytest-xdist, unless `xdist`)."""
    environ = {k: v for k, v in os.environ.items() if k not in {"SANDBOX_URL", "PYTHONPATH"}} | (
        env or {}
    )
    environ.pop("PYTEST_XDIST_WORKER", None)
    environ.pop("PYTEST_ADDOPTS", None)
    no_xdist = () if xdist else ("-p", "no:xdist")
    return subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *no_xdist, *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=environ,
        timeout=300,
        check=False,
    )
