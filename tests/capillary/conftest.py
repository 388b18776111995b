"""Fixtures for the Capillary API tests: `cap`, a client bound to the test's fresh tenant."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.testing import Sandbox, Tenant

from .helpers import Cap


@pytest.fixture
def cap(http: httpx.Client, tenant: Tenant, auth: dict[str, str]) -> Cap:
    return Cap(http, tenant, auth)


@pytest.fixture
def frozen(cap: Cap) -> Cap:
    """The tenant's clock frozen at a known instant."""
    cap.tenant.set_clock(now="2026-11-23T10:00:00Z", frozen=True)
    return cap


@pytest.fixture
def other_tenant(sandbox: Sandbox) -> Iterator[Tenant]:
    """A second tenant with no customers, to prove tenants never see each other's data."""
    created = sandbox.create_tenant({"capillary": {"customers": []}})
    yield created
    created.delete()
