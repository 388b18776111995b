"""A tenant's auth helpers (`capillary_auth()`, `messangi_auth()`, `symplify_auth()`) as an
application passes them: as httpx's `auth=`, as requests' `auth=`, and as headers to httpx,
requests, urllib3 and aiohttp; every way authenticates (an unauthenticated call is a 401), and
no way shows the credentials in a repr."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import requests
import urllib3
from doc_examples import PROJECT, ROOT, examples
from integrator import run_pytest

from sandbox.testing import Tenant
from sandbox.testing.example import EXAMPLE_FIXTURE

CAPILLARY = "https://eu.api.capillarytech.com/v2/communications/sendMessage?channel=sms"
MESSANGI = "https://elastic.messangi.me/raven/v2/messages"
SYMPLIFY = "https://www.symplifymail.com/rest/1234/lists"
# a call of each vendor's that needs its credentials: (helper, method, URL, JSON body)
CALLS = {
    "capillary": (
        Tenant.capillary_auth,
        "POST",
        CAPILLARY,
        {"sms": [{"to": "919988221100", "body": "Shipped"}]},
    ),
    "messangi": (
        Tenant.messangi_auth,
        "POST",
        MESSANGI,
        {"from": "528811", "to": "525500000000", "text": "Hi", "type": "MT"},
    ),
    "symplify": (Tenant.symplify_auth, "GET", SYMPLIFY, None),
}


def _httpx_auth(method: str, url: str, body: Any, auth: Any) -> int:
    return httpx.request(method, url, json=body, auth=auth).status_code


def _httpx_headers(method: str, url: str, body: Any, auth: Any) -> int:
    with httpx.Client(headers=auth) as client:
        return client.request(method, url, json=body).status_code


def _requests_auth(method: str, url: str, body: Any, auth: Any) -> int:
    with requests.Session() as session:
        return session.request(method, url, json=body, auth=auth).status_code


def _requests_headers(method: str, url: str, body: Any, auth: Any) -> int:
    return requests.request(method, url, json=body, headers=auth).status_code


def _urllib3_headers(method: str, url: str, body: Any, auth: Any) -> int:
    return urllib3.PoolManager().request(method, url, json=body, headers=auth).status


def _aiohttp_headers(method: str, url: str, body: Any, auth: Any) -> int:
    async def call() -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, url, json=body, headers=auth) as answer,
        ):
            return answer.status

    return asyncio.run(call())


WAYS: dict[str, Callable[[str, str, Any, Any], int]] = {
    "httpx auth=": _httpx_auth,
    "httpx headers=": _httpx_headers,
    "requests auth=": _requests_auth,
    "requests headers=": _requests_headers,
    "urllib3 headers=": _urllib3_headers,
    "aiohttp headers=": _aiohttp_headers,
}


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("vendor", CALLS)
def test_every_auth_helper_authenticates_every_way_an_app_passes_it(
    comms_sandbox: Any, vendor: str, way: str
) -> None:
    tenant = comms_sandbox.create_tenant(EXAMPLE_FIXTURE)
    helper, method, url, body = CALLS[vendor]
    assert WAYS[way](method, url, body, None) == 401  # the call needs the credentials
    assert WAYS[way](method, url, body, helper(tenant)) in (200, 201)
    if method == "POST":
        assert len(tenant.outbox(vendor=vendor)) == 1


def test_an_auth_helper_reads_as_the_headers_it_sends(comms_sandbox: Any) -> None:
    tenant = comms_sandbox.create_tenant()
    token = tenant.credentials["symplify"]["value"]
    auth = tenant.symplify_auth()
    assert auth == {"X-Carma-Authentication-Token": token}
    assert dict(auth) == {**auth} == {"X-Carma-Authentication-Token": token}
    assert {**auth, "Accept": "application/json"}["X-Carma-Authentication-Token"] == token
    assert tenant.messangi_auth()["Authorization"].startswith("Bearer ")
    assert tenant.capillary_auth()["Authorization"].startswith("Basic ")


def test_no_repr_shows_a_credential(comms_sandbox: Any) -> None:
    tenant = comms_sandbox.create_tenant()
    shown = " ".join(
        repr(value)
        for value in (
            tenant,
            tenant.capillary_auth(),
            tenant.messangi_auth(),
            tenant.symplify_auth(),
        )
    )
    secrets = [
        value
        for creds in tenant.credentials.values()
        for key, value in creds.items()
        if key in {"password", "value", "oauth_secret"}
    ]
    assert secrets and not [secret for secret in secrets if secret in shown], shown
    assert tenant.name in repr(tenant)
    assert "capillary" in repr(tenant.capillary_auth())
    # the Basic token is the credentials too
    assert tenant.capillary_auth()["Authorization"].split()[1] not in shown


# --- a failed assertion's report -------------------------------------------------------------

pytest_plugins = ["pytester"]

FAILING = """
import json

