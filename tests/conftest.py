"""Shared fixtures: an in-process sandbox per test module, a fresh tenant per test."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.testing import Sandbox, Tenant, in_process

# A fixture like the contract's example: one blocked customer, one active, one opted out.
FIXTURE: dict[str, Any] = {
    "capillary": {
        "status_labels": [
            {"name": "Active", "status": "ACTIVE", "block_communications": False},
            {"name": "Suspended", "status": "SUSPENDED", "block_communications": True},
        ],
        "customers": [
            {
                "id": 565039505,
                "mobile": "919353491050",
                "email": "gcr@example.com",
                "external_id": "EXT-1",
                "wechat": "oWX-123",
                "status_label": "Suspended",
            },
            {
                "id": 565039506,
                "mobile": "919988221100",
                "email": "tom@example.com",
                "external_id": "EXT-2",
                "wechat": "oWX-456",
                "status_label": "Active",
            },
            {
                "id": 565039507,
                "mobile": "919876543210",
                "email": "rita@example.com",
                "status_label": "Active",
                "subscriptions": [
                    {"channel": "sms", "priority": "BULK", "subscribed": False},
                    {"channel": "sms", "priority": "TRANS", "subscribed": False},
                    {"channel": "email", "priority": "BULK", "subscribed": False},
                ],
            },
        ],
    }
}
BLOCKED, ACTIVE, OPTED_OUT = 565039505, 565039506, 565039507


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


def basic(username: str, password: str) -> dict[str, str]:
    return {
        "Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    }
