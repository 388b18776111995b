"""Bearer keys: the tenant's API key, or one from POST /kingslanding/login (24 hours on the
tenant's clock). Missing or wrong credentials, a login's included: 401 in Messangi's envelope,
nothing changes (the outer contract, section 2)."""

from __future__ import annotations

import httpx
import pytest

from sandbox.testing import Sandbox
from sandbox.testing.messangi import login

from .helpers import BLOCKED, FREE, Msg, entry, explain, lookup


def test_login_answers_an_empty_body_and_the_key_in_the_authorization_header(
    msg: Msg,
) -> None:
    response = login(msg.tenant)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["authorization"].startswith("Bearer ")
    assert response.headers["access-control-expose-headers"] == "Authorization"
    key = {"Authorization": response.headers["authorization"]}
    assert Msg(msg.http, msg.tenant, key).find(**lookup()).status_code == 200


def test_a_login_key_lasts_24_hours_of_the_tenant_clock(msg: Msg) -> None:
    msg.tenant.set_clock(now="2026-11-23T10:00:00Z", frozen=True)
    key = {"Authorization": login(msg.tenant).headers["authorization"]}
    client = Msg(msg.http, msg.tenant, key)
    msg.tenant.advance_clock(24 * 3600 - 1)
    assert client.find(**lookup()).status_code == 200
    msg.tenant.advance_clock(1)
    expired = client.add(entry(FREE))
    assert expired.status_code == 401
    assert "expired" in explain(expired)
    assert msg.find(**lookup(FREE)).status_code == 404  # nothing changed


@pytest.mark.parametrize(
    ("override", "field"),
    [({"password": "wrong"}, "password"), ({"username": "nobody@example.com"}, "username")],
)
def test_wrong_login_credentials_are_401(msg: Msg, override: dict[str, str], field: str) -> None:
    response = login(msg.tenant, **override)
    assert response.status_code == 401
    assert "authorization" not in response.headers
    assert explain(response).startswith(field)


def test_login_without_a_password_names_it(msg: Msg) -> None:
    response = msg.http.post("/messangi/kingslanding/login", json={"username": "x"})
    assert response.status_code == 400
    assert "password" in explain(response)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Basic ZGVtbzpkZW1v"},
        {"Authorization": "Bearer a.b.c"},
    ],
)
def test_missing_or_wrong_keys_are_401_and_change_nothing(
    msg: Msg, headers: dict[str, str]
) -> None:
    response = msg.http.post("/messangi/subscribers", json=entry(FREE), headers=headers)
    assert response.status_code == 401
    assert "Authorization" in explain(response)
    send = msg.http.post(
        "/messangi/raven/v2/messages",
        json={"from": "1", "to": BLOCKED, "text": "x"},
        headers=headers,
    )
    assert send.status_code == 401
    assert msg.find(**lookup(FREE)).status_code == 404
    assert msg.tenant.outbox() == []


def test_a_capillary_token_is_not_a_messangi_key(msg: Msg) -> None:
    creds = msg.tenant.credentials["capillary"]
    token = msg.http.post(
        "/capillary/v3/oauth/token/generate",
        json={"key": creds["oauth_key"], "secret": creds["oauth_secret"]},
    ).json()["data"]["accessToken"]
    response = Msg(msg.http, msg.tenant, {"Authorization": f"Bearer {token}"}).find(**lookup())
    assert response.status_code == 401


def test_a_messangi_key_is_not_capillary_credentials(msg: Msg) -> None:
    assert msg.find(**lookup()).status_code == 200  # the key is now in the verified cache
    response = msg.http.post(
        "/capillary/v2/communications/sendMessage",
        params={"channel": "sms"},
        json={"sms": [{"to": "919988221100", "body": "hi"}]},
        headers=msg.auth,
    )
    assert response.status_code == 401


def test_a_key_reaches_its_own_tenant_only(msg: Msg, sandbox: Sandbox) -> None:
    other = sandbox.create_tenant({})
    try:
        mine = login(msg.tenant).headers["authorization"]
        theirs = Msg(msg.http, other, {"Authorization": mine})
        theirs.add(entry(FREE))  # lands in msg's tenant: the key names it
        assert msg.find(**lookup(FREE)).status_code == 200
        assert Msg(msg.http, other, other.messangi_auth()).find(**lookup(FREE)).status_code == 404
    finally:
        other.delete()


def test_the_demo_tenant_key_is_fixed(http: httpx.Client) -> None:
    demo = http.get("/_sandbox/tenants/demo").json()["credentials"]["messangi"]
    assert demo["value"] == "Bearer demo-messangi-key"
    response = http.get(
        "/messangi/subscribers",
        params=lookup(),
        headers={"Authorization": demo["value"]},
    )
    assert response.status_code == 200