import httpx

def test_blocked_customer_gets_the_sms(comms_sandbox):
    tenant = comms_sandbox.create_tenant({"capillary": {
        "status_labels": [{"name": "Suspended", "block_communications": True}],
        "customers": [{"mobile": "919353491050", "status_label": "Suspended"}]}})
    with open("credentials.json", "w") as out:
        json.dump({"credentials": tenant.credentials,
                   "headers": [dict(tenant.capillary_auth()), dict(tenant.messangi_auth()),
                               dict(tenant.symplify_auth())]}, out)
    httpx.post("https://eu.api.capillarytech.com/v2/communications/sendMessage?channel=sms",
               json={"sms": [{"to": "919353491050", "body": "Shipped"}]},
               auth=tenant.capillary_auth())
    tenant.assert_delivered(to="919353491050")
"""


@pytest.mark.parametrize("options", [(), ("--showlocals",), ("--tb=short",)], ids=str)
def test_a_failed_assertion_shows_the_outbox_and_trace_not_the_plugin_nor_credentials(
    pytester: pytest.Pytester, options: tuple[str, ...]
) -> None:
    pytester.makepyfile(test_report=FAILING)
    done = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", *options)
    done.assert_outcomes(failed=1)
    report = done.stdout.str() + done.stderr.str()
    assert (
        "AssertionError: expected a delivered message (to='919353491050'): 1 of 1 matching "
        "messages are not; first: #1000001 capillary sendMessage SMS to 919353491050: "
        "SUPPRESSED CUSTOMER_STATUS_BLOCKED" in report
    )
    assert "the outbox holds (newest first, at most 20):" in report
    assert "customer_status_block: suppress - status label 'Suspended'" in report  # the trace
    # no frame of the plugin: the test's own line is the last one shown
    assert "sandbox/testing" not in report and "def _expect" not in report, report
    saved = json.loads((pytester.path / "credentials.json").read_text())
    secrets = [
        value
        for creds in saved["credentials"].values()
        for key, value in creds.items()
        if key in {"password", "value", "oauth_secret"}
    ] + [value.split()[-1] for headers in saved["headers"] for value in headers.values()]
    assert len(secrets) == 8
    assert [secret for secret in secrets if secret in report] == [], report


# --- the README's plugin example, with an app on each library ----------------------------------

APPS = {
    "httpx auth=": "httpx.post(URL, json=SMS, auth=auth)",
    "requests auth=": "requests.post(URL, json=SMS, auth=auth)",
    "httpx headers=": "httpx.post(URL, json=SMS, headers=auth)",
    "requests headers=": "requests.post(URL, json=SMS, headers=auth)",
}
APP = """import httpx
import requests

def send_shipping_sms(to, *, base_url, auth):
    URL = base_url + "/v2/communications/sendMessage?channel=sms"
    SMS = {{"sms": [{{"to": to, "body": "Shipped"}}]}}
    return {call}
"""


@pytest.mark.parametrize("app", APPS)
def test_the_readme_plugin_example_runs_with_an_app_on_httpx_or_requests(
    tmp_path: Path, app: str
) -> None:
    example = next(
        example
        for example in examples(ROOT / "README.md")
        if example.kind == "python" and "comms_sandbox" in example.source
    )
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (project / "my_app.py").write_text(APP.format(call=APPS[app]), encoding="utf-8")
    (project / "test_shipping.py").write_text(example.source, encoding="utf-8")
    done = run_pytest(sys.executable, project, "test_shipping.py")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
