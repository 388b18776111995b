"""The web outbox's pages, server side: each page of docs/contract.md section 10 answers, shows
what a user looks for, escapes what users wrote, and answers a friendly 404 for unknown
tenants and messages. (tests/browser/ drives them in Chromium.)"""

from __future__ import annotations

import json
from copy import deepcopy
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from sandbox.store import Collection, CollectionSpec
from sandbox.testing import Tenant, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE as FIXTURE
from sandbox.ui.stream import _missed

SCRIPT = "<script>alert('x')</script>"


def send_sms(tenant: Tenant, to: str, body: str = "Your order has shipped") -> None:
    response = tenant.http.post(
        "/capillary/v2/communications/sendMessage?channel=sms",
        json={"sms": [{"to": to, "body": body}]},
        headers=tenant.capillary_auth(),
    )
    assert response.status_code == 200, response.text


def page(tenant: Tenant, path: str = "", **params: str) -> httpx.Response:
    return tenant.http.get(f"/_sandbox/ui/tenants/{tenant.name}{path}", params=params)


def test_home_redirects_to_the_tenants(http: httpx.Client, tenant: Tenant) -> None:
    response = http.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/_sandbox/ui/"
    listing = http.get("/_sandbox/ui/")
    assert listing.status_code == 200 and tenant.name in listing.text


def test_the_outbox_marks_a_suppressed_message_with_its_reason_in_words(tenant: Tenant) -> None:
    send_sms(tenant, "919353491050")
    send_sms(tenant, "919988221100")
    text = page(tenant).text
    assert text.count('class="badge suppressed">suppressed') == 1
    assert "customer status blocked" in text and "CUSTOMER_STATUS_BLOCKED" in text
    assert text.count('class="badge delivered">delivered') == 1
    assert text.index("919988221100") < text.index("919353491050")  # newest first


def test_filters_are_deep_links(tenant: Tenant) -> None:
    send_sms(tenant, "919353491050")
    send_sms(tenant, "919988221100", body="a parcel for Tom")
    suppressed = page(tenant, status="SUPPRESSED").text
    assert "919353491050" in suppressed and "919988221100" not in suppressed
    assert '<option value="SUPPRESSED" selected>' in suppressed
    searched = page(tenant, q="PARCEL").text
    assert "919988221100" in searched and "919353491050" not in searched
    by_recipient = page(tenant, to="+91 99882 21100").text
    assert "919988221100" in by_recipient and "919353491050" not in by_recipient
    rows = page(tenant, vendor="messangi", fragment="rows").text
    assert "No messages match these filters" in rows and "<html" not in rows


def test_the_outbox_pages_through_many_messages(tenant: Tenant) -> None:
    for number in range(60):
        send_sms(tenant, "919988221100", body=f"message {number}")
    first = page(tenant).text
    assert "message 59" in first and "message 9<" not in first and "offset=50" in first
    second = page(tenant, offset="50").text
    assert "message 9<" in second and "message 59" not in second


def test_the_message_page_shows_the_decision_and_the_request(tenant: Tenant) -> None:
    send_sms(tenant, "919353491050", body=SCRIPT)
    [message] = tenant.outbox()
    text = page(tenant, f"/messages/{message['id']}").text.replace("<wbr>", "")
    assert "status label &#39;Suspended&#39; has block communications enabled" in text
    assert '<li class="suppress"><span class="outcome">suppress</span>' in text
    assert "POST /capillary/v2/communications/sendMessage" in text
    assert SCRIPT not in text and "&lt;script&gt;" in text


