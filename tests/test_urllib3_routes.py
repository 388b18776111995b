"""Code that calls the vendors' real hosts with requests or urllib3 reaches the sandbox
(sandbox.testing.urllib3_routes), in-process and live; other hosts go out, or fail at once when
the network is blocked."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
import urllib3
from live_server import free_port, server
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from sandbox.testing import Sandbox, Tenant, live
from sandbox.testing.example import BLOCKED
from sandbox.testing.example import EXAMPLE_FIXTURE as FIXTURE
from sandbox.testing.network import NetworkBlocked
from sandbox.testing.respx_routes import vendor_routes
from sandbox.testing.urllib3_routes import urllib3_routes

CAPILLARY = "https://eu.api.capillarytech.com"
SEND = f"{CAPILLARY}/v2/communications/sendMessage?channel=sms"
SYMPLIFY = "https://eu-proxy-1.symplifymail.com/rest/1234"


@pytest.fixture
def routed(sandbox: Sandbox) -> Iterator[Tenant]:
    tenant = sandbox.create_tenant(FIXTURE)
    with urllib3_routes(sandbox):
        yield tenant
    tenant.delete()


def sms(to: str, body: str = "Your order shipped") -> dict[str, object]:
    return {"sms": [{"to": to, "body": body}]}


def test_a_plain_requests_call_reaches_the_sandbox(routed: Tenant) -> None:
    answer = requests.post(SEND, json=sms("919353491050"), headers=routed.capillary_auth())
    assert (answer.status_code, answer.reason) == (200, "OK")
    assert answer.json()["status"]["success"] is True
    [message] = routed.outbox()
    assert (message["customer_id"], message["status"]) == (str(BLOCKED), "SUPPRESSED")


def test_a_session_with_a_mounted_retry_adapter_retries_the_sandboxs_503(routed: Tenant) -> None:
    """urllib3's Retry still runs around the routed request: an injected 503 is retried."""
    routed.set_fault("sendMessage", 503, times=2)
    retry = urllib3.Retry(total=3, status_forcelist=[503], allowed_methods=None, backoff_factor=0)
    with requests.Session() as session:
        session.mount("https://", HTTPAdapter(max_retries=retry))
        session.headers.update(routed.capillary_auth())
        answer = session.post(SEND, json=sms("919988221100"))
        assert answer.status_code == 200
        assert len(answer.raw.retries.history) == 2  # two 503s, then the send
    routed.assert_delivered(to="919988221100", count=1)
    without = requests.Session()  # no Retry mounted: the 503 is the answer
    routed.set_fault("sendMessage", 503, times=1)
    assert (
        without.post(SEND, json=sms("919988221100"), headers=routed.capillary_auth()).status_code
        == 503
    )


def test_urllib3_pool_manager_and_connection_pools(routed: Tenant) -> None:
    manager = urllib3.PoolManager()
    login = manager.request(
        "POST",
        "https://elastic.messangi.me/kingslanding/login",
        json={k: routed.credentials["messangi"][k] for k in ("username", "password")},
    )
    assert login.status == 200 and login.data == b""
    key = {"Authorization": login.headers["authorization"]}
    sent = manager.request(
        "POST",
        "https://elastic.messangi.me/raven/v2/messages",
        json={"from": "141555549", "to": "525500000000", "text": "hi", "type": "MT"},
        headers=key,
    )
    assert sent.json()["data"]["status"] == "ACCEPTED"
    routed.assert_suppressed(to="+525500000000", reason="SENDER_BLOCKLISTED")
    # a pool of its own, over https and over plain http (sbcommons' http://www.carmamail.com:80)
    secure = HTTPSConnectionPool("eu-proxy-1.symplifymail.com")
    contact = secure.request(
        "GET", "/rest/1234/lists/42/contacts/111", headers=routed.symplify_auth()
    )
    assert contact.json()["originalId"] == "111"
    plain = HTTPConnectionPool("www.carmamail.com", 80)
    lists = plain.request("GET", "/rest/1234/lists", headers=routed.symplify_auth())
    assert [entry["id"] for entry in lists.json()] == [42, 43]
    assert plain.num_requests == 1 and plain.num_connections == 1  # the pool's own accounting


def test_behind_a_proxy_the_vendors_hosts_are_still_the_sandboxs(
    sandbox: Sandbox, routed: Tenant
) -> None:
    """No proxy is contacted for a vendor's host: not to tunnel to it (https), nor to send it
    the request (http, where the pool is the proxy's and the target a whole URL)."""
    dead = f"http://127.0.0.1:{free_port()}"  # a proxy that does not answer
    proxied = urllib3.ProxyManager(dead, retries=False)
    for scheme in ("https", "http"):
        answer = proxied.request(
            "GET",
            f"{scheme}://www.carmamail.com/rest/1234/lists/42/contacts/111?x=1",
            headers=routed.symplify_auth(),
        )
        assert answer.json()["originalId"] == "111"
    sent = requests.post(
        SEND,
        json=sms("919988221100"),
        headers=routed.capillary_auth(),
        proxies={"https": dead, "http": dead},
    )
    assert sent.status_code == 200
    with pytest.raises(urllib3.exceptions.ProxyError):  # other hosts do go to the proxy
        proxied.request("GET", "http://api.example.com/orders/1")
    with urllib3_routes(sandbox, block_network=True):  # unless the network is blocked
        for scheme in ("https", "http"):
            with pytest.raises(NetworkBlocked, match=f"{scheme}://api.example.com"):
                proxied.request("GET", f"{scheme}://api.example.com/orders/1")


