"""The test harness's PostgreSQL (tests/pg_cluster.py) is a real server: it keeps what is
committed across a stop and a start; the base install does not need its driver."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest
from pg_cluster import Cluster


def test_the_cluster_keeps_a_commit_across_a_restart(
    postgres_cluster: Cluster, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE kept (n int)")
        connection.execute("INSERT INTO kept VALUES (7)")
        assert connection.execute("SHOW fsync").fetchone() == ("on",)
    postgres_cluster.stop()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(postgres_url, connect_timeout=2)
    postgres_cluster.start()
    with psycopg.connect(postgres_url) as connection:
        assert connection.execute("SELECT n FROM kept").fetchall() == [(7,)]


def test_the_base_install_does_not_import_the_driver() -> None:
    code = "import sys, sandbox.app, sandbox.cli; print('psycopg' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