def test_the_message_page_shows_how_capillary_reads_it_back(tenant: Tenant) -> None:
    """Each read it shows answers what it says: called, its status is the one shown."""
    send_sms(tenant, "919353491050")
    [message] = tenant.outbox()
    # (a path may wrap on a phone: <wbr> after its / ? & =)
    text = page(tenant, f"/messages/{message['id']}").text.replace("<wbr>", "")
    sms_read = f"GET /capillary/v1.1/communications/sms?id={message['id']}"
    history = (
        "GET /capillary/v2/customers/interaction?identifierName=id&amp;identifierValue=565039505"
        "&amp;type=sms"
    )
    assert f"<code>{sms_read}</code>: <strong>NOT-DELIVERED</strong>" in text
    assert f"<code>{history}</code>: <strong>NOT-DELIVERED</strong>" in text
    auth = tenant.capillary_auth()
    read = tenant.http.get(sms_read.split(" ")[1], headers=auth).json()
    assert read["response"]["sms"]["status"] == "NOT-DELIVERED"
    listed = tenant.http.get(history.split(" ")[1].replace("&amp;", "&"), headers=auth).json()
    assert listed["interaction"][0]["messageList"][0]["status"] == "NOT-DELIVERED"


def test_a_message_no_vendor_read_shows_has_no_reads_section(tenant: Tenant) -> None:
    """A WhatsApp message to no customer: Capillary reads neither by id nor by customer."""
    sent = tenant.http.post(
        "/capillary/v2/communications/sendMessage?channel=whatsapp",
        json={"whatsappMessage": [{"receiver": "919100000001", "template": "hi"}]},
        headers=tenant.capillary_auth(),
    )
    assert sent.status_code == 200, sent.text
    [message] = tenant.outbox()
    assert "reads it back" not in page(tenant, f"/messages/{message['id']}").text


def test_the_recipients_page_draws_each_vendor(tenant: Tenant) -> None:
    text = page(tenant, "/recipients").text
    assert "Capillary customers" in text and "opted out" in text and "blocks communications" in text
    assert "sender 141555549" in text and "+525500000000" in text
    assert "list 42" in text and "lady_gaga@example.com" in text


def test_unknown_tenants_and_messages_are_a_friendly_404(
    http: httpx.Client, tenant: Tenant
) -> None:
    for path in (
        "/_sandbox/ui/tenants/nobody",
        "/_sandbox/ui/tenants/nobody/recipients",
        f"/_sandbox/ui/tenants/{tenant.name}/messages/999",
        "/_sandbox/ui/no-such-page",
    ):
        response = http.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "Not found" in response.text


def test_pages_are_behind_the_control_plane_guard(http: httpx.Client) -> None:
    response = http.get("/_sandbox/ui/", headers={"Host": "evil.example"})
    assert response.status_code == 403


def test_the_assets_are_served_from_the_package(http: httpx.Client) -> None:
    for asset in ("app.js", "app.css"):
        response = http.get(f"/_sandbox/ui/static/{asset}")
        assert response.status_code == 200 and len(response.content) > 1000


