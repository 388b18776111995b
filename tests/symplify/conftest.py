"""`sym`: a Symplify client bound to a fresh tenant of its own (clock frozen in 2020, before
the seed's dates)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.testing import Sandbox

from .helpers import FIXTURE, Sym


@pytest.fixture
def sym(sandbox: Sandbox) -> Iterator[Sym]:
    tenant = sandbox.create_tenant(FIXTURE)
    tenant.set_clock(now="2020-01-15T09:00:00Z", frozen=True)
    yield Sym(sandbox.http, tenant)
    tenant.delete()
