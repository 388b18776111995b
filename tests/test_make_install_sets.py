"""`make serve` installs what serving needs, `make test` the rest (issue 27 item 6): read from
`make -n`, which prints the recipes make would run in a .venv of the test's own, runs none."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the dev extra's tools a server has no use for
DEV_TOOLS = ("schemathesis", "playwright", "mypy", "pytest", "ruff", "mutmut", "hypothesis")


def dry_run(target: str, venv: Path) -> list[list[str]]:
    done = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # the commands that make a venv, install or serve (others, e.g. chromium's, are not
    # single commands shlex reads)
    wanted = (" -m venv ", " -m pip ", "comms-sandbox serve")
    return [
        shlex.split(line) for line in done.stdout.splitlines() if any(w in line for w in wanted)
    ]


def installs(commands: list[list[str]]) -> list[list[str]]:
    """What each `pip install` of `commands` installs: its arguments past `install`."""
    return [c[c.index("install") + 1 :] for c in commands if "pip" in c and "install" in c]


def test_make_serve_on_a_fresh_clone_installs_the_package_alone(tmp_path: Path) -> None:
    commands = dry_run("serve", tmp_path / "venv")
    assert ["python3", "-m", "venv", str(tmp_path / "venv")] in commands
    packages = installs(commands)
    assert ["--quiet", "-c", "constraints.txt", "-e", "."] in packages
    every = " ".join(" ".join(p) for p in packages)
    assert "[" not in every, every  # no extra: neither dev nor testing
    assert not [tool for tool in DEV_TOOLS if tool in every]
    assert commands[-1][-2:] == [str(tmp_path / "venv" / "bin" / "comms-sandbox"), "serve"]


def test_make_test_after_make_serve_installs_the_rest(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    (venv / ".installed-serve").touch()  # `make serve` ran: the package alone is installed
    commands = dry_run("test", venv)
    assert ["--quiet", "-c", "constraints.txt", "-e", ".[dev]"] in installs(commands)
    assert not [c for c in commands if c[1:3] == ["-m", "venv"]]  # the same .venv


def test_make_serve_after_make_test_serves_from_the_same_venv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    (venv / ".installed").touch()
    commands = dry_run("serve", venv)
    assert not [c for c in commands if c[1:3] == ["-m", "venv"]]
    assert installs(commands) == [["--quiet", "-c", "constraints.txt", "-e", "."]]


def test_make_wheel_builds_the_package_alone_into_dist(tmp_path: Path) -> None:
    """The README's install line (`make wheel`, then pip install the wheel: the package is not
    on PyPI) builds the package without its dependencies, into dist/, in the serve set."""
    commands = dry_run("wheel", tmp_path / "venv")
    packages = installs(commands)
    assert not any(tool in " ".join(p) for p in packages for tool in DEV_TOOLS), packages
    [build] = [c for c in commands if "wheel" in c and "pip" in c]
    assert build[build.index("wheel") + 1 :] == [
        "--quiet",
        "--no-deps",
        "--wheel-dir",
        "dist",
        ".",
    ]
