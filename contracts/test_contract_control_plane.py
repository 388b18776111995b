"""Fuzz every operation of openapi/sandbox.yaml (the control plane, /_sandbox) in-process.

Each operation gets its own tenant, created from the FIXTURE (plus a few messages in its outbox)
before its run; most schema-valid `{tenant}` values are pointed at it, the rest stay random and
meet 404. This app is not the one the Capillary fuzzing runs on, so no generated PUT or DELETE
can replace or remove the Capillary fuzz tenants.
"""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis import Case

from contracts import _support

pytestmark = pytest.mark.contract

APP = _support.new_app()
SCHEMA = _support.load(APP, "sandbox.yaml")
DOCUMENT = "sandbox"
OPERATION_IDS = _support.operation_ids(SCHEMA)


class ControlTenant:
    """The tenant one operation's run is aimed at, and the outbox ids it holds."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.message_ids: list[str] = []

    def create(self) -> None:
        credentials = _support.put_tenant(APP, self.name)
        auth = _support.basic_auth(credentials["capillary"])
        sms = [
            {"to": customer["mobile"], "body": "contract fuzzing"}
            for customer in _support.CUSTOMERS
        ]
        with _support.client(APP) as session:
            sent = session.post(
                "/capillary/v2/communications/sendMessage", json={"sms": sms}, headers=auth
            )
            assert sent.status_code == 200, sent.text
            outbox = session.get(f"/_sandbox/tenants/{self.name}/outbox")
            assert outbox.status_code == 200, outbox.text
        self.message_ids = [message["id"] for message in outbox.json()["items"]]


@pytest.fixture
def control_tenant(request: pytest.FixtureRequest) -> ControlTenant:
    """This operation's tenant, created (or replaced) from the FIXTURE before its run."""
    operation_id = OPERATION_IDS[request.node.operation_label]
    tenant = ControlTenant(_support.tenant_name("fuzz-cp", operation_id))
    tenant.create()
    return tenant


def aim_at_tenant(case: Case, tenant: ControlTenant) -> bool:
    """Point 3 in 4 schema-valid `{tenant}` values (and outbox ids) at the run's tenant."""
    if not _support.is_positive_at(case, "path"):
        return False
    value = case.path_parameters.get("tenant")
    if value is None or not _support.pick(value, "tenant", 4):
        return False
    case.path_parameters["tenant"] = tenant.name
    message_id = case.path_parameters.get("id")
    if message_id is not None and tenant.message_ids and _support.pick(message_id, "id", 4):
        case.path_parameters["id"] = _support.choose(message_id, tenant.message_ids)
    return True


# Operations after which the tenant is gone: it is created again before the next request.
REMOVES_TENANT = {"deleteTenant"}


@SCHEMA.parametrize()
def test_control_plane_operation(case: Case, control_tenant: ControlTenant) -> None:
    aimed = aim_at_tenant(case, control_tenant)
    operation_id = case.operation.definition.raw["operationId"]
    if aimed and operation_id in REMOVES_TENANT:
        control_tenant.create()
    _support.call_and_check(DOCUMENT, case)


# ---------------------------------------------------------------- boundaries of the clock
# Valid date-times at the ends of the calendar, and the documented maximum advance. Generated
# data rarely lands on these exactly, so they are spelled out; the same checks apply.
CLOCK = "/tenants/{tenant}/clock"
ADVANCE = "/tenants/{tenant}/clock/advance"
CLOCK_EDGES: dict[str, list[tuple[str, str, dict[str, Any] | None]]] = {
    "year-below-1000": [(CLOCK, "PUT", {"now": "0999-06-01T00:00:00Z"})],
    "utc-after-9999": [(CLOCK, "PUT", {"now": "9999-12-31T23:59:59-23:59"})],
    "utc-before-0001": [(CLOCK, "PUT", {"now": "0001-01-01T00:00:00+23:59"})],
    "advance-frozen-past-9999": [
        (CLOCK, "PUT", {"now": "9999-12-31T00:00:00Z", "frozen": True}),
        (ADVANCE, "POST", {"seconds": 3153600000}),
    ],
    # the advance itself is stored before the answer fails: the tenant stays unusable
    "advance-running-past-9999": [
        (CLOCK, "PUT", {"now": "9999-12-31T00:00:00Z", "frozen": False}),
        (ADVANCE, "POST", {"seconds": 3153600000}),
        (CLOCK, "GET", None),
    ],
}


@pytest.mark.parametrize("edge", sorted(CLOCK_EDGES))
def test_clock_edges(edge: str) -> None:
    tenant = ControlTenant(_support.tenant_name("fuzz-cp-clock", edge))
    tenant.create()
    for path, method, body in CLOCK_EDGES[edge]:
        operation = SCHEMA[path][method]
        parameters = {"tenant": tenant.name}
        case = (
            operation.Case(path_parameters=parameters)
            if body is None
            else operation.Case(path_parameters=parameters, body=body)
        )
        _support.call_and_check(DOCUMENT, case)