def test_with_a_control_token_pages_ask_for_it_once_and_keep_a_cookie() -> None:
    with in_process(control_token="s3cret") as sandbox:
        http = sandbox.http
        page_path = "/_sandbox/ui/tenants/demo?status=SUPPRESSED"
        asked = http.get(page_path, follow_redirects=False)
        assert asked.status_code == 307
        login = asked.headers["location"]
        assert login.startswith("/_sandbox/ui/login?next=")
        form = http.get(login)
        assert form.status_code == 200 and 'name="token"' in form.text
        assert '<option value="demo"' not in form.text  # no tenant names before the token
        wrong = http.post(
            "/_sandbox/ui/login",
            content="token=nope&next=%2F_sandbox%2Fui%2Ftenants%2Fdemo",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert wrong.status_code == 401 and "not the control token" in wrong.text
        assert "set-cookie" not in wrong.headers
        right = http.post(
            "/_sandbox/ui/login",
            content="token=s3cret&next=" + quote(page_path, safe=""),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )
        assert right.status_code == 303 and right.headers["location"] == page_path
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "s3cret" not in cookie
        value = cookie.split(";")[0]
        with_cookie = {"Cookie": value}
        assert http.get(page_path, headers=with_cookie).status_code == 200
        # the page's own calls to the control plane go with the cookie too
        assert http.get("/_sandbox/tenants/demo/clock", headers=with_cookie).status_code == 200
        forged = {"Cookie": "comms_sandbox_token=" + "0" * 64}
        assert http.get(page_path, headers=forged, follow_redirects=False).status_code == 307
        assert http.get("/_sandbox/tenants/demo/clock", headers=forged).status_code == 401


def test_only_the_login_form_and_the_assets_are_open_without_the_token() -> None:
    with in_process(control_token="s3cret") as sandbox:
        for path in ("/_sandbox/ui/loginX", "/_sandbox/ui/login/x", "/_sandbox/ui/nothing"):
            answer = sandbox.http.get(path, follow_redirects=False)
            assert answer.status_code == 307, path
            assert answer.headers["location"].startswith("/_sandbox/ui/login?next=")
        missing = sandbox.http.get("/_sandbox/ui/static/missing.js")
        assert missing.status_code == 404 and "demo" not in missing.text
        assert sandbox.http.get("/_sandbox/ui/static/app.js").status_code == 200
        # never served: the dots encoded, so that the client sends them as they are
        for path in ("/_sandbox/ui/static/%2e%2e/pages.py", "/_sandbox/ui/static/..%2Fpages.py"):
            answer = sandbox.http.get(path, follow_redirects=False)
            assert answer.status_code == 404 and "import" not in answer.text, path


def test_odd_page_numbers_are_not_errors(tenant: Tenant) -> None:
    for offset in ("\u00b2", "9" * 5000, "-1", "x"):
        assert page(tenant, offset=offset).status_code == 200, offset


def test_odd_event_ids_catch_up_nothing_and_are_not_errors() -> None:
    messages = Collection(CollectionSpec("messages"))
    for number in (1, 2, 3):
        messages.put({"id": str(number)})
    data: Any = {"messages": messages}
    for odd in ("\u00b2", "9" * 40, "-1", "x", "", None):
        assert _missed(data, odd) == [], odd
    assert [m["id"] for m in _missed(data, "1")] == ["2", "3"]  # oldest first


def test_the_login_form_goes_back_to_a_page_of_the_outbox_only() -> None:
    with in_process(control_token="s3cret") as sandbox:
        for wanted in (
            "//evil.example/",
            "https://evil.example/",
            "/elsewhere",
            "/_sandbox/ui//x",
            "/_sandbox/ui/\u20ac",
            "/_sandbox/ui/\r\nSet-Cookie: x=1",
        ):
            answer = sandbox.http.post(
                "/_sandbox/ui/login",
                content="token=s3cret&next=" + quote(wanted, safe=""),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                follow_redirects=False,
            )
            assert answer.headers["location"] == "/_sandbox/ui/", wanted


def test_a_login_from_another_origin_is_refused() -> None:
    with in_process(control_token="s3cret") as sandbox:
        answer = sandbox.http.post(
            "/_sandbox/ui/login",
            content="token=s3cret",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": "http://evil.example",
            },
        )
        assert answer.status_code == 403 and "set-cookie" not in answer.headers


NOT_KNOWN = "The request that recorded it is not known"


def test_a_message_recorded_by_no_logged_request_has_its_page(tmp_path: Path) -> None:
    """The request log is in memory: after a restart, in a tenant made from a snapshot (the
    messages of its outbox), the message page says the request is not known, and why."""
    with in_process(data_dir=tmp_path) as sandbox:
        tenant = sandbox.create_tenant(FIXTURE, name="shop")
        send_sms(tenant, "919353491050")
        [message] = tenant.outbox()
        logged = page(tenant, f"/messages/{message['id']}")
        assert logged.status_code == 200 and NOT_KNOWN not in logged.text
        snapshot = sandbox.http.get(f"{tenant.control}/snapshot").json()
        copy = sandbox.create_tenant(snapshot, name="copy")
        from_snapshot = page(copy, f"/messages/{message['id']}")
        assert from_snapshot.status_code == 200, from_snapshot.text
        assert NOT_KNOWN in from_snapshot.text and "not kept across restarts" in from_snapshot.text
    with in_process(data_dir=tmp_path) as sandbox:
        restarted = page(sandbox.tenant("shop"), f"/messages/{message['id']}")
        assert restarted.status_code == 200, restarted.text
        assert NOT_KNOWN in restarted.text
        assert "customer status blocked" in restarted.text  # the decision is still shown