def test_a_dropped_connection_is_urllib3s_and_requests_own_error(routed: Tenant) -> None:
    routed.set_fault("sendMessage", 0, times=2)
    with pytest.raises(requests.ConnectionError, match="Remote end closed connection"):
        requests.post(SEND, json=sms("919988221100"), headers=routed.capillary_auth())
    pool = urllib3.PoolManager(retries=False)
    with pytest.raises(urllib3.exceptions.ProtocolError, match="Connection aborted"):
        pool.request("POST", SEND, json=sms("919988221100"), headers=routed.capillary_auth())
    assert routed.outbox() == []


def test_an_unknown_path_on_a_vendor_host_names_the_nearest_operations(routed: Tenant) -> None:
    answer = requests.get(f"{CAPILLARY}/v2/communications/nothing", headers=routed.capillary_auth())
    assert answer.status_code == 404
    [error] = answer.json()["errors"]  # Capillary's v2 envelope
    asked, _, nearest = error["message"].partition("; the nearest emulated: ")
    assert asked == "no operation at GET /capillary/v2/communications/nothing"
    near = nearest.split(", ")
    assert len(near) == 3 and "POST /capillary/v2/communications/sendMessage" in near
    assert all(op.split()[1].startswith("/capillary/v2/communications/") for op in near)
    contacts = urllib3.request(
        "GET", f"{SYMPLIFY}/lists/42/contactz/111", headers=routed.symplify_auth()
    )
    assert contacts.status == 404
    assert contacts.json()["error"].startswith(
        "no operation at GET /symplify/1234/lists/42/contactz/111; the nearest emulated: "
        "GET /symplify/{customerid}/lists/{listId}/contacts/{originalId}, "
    )


def _import(session: requests.Session | None, body: object, tenant: Tenant) -> requests.Response:
    """A Symplify CSV import whose CSV is `body` (as requests takes a body)."""
    caller = session or requests
    created = caller.post(
        f"{SYMPLIFY}/lists/42/imports",
        json={"delimiter": "44", "encoding": "UTF8", "type": "ADD", "identityColumn": "originalId"},
        headers=tenant.symplify_auth(),
    )
    return caller.post(
        f"{SYMPLIFY}/lists/42/recipients/{created.json()['id']}",
        data=body,  # type: ignore[arg-type]
        headers={**tenant.symplify_auth(), "Content-Type": "text/csv"},
    )


def test_a_body_that_cannot_be_replayed_is_read_once_and_forwarded(
    routed: Tenant, tmp_path: Path
) -> None:
    def rows() -> Iterator[bytes]:  # requests sends a generator chunked
        yield b"originalId,emailAddress\n"
        yield b"222,ann@example.com\n"

    assert _import(None, rows(), routed).status_code == 200
    csv = tmp_path / "contacts.csv"
    csv.write_bytes(b"originalId,emailAddress\n333,bo@example.com\n")
    with csv.open("rb") as file:  # a file object: requests sends its length, then streams it
        assert _import(None, file, routed).status_code == 200
    # a file urllib3 can rewind is rewound when a Retry sends it again
    routed.set_fault("importRecipients", 503, times=1)
    retry = urllib3.Retry(total=1, status_forcelist=[503], allowed_methods=None, backoff_factor=0)
    csv.write_bytes(b"originalId,emailAddress\n555,di@example.com\n")
    with requests.Session() as session, csv.open("rb") as file:
        session.mount("https://", HTTPAdapter(max_retries=retry))
        again = _import(session, file, routed)
        assert again.status_code == 200 and len(again.raw.retries.history) == 1
    # urllib3 itself, with a text stream
    pool = urllib3.PoolManager()
    created = pool.request(
        "POST",
        f"{SYMPLIFY}/lists/42/imports",
        json={"delimiter": "44", "type": "ADD"},
        headers=routed.symplify_auth(),
    )
    posted = pool.request(
        "POST",
        f"{SYMPLIFY}/lists/42/recipients/{created.json()['id']}",
        body=io.StringIO("originalId,emailAddress\n444,cy@example.com\n"),
        headers={**routed.symplify_auth(), "Content-Type": "text/csv"},
    )
    assert posted.status == 200
    for original_id, email in (("222", "ann"), ("333", "bo"), ("444", "cy"), ("555", "di")):
        contact = requests.get(
            f"{SYMPLIFY}/lists/42/contacts/{original_id}", headers=routed.symplify_auth()
        )
        assert contact.json()["emailAddress"] == f"{email}@example.com"


