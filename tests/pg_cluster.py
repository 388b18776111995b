"""A throw-away PostgreSQL cluster for the tests (docs/testing.md "PostgreSQL"): Debian's
binaries (`initdb`, `pg_ctl`), a data directory and a unix socket directory in a temporary
directory, a free TCP port on 127.0.0.1, trust authentication, fsync on (the server's
default). One cluster per test session (per xdist worker), stopped and removed at its end;
each test gets a database of its own (`postgres_url`). PostgreSQL refuses to run as root: as
root, the cluster runs as the `postgres` user (Debian's package makes it), else `nobody`.

When the binaries cannot be found, the tests that need them are skipped with one line
saying so (`make test` installs Debian's `postgresql` when it can)."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sandbox.store.postgres import Registry


def _binaries() -> Path | None:
    """The directory holding initdb and pg_ctl: on the PATH, else Debian's versioned one."""
    found = shutil.which("initdb")
    if found is not None and shutil.which("pg_ctl") is not None:
        return Path(found).resolve().parent
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Cluster:
    """One running cluster: `url` of its `postgres` database, `stop()` and `start()` (a test
    of a database that goes away must start it again)."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="sandbox-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:  # PostgreSQL refuses root: run it as an unprivileged user
            self.user = "postgres" if _user_exists("postgres") else "nobody"
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("mkdir", "-p", str(self.sockets))
        self._run(
            str(binaries / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",  # initdb's own files; the server below runs with fsync on
        )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run(
            str(self.binaries / "pg_ctl"),
            "start",
            "-w",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
        )

    def stop(self) -> None:
        self._run(str(self.binaries / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data))

    def database(self) -> str:
        """A new, empty database of this cluster; its URL."""
        import psycopg

        name = f"t_{secrets.token_hex(6)}"
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, *command: str) -> None:
        if self.user is not None:
            command = ("runuser", "-u", self.user, "--", *command)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.root / "log"
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}"
                + (f"\n{log.read_text()[-2000:]}" if log.exists() else "")
            )


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    binaries = _binaries()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql): skipped")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install '.[postgres]')")
    cluster = Cluster(binaries)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> str:
    """The URL of a fresh database of the session's cluster."""
    return postgres_cluster.database()


@pytest.fixture
def registry(postgres_url: str) -> Iterator[Registry]:
    """The tenants' registry of a fresh database, as one sandbox process opens it."""
    from sandbox.store.postgres import Registry  # psycopg is there only where installed

    opened = Registry(postgres_url)
    yield opened
    opened.close()
