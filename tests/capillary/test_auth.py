"""Credentials: HTTP Basic with the password or its MD5 hex digest, OAuth tokens from
generateOAuthToken (300 s of the tenant clock), and 401 in the vendor's envelope."""

from __future__ import annotations

import base64
import hashlib

import pytest

from sandbox.testing import Tenant

from .helpers import ACTIVE, MOBILE, SOURCE, Cap, messages_of, sms_v11, v2_error, v11_status

TOKEN = "/v3/oauth/token/generate"
CUSTOMER = f"/v2/customers/{ACTIVE}"


def basic(username: str, password: str) -> dict[str, str]:
    raw = f"{username}:{password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def creds(cap: Cap) -> dict[str, str]:
    found: dict[str, str] = cap.tenant.credentials["capillary"]
    return found


def token(cap: Cap) -> str:
    response = cap.post(
        TOKEN, {"key": creds(cap)["oauth_key"], "secret": creds(cap)["oauth_secret"]}, headers={}
    )
    assert response.status_code == 200, response.text
    value: str = response.json()["data"]["accessToken"]
    return value


def get_customer(cap: Cap, headers: dict[str, str]) -> int:
    return cap.call("GET", CUSTOMER, params=SOURCE, headers=headers).status_code


def test_credentials_document_names_basic(cap: Cap) -> None:
    assert creds(cap)["type"] == "basic"
    assert {"username", "password", "oauth_key", "oauth_secret"} <= set(creds(cap))


def test_basic_with_password(cap: Cap) -> None:
    assert get_customer(cap, basic(creds(cap)["username"], creds(cap)["password"])) == 200


def test_basic_with_md5_hex_of_password(cap: Cap) -> None:
    digest = hashlib.md5(creds(cap)["password"].encode()).hexdigest()
    assert get_customer(cap, basic(creds(cap)["username"], digest)) == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic !!!not-base64!!!"},
        {"Authorization": "Basic "},
        basic("nobody", "secret"),
    ],
    ids=["missing", "bearer", "garbage", "empty", "unknown user"],
)
def test_missing_or_wrong_credentials_are_401_in_v2_envelope(
    cap: Cap, headers: dict[str, str]
) -> None:
    response = cap.call("GET", CUSTOMER, params=SOURCE, headers=headers)
    assert response.status_code == 401
    assert v2_error(response)["code"] == 401
    assert v2_error(response)["message"]


def test_wrong_password_is_401_and_nothing_is_sent(cap: Cap) -> None:
    headers = basic(creds(cap)["username"], "wrong-password")
    response = cap.post("/v1.1/communications/sms", sms_v11(MOBILE[ACTIVE]), headers=headers)
    assert response.status_code == 401
    status = v11_status(response)
    assert (status["success"], int(status["code"])) == ("false", 401)
    assert "password" in status["message"].lower()
    assert cap.outbox() == []


def test_md5_of_wrong_password_is_401(cap: Cap) -> None:
    digest = hashlib.md5(b"wrong-password").hexdigest()
    assert get_customer(cap, basic(creds(cap)["username"], digest)) == 401


def test_non_ascii_password_is_401_not_5xx(cap: Cap) -> None:
    assert get_customer(cap, basic(creds(cap)["username"], "pässwörd")) == 401


def test_another_tenants_credentials_do_not_see_this_tenants_customers(
    cap: Cap, other_tenant: Tenant
) -> None:
    response = cap.call("GET", CUSTOMER, params=SOURCE, headers=other_tenant.capillary_auth())
    assert response.status_code == 400
    assert v2_error(response)["code"] == 8015


# --- OAuth -----------------------------------------------------------------------------------
def test_generate_token_shape(cap: Cap) -> None:
    body = {"key": creds(cap)["oauth_key"], "secret": creds(cap)["oauth_secret"]}
    response = cap.post(TOKEN, body, headers={})
    assert response.status_code == 200
    answer = response.json()
    assert answer["errors"] is None
    assert answer["data"]["ttlSeconds"] == 300
    assert isinstance(answer["data"]["accessToken"], str) and answer["data"]["accessToken"]


def test_token_works_as_header(cap: Cap) -> None:
    headers = {"X-CAP-API-OAUTH-TOKEN": token(cap)}
    assert get_customer(cap, headers) == 200
    response = cap.post("/v1.1/communications/sms", sms_v11(MOBILE[ACTIVE]), headers=headers)
    assert response.status_code == 200
    assert len(cap.outbox()) == 1


def test_token_expires_after_300_seconds_of_tenant_clock(frozen: Cap) -> None:
    headers = {"X-CAP-API-OAUTH-TOKEN": token(frozen)}
    frozen.tenant.advance_clock(299)
    assert get_customer(frozen, headers) == 200
    frozen.tenant.advance_clock(2)
    response = frozen.call("GET", CUSTOMER, params=SOURCE, headers=headers)
    assert response.status_code == 401
    assert "token" in v2_error(response)["message"].lower()


def test_expired_token_is_401_in_v11_envelope_and_nothing_is_sent(frozen: Cap) -> None:
    headers = {"X-CAP-API-OAUTH-TOKEN": token(frozen)}
    frozen.tenant.advance_clock(301)
    response = frozen.post("/v1.1/communications/sms", sms_v11(MOBILE[ACTIVE]), headers=headers)
    assert response.status_code == 401
    assert int(v11_status(response)["code"]) == 401
    assert frozen.outbox() == []


@pytest.mark.parametrize("value", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_forged_token_is_401(cap: Cap, value: str) -> None:
    assert get_customer(cap, {"X-CAP-API-OAUTH-TOKEN": value}) == 401


def test_non_ascii_token_is_401_not_5xx(cap: Cap) -> None:
    response = cap.http.get(
        f"/capillary{CUSTOMER}",
        params=SOURCE,
        headers=[(b"X-CAP-API-OAUTH-TOKEN", "a.b.\u00e9".encode("latin-1"))],
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("field", "value"), [("key", "no-such-key"), ("secret", "wrong-secret")], ids=["key", "secret"]
)
def test_wrong_key_or_secret_is_401(cap: Cap, field: str, value: str) -> None:
    body = {"key": creds(cap)["oauth_key"], "secret": creds(cap)["oauth_secret"], field: value}
    response = cap.post(TOKEN, body, headers={})
    assert response.status_code == 401
    answer = response.json()
    assert answer["data"] is None
    assert answer["errors"][0]["code"] == 401
    assert field in answer["errors"][0]["message"]


def test_non_ascii_secret_is_401_not_5xx(cap: Cap) -> None:
    body = {"key": creds(cap)["oauth_key"], "secret": "sécret"}
    assert cap.post(TOKEN, body, headers={}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"secret": "s"}, "key"),
        ({"key": "k"}, "secret"),
        ({"key": 5, "secret": "s"}, "key"),
        ({"key": "", "secret": "s"}, "key"),
    ],
    ids=["no key", "no secret", "key not string", "empty key"],
)
def test_bad_token_request_is_400_naming_the_field(cap: Cap, body: object, field: str) -> None:
    response = cap.post(TOKEN, body, headers={})
    assert response.status_code == 400
    answer = response.json()
    assert answer["data"] is None
    assert field in messages_of(answer)


def test_malformed_token_request_is_400(cap: Cap) -> None:
    response = cap.post(TOKEN, headers={}, content=b'{"key": ')
    assert response.status_code == 400
    assert response.json()["data"] is None
    assert "body" in messages_of(response.json()) or "JSON" in messages_of(response.json())
