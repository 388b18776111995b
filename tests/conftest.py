"""Shared fixtures: an in-process sandbox per test module, a fresh tenant per test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pg_cluster import postgres_cluster, postgres_url, registry  # noqa: F401 (fixtures: PostgreSQL)
from webhook_receiver import receiver  # noqa: F401 (a fixture: a webhook target)

from sandbox.testing import Sandbox, Tenant, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE as FIXTURE


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with in_process() as running:
        yield running


@pytest.fixture
def http(sandbox: Sandbox) -> httpx.Client:
    return sandbox.http


@pytest.fixture
def tenant(sandbox: Sandbox) -> Iterator[Tenant]:
    created = sandbox.create_tenant(FIXTURE)
    yield created
    created.delete()


@pytest.fixture
def auth(tenant: Tenant) -> dict[str, str]:
    return tenant.capillary_auth()