def test_a_quarantined_tenants_pages_and_stream_answer_503_naming_the_problem(
    tmp_path: Path,
) -> None:
    with in_process(data_dir=tmp_path) as sandbox:
        shop = sandbox.create_tenant(FIXTURE, name="shop")
        send_sms(shop, "919988221100")
        [message] = shop.outbox()
    (tmp_path / "tenants" / "shop" / "snapshot.1.json").write_bytes(b"")  # damaged
    with in_process(data_dir=tmp_path) as sandbox:
        http = sandbox.http
        api = http.get("/_sandbox/tenants/shop/outbox")
        assert api.status_code == 503
        problem = api.json()["error"]["message"]
        assert "tenants/shop/snapshot.1.json" in problem
        for path in ("", f"/messages/{message['id']}", "/recipients", "?status=SUPPRESSED"):
            answer = http.get(f"/_sandbox/ui/tenants/shop{path}")
            assert answer.status_code == 503, path
            assert answer.headers["content-type"].startswith("text/html")
            assert escape(problem) in answer.text, path
        events = http.get("/_sandbox/tenants/shop/events")
        assert events.status_code == 503 and events.json()["error"]["message"] == problem
        listing = http.get("/_sandbox/ui/")
        assert listing.status_code == 200
        row = listing.text[listing.text.index('<tr class="row degraded"') :].split("</tr>")[0]
        assert ">shop<" in row and "damaged" in row and "snapshot.1.json" in row
        assert ">demo<" in listing.text  # the others are listed as before


def test_the_recipients_page_shows_preferences_of_channels_without_a_rule(tenant: Tenant) -> None:
    """A whatsapp opt-out is recorded, not applied: the page shows it apart from the matrix of
    the preferences that decide sends."""
    assert "whatsapp BULK opted out" not in page(tenant, "/recipients").text
    response = tenant.http.post(
        "/capillary/v2/customers/565039506/subscriptions",
        json={"subscriptions": [{"channel": "whatsapp", "priority": "BULK", "type": "OPTOUT"}]},
        headers=tenant.capillary_auth(),
    )
    assert response.status_code == 200, response.text
    text = page(tenant, "/recipients").text
    assert "other channels (recorded)" in text
    assert "whatsapp BULK opted out" in text


def named_fixture() -> dict[str, Any]:
    """The example tenant, its first customer named Gopal Rao and its contact Stefani
    Germanotta."""
    fixture = deepcopy(FIXTURE)
    fixture["capillary"]["customers"][0].update(firstname="Gopal", lastname="Rao")
    contact = fixture["symplify"]["accounts"][0]["lists"][0]["contacts"][0]
    contact.update(firstname="Stefani", lastname="Germanotta")
    return fixture


def test_the_outbox_lists_sender_and_name_and_finds_them_by_name(sandbox: Any) -> None:
    tenant = sandbox.create_tenant(named_fixture())
    try:
        send_sms(tenant, "919353491050")
        send_sms(tenant, "919988221100")  # a customer without a name
        symplify = {"X-Carma-Authentication-Token": tenant.credentials["symplify"]["value"]}
        sent = tenant.http.post(
            "/symplify/1234/triggers/7/messages", json={"originalId": "111"}, headers=symplify
        )
        assert sent.status_code < 300, sent.text
        text = page(tenant).text
        assert "<th>from</th>" in text
        assert '<span class="name">Gopal Rao</span> <span class="address">919353491050' in text
        assert '<span class="name">Stefani Germanotta</span>' in text
        for q, found, not_found in [
            ("gOpAl", "919353491050", "919988221100"),
            ("rao", "919353491050", "lady_gaga"),
            ("germanotta", "lady_gaga", "919353491050"),
        ]:
            searched = page(tenant, q=q).text
            assert found in searched and not_found not in searched, q
        assert "No messages match" in page(tenant, q="Gopal", vendor="symplify").text
    finally:
        tenant.delete()


