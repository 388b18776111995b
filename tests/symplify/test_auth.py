"""X-Carma-Authentication-Token reaches the tenant; `{customerid}` must be one of its accounts."""

from __future__ import annotations

import pytest

from sandbox.testing import Sandbox

from .helpers import ACCOUNT, TEMPBLOCK, Sym, dto, error


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Carma-Authentication-Token": ""}, {"X-Carma-Authentication-Token": "nope"}],
)
def test_a_missing_or_wrong_token_is_401_and_changes_nothing(
    sym: Sym, headers: dict[str, str]
) -> None:
    response = sym.http.put(f"/symplify{TEMPBLOCK}", json=dto(), headers=headers)
    assert error(response, 401) == "X-Carma-Authentication-Token"
    assert sym.status().json()["blocked"] is False


def test_another_vendors_credentials_are_not_a_token(sym: Sym) -> None:
    headers = {"X-Carma-Authentication-Token": sym.tenant.credentials["messangi"]["value"]}
    assert sym.http.get(f"/symplify/{ACCOUNT}/lists", headers=headers).status_code == 401


def test_an_account_that_is_not_the_tenants_is_403(sym: Sym) -> None:
    response = sym.call("GET", "/9999/lists")
    assert error(response, 403) == "customerid"
    assert "1234, 5678" in response.json()["error"]


def test_a_token_reaches_its_own_tenant_only(sym: Sym, sandbox: Sandbox) -> None:
    other = sandbox.create_tenant({"symplify": {"accounts": [{"customer_id": ACCOUNT}]}})
    try:
        response = sandbox.http.get(f"/symplify/{ACCOUNT}/lists", headers=other.symplify_auth())
        assert response.json() == []
    finally:
        other.delete()


def test_the_demo_token_reaches_the_demo_account(sym: Sym) -> None:
    headers = {"X-Carma-Authentication-Token": "demo-symplify-token"}
    lists = sym.http.get("/symplify/1234/lists", headers=headers).json()
    assert [(entry["id"], entry["contacts"]) for entry in lists] == [(42, 1)]


def test_errors_outside_any_operation_are_in_symplifys_body(sym: Sym) -> None:
    unknown = sym.call("GET", f"/{ACCOUNT}/nothing")
    body = unknown.json()
    assert body.pop("error").startswith(
        f"no operation at GET /symplify/{ACCOUNT}/nothing; the nearest emulated: GET /symplify/"
    )
    assert body == {"status": 404, "field": "path"}
    response = sym.call("DELETE", TEMPBLOCK)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST, PUT"