def test_a_streamed_answer_is_read_piece_by_piece(routed: Tenant) -> None:
    url = f"{SYMPLIFY}/lists/42/contacts/all"
    whole = requests.get(url, headers=routed.symplify_auth()).content
    with requests.get(url, headers=routed.symplify_auth(), stream=True) as streamed:
        pieces = list(streamed.iter_content(chunk_size=7))
    assert len(pieces) > 1 and b"".join(pieces) == whole
    pool = HTTPSConnectionPool("eu-proxy-1.symplifymail.com", maxsize=1, block=True)
    for _ in range(3):  # with one connection, blocking: each answer read gives it back
        answer = pool.request(
            "GET",
            "/rest/1234/lists/42/contacts/all",
            headers=routed.symplify_auth(),
            preload_content=False,
            pool_timeout=2,
        )
        assert b"".join(answer.stream(5)) == whole
    assert json.loads(whole)


def test_an_app_without_urllib3_does_not_import_it() -> None:
    """The fixture's interceptors are entered only for the libraries installed."""
    code = (
        "import sys\n"
        "sys.modules['urllib3'] = sys.modules['requests'] = None  # as if not installed\n"
        "sys.modules['aiohttp'] = None\n"
        "from sandbox.testing import in_process\n"
        "from sandbox.testing.interceptors import intercepting\n"
        "with in_process() as sandbox, intercepting(sandbox, block_network=True) as routes:\n"
        "    print(sorted(routes), 'sandbox.testing.urllib3_routes' in sys.modules,\n"
        "          'sandbox.testing.aiohttp_routes' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.stdout.split() == ["['httpx']", "False", "False"], done.stderr


def test_a_library_that_cannot_be_routed_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['respx'] = None  # httpx without respx: the [testing] extra missing\n"
        "from sandbox.testing import in_process\n"
        "from sandbox.testing.interceptors import intercepting\n"
        "with in_process() as sandbox, intercepting(sandbox, block_network=False):\n"
        "    pass\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.stderr.splitlines()[-1] == (
        "pytest.UsageError: comms_sandbox cannot route httpx (import of "
        "respx halted; None in sys.modules): pip install 'comms-sandbox[testing]'"
    )


def test_the_routes_end_with_their_block(sandbox: Sandbox) -> None:
    original = HTTPConnectionPool._make_request
    with urllib3_routes(sandbox):
        assert HTTPConnectionPool._make_request is not original
    assert HTTPConnectionPool._make_request is original


def test_other_hosts_go_out_unless_the_network_is_blocked(sandbox: Sandbox) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/orders/1"  # nothing listens there
    with urllib3_routes(sandbox), pytest.raises(requests.ConnectionError, match="refused"):
        requests.get(nobody)
    with urllib3_routes(sandbox, block_network=True), vendor_routes(sandbox, block_network=True):
        for call in (
            lambda: requests.get(nobody),
            lambda: urllib3.PoolManager().request("GET", nobody),
            lambda: httpx.get(nobody),
        ):
            with pytest.raises(NetworkBlocked) as blocked:
                call()
            assert str(blocked.value) == (
                f"comms-sandbox: GET {nobody} not sent: the network is blocked "
                "(comms_sandbox_block_network is set by the ini file or a marker), and only "
                "the vendors' hosts and the sandbox are reachable"
            )
        tenant = sandbox.create_tenant(FIXTURE)  # the vendors' hosts are still reachable
        answer = requests.post(SEND, json=sms("919988221100"), headers=tenant.capillary_auth())
        assert answer.status_code == 200


def test_a_live_sandbox_is_reached_and_its_own_host_never_blocked(tmp_path: Path) -> None:
    with server(tmp_path / "data") as (_, client):
        url = str(client.base_url).rstrip("/")
        with live(url) as running, urllib3_routes(running, block_network=True):
            tenant = running.create_tenant(FIXTURE)
            answer = requests.post(SEND, json=sms("919353491050"), headers=tenant.capillary_auth())
            assert answer.status_code == 200
            tenant.assert_suppressed(to="919353491050", reason="CUSTOMER_STATUS_BLOCKED")
            contact = urllib3.request(
                "GET", f"{SYMPLIFY}/lists/42/contacts/111", headers=tenant.symplify_auth()
            )
            assert contact.json()["originalId"] == "111"
            # the sandbox's own host, with requests, while the network is blocked
            health = requests.get(f"{url}/_sandbox/health")
            assert health.json() == {"status": "ok"}
            tenant.set_fault("sendMessage", 0, times=1)
            with pytest.raises(requests.ConnectionError, match="Remote end closed connection"):
                requests.post(SEND, json=sms("919988221100"), headers=tenant.capillary_auth())
            tenant.delete()
