"""Integrator code keeps the vendor's real base URL; respx routes it to the sandbox."""

from __future__ import annotations

import asyncio
import copy

import aiohttp
import httpx
import pytest
import requests

from sandbox.testing import Sandbox
from sandbox.testing.aiohttp_routes import aiohttp_routes
from sandbox.testing.example import BLOCKED
from sandbox.testing.example import EXAMPLE_FIXTURE as FIXTURE
from sandbox.testing.respx_routes import vendor_routes
from sandbox.testing.urllib3_routes import urllib3_routes

CAPILLARY = "https://eu.api.capillarytech.com"
SYMPLIFY = "https://eu-proxy-1.symplifymail.com/rest"


def test_sync_client_on_the_real_host_reaches_the_sandbox(sandbox: Sandbox) -> None:
    tenant = sandbox.create_tenant(FIXTURE)
    with vendor_routes(sandbox) as router, httpx.Client(base_url=CAPILLARY) as client:
        response = client.post(
            "/v2/communications/sendMessage?channel=sms&format=json",
            json={"sms": [{"to": "919353491050", "body": "Your order shipped"}]},
            headers=tenant.capillary_auth(),
        )
        assert router.calls.call_count == 1
    assert response.status_code == 200 and response.json()["status"]["success"] is True
    [message] = tenant.outbox()
    assert (message["customer_id"], message["status"]) == (str(BLOCKED), "SUPPRESSED")


def test_async_client_and_errors_pass_through_unchanged(sandbox: Sandbox) -> None:
    tenant = sandbox.create_tenant(FIXTURE)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(base_url=CAPILLARY) as client:
            return await client.get(
                "/v2/customers/lookup",
                params={
                    "source": "INSTORE",
                    "identifierName": "mobile",
                    "identifierValue": "919100000001",
                },
                headers=tenant.capillary_auth(),
            )

    with vendor_routes(sandbox):
        response = asyncio.run(call())
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 8015


def test_messangi_login_header_and_blocklist_through_the_real_host(sandbox: Sandbox) -> None:
    tenant = sandbox.create_tenant(FIXTURE)
    creds = tenant.credentials["messangi"]
    with vendor_routes(sandbox), httpx.Client(base_url="https://elastic.messangi.me") as client:
        login = client.post(
            "/kingslanding/login",
            json={"username": creds["username"], "password": creds["password"]},
        )
        key = {"Authorization": login.headers["authorization"]}
        sent = client.post(
            "/raven/v2/messages",
            json={"from": "141555549", "to": "525500000000", "text": "hi", "type": "MT"},
            headers=key,
        )
    assert login.status_code == 200 and login.content == b""
    assert sent.json()["data"]["status"] == "ACCEPTED"
    [message] = tenant.outbox()
    assert (message["vendor"], message["reason"]) == ("messangi", "SENDER_BLOCKLISTED")


def test_injected_faults_reach_code_on_the_real_host(sandbox: Sandbox) -> None:
    tenant = sandbox.create_tenant(FIXTURE)
    faults = f"{tenant.control}/faults/sendMessage"
    body = {"sms": [{"to": "919988221100", "body": "Your order shipped"}]}
    with vendor_routes(sandbox), httpx.Client(base_url=CAPILLARY) as client:
        tenant.http.put(faults, json={"status": 503, "times": 1})
        refused = client.post(
            "/v2/communications/sendMessage", json=body, headers=tenant.capillary_auth()
        )
        assert refused.status_code == 503
        tenant.http.put(faults, json={"status": 0, "times": 1})
        with pytest.raises(httpx.RemoteProtocolError) as dropped:
            client.post(
                "/v2/communications/sendMessage", json=body, headers=tenant.capillary_auth()
            )
        assert dropped.value.request.url.host == "eu.api.capillarytech.com"
    assert tenant.outbox() == []


def test_a_percent_escape_in_the_path_is_decoded_once(sandbox: Sandbox) -> None:
    """`%2541` on the wire is `%41` to the server, never `A`: a contact whose id holds a `%`
    is found through the real host, from every library (Symplify's `/rest` base path removed),
    and through the sandbox's own client."""
    contact = {"original_id": "a%41", "email": "percent@example.com"}
    document = copy.deepcopy(FIXTURE)
    document["symplify"]["accounts"][0]["lists"][0]["contacts"].append(contact)
    tenant = sandbox.create_tenant(document)
    path = "/1234/lists/42/contacts/a%2541"
    auth = tenant.symplify_auth()

    async def httpx_async() -> tuple[int, object]:
        async with httpx.AsyncClient(base_url=SYMPLIFY) as client:
            answer = await client.get(path, headers=auth)
            return answer.status_code, answer.json().get("originalId")

    async def with_aiohttp() -> tuple[int, object]:
        async with (
            aiohttp.ClientSession() as client,
            client.get(SYMPLIFY + path, headers=auth) as a,
        ):
            return a.status, (await a.json()).get("originalId")

    def found(answer: httpx.Response | requests.Response) -> tuple[int, object]:
        return answer.status_code, answer.json().get("originalId")

    with vendor_routes(sandbox), urllib3_routes(sandbox), aiohttp_routes(sandbox):
        answers = {
            "httpx": found(httpx.get(SYMPLIFY + path, headers=auth)),
            "httpx async": asyncio.run(httpx_async()),
            "requests": found(requests.get(SYMPLIFY + path, headers=auth)),
            "aiohttp": asyncio.run(with_aiohttp()),
        }
    answers["in-process client"] = found(tenant.http.get(f"/symplify{path}", headers=auth))
    assert answers == dict.fromkeys(answers, (200, "a%41"))
