"""Real clients' Capillary calls (research 8a), each made as its client makes it: the same
method, path, query string, headers and body, the host replaced by the sandbox's and the
credentials by the tenant's. Each client reads the answer the way its code does.

- Befabulous (PHP, Laravel `Http`): an OAuth token from `POST /v3/oauth/token/generate?=null`
  (the stray `?=null` as written), then `GET /v2/customers/lookup?...` with the token header
  and attribution headers, the identifier interpolated into the URL as is.
- A TypeScript connector's `doesCustomerExist`: `GET /v2/customers/lookup?source=ALL&...` with
  `Accept-Language: en`; a body with `errors` means "no such customer".
- A Neo flow's `GenerateOtp`: `POST /v2/otp/generate`, a 10-digit mobile given the prefix 91,
  `content-type` first and the caller's headers after it.
- Neo's `MilestoneBenefitsIssual` and a Flask back end's `lookupInCapillary`: `GET
  /v2/customers/lookup/customerDetails` (with `embed=cardLoyaltyDetails`, whose `cardDetails`
  the flow walks; without embed).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from .helpers import ACTIVE, EMAIL, EXTERNAL_ID, FREE_EMAIL, MOBILE, Cap


def oauth_token(cap: Cap) -> str:
    """Befabulous's `oAuthToken()`: Laravel posts the array as JSON."""
    creds = cap.tenant.credentials["capillary"]
    response = cap.http.post(
        "/capillary/v3/oauth/token/generate?=null",
        json={"key": creds["oauth_key"], "secret": creds["oauth_secret"]},
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Client-IP": "203.0.113.7",
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["data"]["accessToken"]
    return token


def befabulous_lookup(cap: Cap, kind: str, value: str, token: str) -> Any:
    """`isEmailorMobileAlready($type, $value, $token)`, the value interpolated as is."""
    return cap.http.get(
        "/capillary/v2/customers/lookup"
        f"?source=INSTORE&identifierName={kind}&identifierValue={value}",
        headers={
            "Content-Type": "application/json",
            "X-CAP-API-OAUTH-TOKEN": token,
            "Accept": "application/json",
            "X-CAP-API-ATTRIBUTION-ENTITY-TYPE": "STORE_EXTERNAL_ID",
            "X-CAP-API-ATTRIBUTION-ENTITY-CODE": "microsite",
            "Client-IP": "203.0.113.7",
        },
    ).json()


def test_befabulous_finds_a_customer_by_mobile_and_by_email(cap: Cap) -> None:
    token = oauth_token(cap)
    assert befabulous_lookup(cap, "mobile", MOBILE[ACTIVE], token) == {
        "entity": ACTIVE,
        "warnings": [],
    }
    assert befabulous_lookup(cap, "email", EMAIL[ACTIVE], token)["entity"] == ACTIVE
    unknown = befabulous_lookup(cap, "email", FREE_EMAIL, token)
    assert unknown["errors"][0]["code"] == 8015


def does_customer_exist(cap: Cap, email: str, token: str) -> bool:
    """The TypeScript connector's `doesCustomerExist(email)`."""
    response = cap.http.get(
        "/capillary/v2/customers/lookup"
        f"?source=ALL&identifierName=email&identifierValue={quote(email, safe='')}",
        headers={
            "Accept": "application/json",
            "Content-Type": "application/json",
            "X-CAP-API-OAUTH-TOKEN": token,
            "Accept-Language": "en",
        },
    )
    data = response.json()
    return "errors" not in data


def test_the_typescript_connector_tells_a_customer_from_none(cap: Cap) -> None:
    token = oauth_token(cap)
    assert does_customer_exist(cap, EMAIL[ACTIVE], token) is True
    assert does_customer_exist(cap, FREE_EMAIL, token) is False


def test_the_neo_otp_flow_sends_an_otp_to_a_ten_digit_mobile(cap: Cap) -> None:
    """`GenerateOtp.modifyMobileNumber`: the body re-serialised with 91 before 10 digits."""
    incoming = {"entityType": "MOBILE", "entityValue": MOBILE[ACTIVE][2:], "action": "GENERIC",
                "channels": [{"type": "SMS", "value": MOBILE[ACTIVE][2:]}]}  # fmt: skip
    body = {**incoming}
    if body["entityType"].strip().upper() == "MOBILE" and len(body["entityValue"]) == 10:
        body["entityValue"] = "91" + body["entityValue"]
    body["channels"] = [
        {**c, "value": "91" + c["value"]} if c["type"].strip().upper() == "SMS" else c
        for c in body["channels"]
    ]
    headers = {"content-type": "application/json", **cap.auth}
    response = cap.http.post(
        "/capillary/v2/otp/generate", content=json.dumps(body).encode(), headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["warnings"] == [] and response.json()["createdId"] > 0
    [message] = cap.outbox()
    assert (message["to"], message["operation"]) == (MOBILE[ACTIVE], "generateOtp")


def test_the_neo_milestone_flow_walks_the_cards_of_the_customer(cap: Cap) -> None:
    """`PrepareCustomerLookupApiCall` + `CustomerLookupApiCall`; then
    `ExtractActiveCardsFromCustomerProfile` iterates `cardDetails`."""
    query = {"identifierName": "externalId", "identifierValue": EXTERNAL_ID[ACTIVE],
             "source": "INSTORE", "embed": "cardLoyaltyDetails"}  # fmt: skip
    response = cap.http.get(
        "/capillary/v2/customers/lookup/customerDetails", params=query, headers=cap.auth
    )
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    active_cards = [c for c in body["cardDetails"] if c["statusInfo"]["label"] == "ACTIVE"]
    assert active_cards == []  # the flow answers "Active card is not present": no crash


def test_a_flask_back_end_looks_up_customer_details(cap: Cap) -> None:
    """`lookupInCapillary(data)`: requests with Basic auth, the JSON of a 200 returned."""
    params = {"source": "INSTORE", "identifierName": "mobile", "identifierValue": MOBILE[ACTIVE]}
    response = cap.http.get(
        "/capillary/v2/customers/lookup/customerDetails", params=params, headers=cap.auth
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == ACTIVE
