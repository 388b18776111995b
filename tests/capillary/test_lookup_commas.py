"""An identifier with a comma in it (an external id `EXT,9`, an e-mail written
`Doe, J <tom@example.com>`) finds its customer through every v2 lookup by
identifierName/identifierValue: only several names (`identifierName=email,mobile`, which
customerDetails alone takes, as its page documents) split the value on commas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .helpers import ACTIVE, EMAIL, FREE_MOBILE, MOBILE, Cap, batch, status_query, v2_error
from .subs import entry

COMMA_ID = "EXT,9"
DISPLAYED = f"Doe, J <{EMAIL[ACTIVE]}>"


def _register(cap: Cap) -> int:
    """A customer whose external id has a comma; its id."""
    added = cap.post(
        "/v1.1/customer/add", batch("customer", {"mobile": FREE_MOBILE, "external_id": COMMA_ID})
    )
    assert added.status_code == 200, added.text
    return int(added.json()["response"]["customers"]["customer"][0]["user_id"])


Lookup = Callable[[Cap, dict[str, str]], httpx.Response]


def _entity(response: httpx.Response) -> int:
    return int(response.json()["entity"])


def _details(response: httpx.Response) -> int:
    return int(response.json()["id"])


def _status(cap: Cap, params: dict[str, str]) -> httpx.Response:
    return cap.put("/v2/customers/lookup/status", {"reason": "r", "label": "Active"}, params=params)


def _updated(cap: Cap, params: dict[str, str]) -> httpx.Response:
    return cap.post(
        "/v2/customers/lookup/subscriptions",
        {"subscriptions": [entry("EMAIL", "BULK", "OPTOUT")]},
        params=params,
    )


# each v2 operation that finds its customer by identifierName/identifierValue, and what in
# its answer says whom it found (None: its answer names no one; the test reads it back)
LOOKUPS: dict[str, tuple[Lookup, Callable[[httpx.Response], int] | None]] = {
    "GET lookup": (lambda cap, p: cap.get("/v2/customers/lookup", **p), _entity),
    "GET lookup/customerDetails": (
        lambda cap, p: cap.get("/v2/customers/lookup/customerDetails", **p),
        _details,
    ),
    "PUT lookup/status": (_status, None),
    "GET lookup/subscriptions": (
        lambda cap, p: cap.get("/v2/customers/lookup/subscriptions", **p),
        None,
    ),
    "POST lookup/subscriptions": (_updated, None),
}


@pytest.mark.parametrize("operation", LOOKUPS)
def test_an_external_id_with_a_comma_finds_its_customer(cap: Cap, operation: str) -> None:
    who = _register(cap)
    call, whom = LOOKUPS[operation]
    response = call(cap, status_query(COMMA_ID, "externalId"))
    assert response.status_code == 200, response.text
    if whom is not None:
        assert whom(response) == who
    # the same operation finds the same customer by mobile: the comma changed nothing
    assert call(cap, status_query(FREE_MOBILE)).status_code == 200


@pytest.mark.parametrize("operation", LOOKUPS)
def test_an_email_written_with_a_comma_in_the_name_finds_its_customer(
    cap: Cap, operation: str
) -> None:
    call, whom = LOOKUPS[operation]
    response = call(cap, status_query(DISPLAYED, "email"))
    assert response.status_code == 200, response.text
    if whom is not None:
        assert whom(response) == ACTIVE


def test_the_status_label_goes_to_the_customer_the_comma_id_names(cap: Cap) -> None:
    who = _register(cap)
    assigned = cap.put(
        "/v2/customers/lookup/status",
        {"reason": "found by a comma", "label": "Suspended"},
        params=status_query(COMMA_ID, "externalId"),
    )
    assert assigned.status_code == 200, assigned.text
    assert cap.status_log(who)[-1]["reason"] == "found by a comma"


def test_customer_details_still_takes_several_identifiers(cap: Cap) -> None:
    """Its page's form: names and values, comma-separated, in the same order."""
    who = _register(cap)
    params: dict[str, Any] = {
        "source": "INSTORE",
        "identifierName": "email,mobile",
        "identifierValue": f"nobody@example.com,{FREE_MOBILE}",
    }
    response = cap.get("/v2/customers/lookup/customerDetails", **params)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == who
    # several names: the values split on commas, so lists that do not line up are an 8013
    params["identifierValue"] = MOBILE[ACTIVE]
    refused = cap.get("/v2/customers/lookup/customerDetails", **params)
    assert refused.status_code == 400
    assert v2_error(refused)["code"] == 8013


def test_one_name_takes_the_whole_value_even_in_customer_details(cap: Cap) -> None:
    """One name, one value: a comma in it is part of it (no 8013, no split)."""
    who = _register(cap)
    response = cap.get(
        "/v2/customers/lookup/customerDetails", **status_query(COMMA_ID, "externalId")
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == who