def test_the_control_planes_outbox_finds_names_as_the_page_does(sandbox: Any) -> None:
    """`q=` means one thing: GET .../outbox (the CLI's and the plugin's read) finds a
    recipient by name as the web page does."""
    tenant = sandbox.create_tenant(named_fixture())
    try:
        send_sms(tenant, "919353491050")
        send_sms(tenant, "919988221100")  # a customer without a name
        for q, found in [("gOpAl", ["919353491050"]), ("nobody", [])]:
            assert [m["to"] for m in tenant.outbox(q=q)] == found, q
        assert tenant.outbox(q="Gopal", vendor="symplify") == []
    finally:
        tenant.delete()


def test_an_html_mail_is_framed_from_a_route_that_forbids_scripts_and_loads(
    tenant: Tenant,
) -> None:
    mail = {
        "email": [{"to": "tom.sawyer@example.com", "subject": "Hi", "body": f"<p>Hi</p>{SCRIPT}"}]
    }
    sent = tenant.http.post(
        "/capillary/v2/communications/sendMessage?channel=email",
        json=mail,
        headers=tenant.capillary_auth(),
    )
    assert sent.status_code == 200, sent.text
    message = tenant.outbox()[0]
    listed = page(tenant).text
    assert "Hi" in listed and "alert" not in listed  # the list shows its text, not its code
    shown = page(tenant, f"/messages/{message['id']}").text
    where = f"/_sandbox/ui/tenants/{tenant.name}/messages/{message['id']}/body"
    assert f'<iframe class="preview" sandbox="" src="{where}"' in shown
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in shown  # its source, as text
    body = page(tenant, f"/messages/{message['id']}/body")
    assert body.status_code == 200 and body.text == f"<p>Hi</p>{SCRIPT}"
    policy = body.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    send_sms(tenant, "919988221100", body="<p>not a mail</p>")
    sms = tenant.outbox()[0]
    assert "<iframe" not in page(tenant, f"/messages/{sms['id']}").text


def test_each_page_names_its_icon(tenant: Tenant, http: httpx.Client) -> None:
    assert '<link rel="icon" href="/_sandbox/ui/static/favicon.svg"' in page(tenant).text
    icon = http.get("/_sandbox/ui/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"


def test_the_message_page_shows_the_request_sent_with_its_credentials_masked(
    tenant: Tenant,
) -> None:
    auth = tenant.capillary_auth()
    secret = auth["Authorization"].split(" ", 1)[1]
    long = "x" * 20_000
    mail = {"email": [{"to": "tom.sawyer@example.com", "subject": "Hi", "body": long}]}
    payload = json.dumps({"password": "hunter2", "apiKey": 12345, **mail})
    sent = tenant.http.post(
        "/capillary/v2/communications/sendMessage?channel=email",
        content=payload,
        headers={**auth, "X-Trace": "kept", "Content-Type": "application/json"},
    )
    assert sent.status_code == 200, sent.text
    message = tenant.outbox()[0]
    text = page(tenant, f"/messages/{message['id']}").text
    assert "<dt>authorization</dt><dd>Basic ****</dd>" in text and secret not in text
    assert "<dt>x-trace</dt><dd>kept</dd>" in text
    assert "&#34;password&#34;: &#34;****&#34;" in text and "hunter2" not in text
    assert "&#34;apiKey&#34;: &#34;****&#34;" in text and "12345" not in text
    assert "&#34;subject&#34;: &#34;Hi&#34;" in text
    assert "truncated: the first 16384 of its " in text
    shown = text.split('<pre class="sent">', 1)[1].split("</pre>", 1)[0]
    assert shown.count("x") == payload[:16_384].count("x")  # its first 16 KiB
    send_sms(tenant, "919988221100")
    short = page(tenant, f"/messages/{tenant.outbox()[0]['id']}").text
    assert "Your order has shipped" in short and "truncated" not in short
