"""A path of a vendor's real API sent to the sandbox without the vendor's prefix (or, for
Symplify, with its real base path `/rest` kept) is a 404 that says which path to call
(issue 27, item 4); a path no vendor serves stays a plain 404. Nothing changes either way."""

from __future__ import annotations

import pytest

from sandbox.testing import Sandbox, Tenant
from sandbox.testing.example import EXAMPLE_FIXTURE


@pytest.fixture(scope="module")
def tenant(sandbox: Sandbox) -> Tenant:
    return sandbox.create_tenant(EXAMPLE_FIXTURE)


@pytest.mark.parametrize(
    ("called", "meant"),
    [
        ("/v2/communications/sendMessage", "/capillary/v2/communications/sendMessage"),
        ("/v1.1/customer/get", "/capillary/v1.1/customer/get"),
        ("/raven/v2/messages", "/messangi/raven/v2/messages"),
        ("/subscribers", "/messangi/subscribers"),
        ("/rest/1234/contacts", "/symplify/1234/contacts"),  # Symplify's real base path
        ("/1234/lists/42/contacts/all", "/symplify/1234/lists/42/contacts/all"),
        ("/tenants/demo/outbox", "/_sandbox/tenants/demo/outbox"),
    ],
)
def test_a_vendor_path_without_its_prefix_names_the_path_to_call(
    sandbox: Sandbox, tenant: Tenant, called: str, meant: str
) -> None:
    before = tenant.outbox()
    answer = sandbox.http.post(called, json={}, headers=tenant.capillary_auth())
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["field"] == "path"
    assert error["message"] == f"no API at {called}; did you mean {meant}?", error
    assert tenant.outbox() == before


@pytest.mark.parametrize(
    "called",
    ["/symplify/rest/1234/contacts", "/symplify/mail01/rest/1234/lists"],
)
def test_a_symplify_path_with_its_base_path_kept_names_the_path_to_call(
    sandbox: Sandbox, tenant: Tenant, called: str
) -> None:
    answer = sandbox.http.get(called, headers=tenant.symplify_auth())
    assert answer.status_code == 404
    body = answer.json()  # Symplify's own envelope
    meant = "/symplify/1234/" + called.rsplit("/1234/", 1)[1]
    assert body["error"].startswith(
        f"no operation at GET {called}; did you mean {meant}? (the sandbox serves /symplify "
        "paths without the vendor's base path)"
    ), body
    assert (body["status"], body["field"]) == (404, "path")


@pytest.mark.parametrize("called", ["/nothing/here", "/v9/unknown/path"])
def test_a_path_no_vendor_serves_gets_no_hint(sandbox: Sandbox, called: str) -> None:
    answer = sandbox.http.post(called, json={})
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == f"no API at {called}"
