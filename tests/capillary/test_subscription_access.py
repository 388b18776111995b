"""The subscription APIs (seed 002) need the tenant's credentials: 401 in the vendor's
envelope otherwise, and one tenant's credentials never reach another tenant's customers."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from sandbox.testing import Tenant

from .helpers import ACTIVE, MOBILE, Cap, v2_error, v11_status
from .subs import LOOKUP, V11, entry, everyone, item, lookup_params

WRITE_V2 = {"subscriptions": [entry("MOBILE", "BULK", "OPTOUT")]}
WRITE_V11 = {"root": {"subscription": [item("sms", "bulk", "0", id=str(ACTIVE))]}}
CALLS: list[tuple[str, str, str, Any, Any]] = [
    ("updateSubscriptionsV11", "POST", V11, WRITE_V11, None),
    ("getSubscriptionsV11", "GET", V11, None, {"id": str(ACTIVE)}),
    ("updateSubscriptionsV2", "POST", f"/v2/customers/{ACTIVE}/subscriptions", WRITE_V2, None),
    ("getSubscriptionsV2", "GET", f"/v2/customers/{ACTIVE}/subscriptions", None, None),
    ("updateSubscriptionsLookupV2", "POST", LOOKUP, WRITE_V2, lookup_params(MOBILE[ACTIVE])),
    ("getSubscriptionsLookupV2", "GET", LOOKUP, None, lookup_params(MOBILE[ACTIVE])),
]
calls = pytest.mark.parametrize("call", CALLS, ids=[c[0] for c in CALLS])


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@calls
@pytest.mark.parametrize("credentials", ["missing", "wrong password"])
def test_without_credentials_is_401_and_changes_nothing(
    cap: Cap, call: tuple[Any, ...], credentials: str
) -> None:
    _, method, path, body, params = call
    user = cap.tenant.credentials["capillary"]["username"]
    headers = {} if credentials == "missing" else basic(user, "wrong-password")
    before = everyone(cap)
    response = cap.call(method, path, body, params=params, headers=headers)
    assert response.status_code == 401, response.text
    if path == V11:
        status = v11_status(response)
        assert (str(status["success"]), int(status["code"])) == ("false", 401), status
    else:
        assert v2_error(response)["code"] == 401
    assert everyone(cap) == before


@calls
def test_another_tenants_credentials_do_not_reach_this_tenant(
    cap: Cap, other_tenant: Tenant, call: tuple[Any, ...]
) -> None:
    """The other tenant has no customers: to it, this tenant's customer does not exist."""
    _, method, path, body, params = call
    before = everyone(cap)
    response = cap.call(method, path, body, params=params, headers=other_tenant.capillary_auth())
    assert response.status_code == 400, response.text
    if path == V11:
        customer = response.json()["response"]["subscriptions"]["subscription"][0]
        assert int(customer["item_status"]["code"]) == 1012
    else:
        assert v2_error(response)["code"] in {1012, 8015}
    assert everyone(cap) == before
