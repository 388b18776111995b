"""The `symplify` section of a fixture: accounts, lists and contacts, checked."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.testing import Sandbox


def accounts(*given: dict[str, Any]) -> dict[str, Any]:
    return {"symplify": {"accounts": list(given)}}


@pytest.mark.parametrize(
    ("fixture", "field"),
    [
        (accounts({"customer_id": "1"}, {"customer_id": 1}), "symplify.accounts[1].customer_id"),
        (accounts({"customer_id": "a/b"}), "symplify.accounts[0].customer_id"),
        (accounts({"customer_id": "1", "lists": [{"id": "x"}]}), "accounts[0].lists[0].id"),
        (accounts({"customer_id": "1", "lists": [{"id": 0}]}), "accounts[0].lists[0].id"),
        (
            accounts({"customer_id": "1", "lists": [{"id": 5}, {"id": "5"}]}),
            "accounts[0].lists[1].id",
        ),
        (
            accounts(
                {
                    "customer_id": "1",
                    "lists": [{"id": 5, "contacts": [{"original_id": "a"}, {"original_id": "a"}]}],
                }
            ),
            "lists[0].contacts[1].original_id",
        ),
        (
            accounts({"customer_id": "1", "lists": [{"id": 5, "contacts": [{"email": "x"}]}]}),
            "email",
        ),
        (
            accounts({"customer_id": "1", "lists": [{"id": 5, "contacts": [{"phone": "1"}]}]}),
            "phone",
        ),
    ],
)
def test_a_bad_fixture_is_a_400_naming_its_path(
    sandbox: Sandbox, fixture: dict[str, Any], field: str
) -> None:
    response = sandbox.http.put("/_sandbox/tenants/bad-symplify", json=fixture)
    assert response.status_code == 400, response.text
    assert field in response.text
    assert sandbox.http.get("/_sandbox/tenants/bad-symplify").status_code == 404


def test_a_contact_without_an_original_id_gets_its_contact_id(sandbox: Sandbox) -> None:
    fixture = accounts(
        {"customer_id": "1", "lists": [{"id": 5, "contacts": [{"email": "a@b.co"}]}]}
    )
    tenant = sandbox.create_tenant(fixture)
    try:
        [contact] = sandbox.http.get(
            "/symplify/1/lists/5/contacts/all", headers=tenant.symplify_auth()
        ).json()
        assert contact["originalId"] == str(contact["id"])
    finally:
        tenant.delete()


@pytest.mark.parametrize(
    ("until", "said"),
    [
        ("2020/02/01", "'2020/02/01' is not a date as YYYY-MM-DD"),
        ("20200201", "'20200201' is not a date as YYYY-MM-DD"),
        ("2020-02-30", "'2020-02-30' is not a real date"),
    ],
)
def test_a_declared_block_that_is_not_a_day_is_a_400_saying_why(
    sandbox: Sandbox, until: str, said: str
) -> None:
    contact = {"original_id": "a", "email": "a@b.co", "temp_block": {"until": until}}
    fixture = accounts({"customer_id": "1", "lists": [{"id": 5, "contacts": [contact]}]})
    response = sandbox.http.put("/_sandbox/tenants/bad-symplify", json=fixture)
    assert response.status_code == 400, response.text
    field = "symplify.accounts[0].lists[0].contacts[0].temp_block.until"
    assert response.json()["error"] == {
        "code": "INVALID_INPUT",
        "message": f"{field}: {said}",
        "field": field,
    }
    assert sandbox.http.get("/_sandbox/tenants/bad-symplify").status_code == 404
