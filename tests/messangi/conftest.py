"""`msg`: a Messangi client bound to the test's fresh tenant (its API key)."""

from __future__ import annotations

import httpx
import pytest

from sandbox.testing import Tenant

from .helpers import Msg


@pytest.fixture
def msg(http: httpx.Client, tenant: Tenant) -> Msg:
    return Msg(http, tenant, tenant.messangi_auth())
