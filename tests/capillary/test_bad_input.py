"""Bad input for the customer, status and interaction operations (and malformed JSON for
every operation with a body): a 4xx in the vendor's envelope naming the field, nothing
changes."""

from __future__ import annotations

import pytest

from .helpers import ACTIVE, FREE_MOBILE, MOBILE, UNKNOWN_ID, Cap, status_query
from .ops import BY_ID, Bad, without

MALFORMED = b'{"root": {"sms": [{"to": "91998822'
PROFILE = {"firstName": "Ann", "identifiers": [{"type": "mobile", "value": FREE_MOBILE}]}
STATUS_BODY = {"reason": "r", "label": "Suspended"}
BODY_OPS = [op.operation for op in BY_ID.values() if op.has_body]

CASES = [
    # every operation with a body refuses malformed JSON, naming the body
    *(Bad(op, "malformed JSON", ("body", "JSON"), content=MALFORMED) for op in BODY_OPS),
    Bad("generateOAuthToken", "key not a string", "key", {"key": 1, "secret": "s"}),
    Bad("generateOAuthToken", "missing secret", "secret", {"key": "k"}),
    Bad("addCustomerV2", "profiles not a list", "profiles", {"profiles": PROFILE}),
    Bad("addCustomerV2", "two profiles", "profiles", {"profiles": [PROFILE, PROFILE]}),
    Bad(
        "addCustomerV2",
        "unknown source",
        "source",
        {"profiles": [{**PROFILE, "source": "SHOP"}]},
        code=3217,
    ),
    Bad(
        "addCustomerV2",
        "missing identifiers",
        "identifiers",
        {"profiles": [without(PROFILE, "identifiers")]},
    ),
    Bad(
        "addCustomerV2",
        "no known identifier",
        "identifiers",
        {"profiles": [{**PROFILE, "identifiers": [{"type": "cardnumber", "value": "1"}]}]},
        code=8005,
    ),
    Bad(
        "addCustomerV2",
        "unknown status label",
        ("statusLabel", "status label"),
        {"profiles": [PROFILE], "statusLabel": "Gold"},
        code=8086,
    ),
    Bad(
        "addCustomerV2",
        "first name too long",
        "firstName",
        {"profiles": [{**PROFILE, "firstName": "A" * 101}]},
    ),
    Bad(
        "lookupCustomerV2",
        "missing source",
        "source",
        params=without(status_query(MOBILE[ACTIVE]), "source"),
    ),
    Bad(
        "lookupCustomerV2",
        "unknown source",
        "source",
        params={**status_query(MOBILE[ACTIVE]), "source": "SHOP"},
        code=8003,
    ),
    Bad(
        "lookupCustomerV2",
        "unknown identifier name",
        "identifierName",
        params=status_query("1", "phone"),
        code=8013,
    ),
    Bad(
        "lookupCustomerV2",
        "unknown customer",
        ("mobile", "919000000000"),
        params=status_query("919000000000"),
        code=8015,
    ),
    Bad(
        "getCustomerV2",
        "id not a number",
        "customerId",
        path="/v2/customers/abc",
        params={"source": "INSTORE"},
    ),
    Bad("getCustomerV2", "missing source", "source", params={}),
    Bad(
        "getCustomerDetailsV2",
        "unknown identifier name",
        "identifierName",
        params=status_query("1", "phone"),
        code=8013,
    ),
    Bad(
        "getCustomerDetailsV2",
        "unknown customer",
        ("mobile", "919000000000"),
        params=status_query("919000000000"),
        code=8015,
    ),
    Bad("getCustomerDetailsV2", "missing source", "source", params={"identifierName": "id"}),
    Bad(
        "getCustomerV2",
        "unknown customer",
        ("customerId", str(UNKNOWN_ID)),
        path=f"/v2/customers/{UNKNOWN_ID}",
        code=8015,
    ),
    Bad("updateCustomerStatus", "missing reason", "reason", without(STATUS_BODY, "reason")),
    Bad("updateCustomerStatus", "label not a string", "label", {**STATUS_BODY, "label": 5}),
    Bad("updateCustomerStatus", "empty label", "label", {**STATUS_BODY, "label": ""}, code=8086),
    Bad(
        "updateCustomerStatus",
        "unknown customer",
        ("mobile", "919000000000"),
        STATUS_BODY,
        params=status_query("919000000000"),
        code=8015,
    ),
    Bad("getStatusLog", "id not a number", "userId", path="/v2/customers/abc/statusLog"),
    Bad(
        "getStatusLog",
        "unknown customer",
        "userId",
        path=f"/v2/customers/{UNKNOWN_ID}/statusLog",
        status=404,
    ),
    Bad("addCustomerV11", "missing root", "root", {"customer": [{"mobile": FREE_MOBILE}]}),
    Bad(
        "addCustomerV11",
        "customer not a list",
        "root.customer",
        {"root": {"customer": {"mobile": FREE_MOBILE}}},
    ),
    Bad("addCustomerV11", "no customers", "root.customer", {"root": {"customer": []}}),
    Bad(
        "addCustomerV11",
        "unknown format",
        "format",
        {"root": {"customer": [{"mobile": FREE_MOBILE}]}},
        params={"format": "xml"},
    ),
    Bad("getCustomerV11", "no identifier", "mobile", params={}),
    Bad(
        "getCustomerV11",
        "unknown format",
        "format",
        params={"mobile": MOBILE[ACTIVE], "format": "xml"},
    ),
    Bad(
        "getCustomerInteractionsV11",
        "negative offset",
        "offset",
        params={"mobile": MOBILE[ACTIVE], "offset": "-1"},
    ),
    Bad(
        "getCustomerInteractionsV11",
        "unknown customer",
        ("email", "nobody@example.com"),
        params={"email": "nobody@example.com"},
    ),
    Bad(
        "getCustomerInteractionsV2",
        "unknown network",
        "network",
        params={"identifierName": "id", "identifierValue": str(ACTIVE), "network": "myspace"},
    ),
    Bad(
        "addRequest",
        "request not a list",
        "root.request",
        {"root": {"request": {"type": "GOODWILL"}}},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(cap: Cap, case: Bad) -> None:
    case.check(cap)
