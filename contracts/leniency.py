"""Where the vendors answer schema-valid data with a refusal, or schema-invalid data with a
success, and the checks that allow exactly that and nothing more.

Schemathesis' default checks run on every generated request (`positive_data_acceptance`,
`negative_data_rejection`, `ignored_auth`, `use_after_free`, ...). Two of them meet answers
the vendors really give:

- **Schema-valid requests refused** (`positive_data_acceptance`). The published documents
  describe shapes; the vendors refuse some well-shaped requests for reasons a schema does not
  state: no such customer or request, a record in the wrong state, a wrong OTP, a free string
  that must be a mobile number or an e-mail address, fields that go together. For each
  operation that does, REFUSALS names the refusals allowed (the vendor codes, or for Messangi
  and Symplify the field the answer names) and why. Status 400 is added to the check's allowed
  statuses for that operation only, and `documented_refusal` fails any other 400 answer to
  valid data: a refusal naming a code or field not in the operation's list.
- **Schema-invalid requests accepted** (`negative_data_rejection`). Capillary's list sends
  decide item by item (a bad item fails alone, docs/contract.md section 2), and `sendMessage`
  reads only the list of its `channel` (v1.1's under `root`). `negative_data_rejection_per_item`
  runs schemathesis' check in place of the built-in one and forgives its failure on those
  operations (`x-sandbox-items`) only when the answer reports a failed item, or when the body
  without the lists the channel does not read is valid; any other 2xx to invalid data fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from schemathesis import Case, CheckContext, Response
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.specs.openapi.checks import negative_data_rejection


@dataclass(frozen=True)
class Refusals:
    """Refusals of schema-valid requests an operation may answer (400), and why."""

    names: frozenset[str]
    why: str


def _r(why: str, *names: str | int) -> Refusals:
    return Refusals(frozenset(str(name) for name in names), why)


UNKNOWN = "the identifiers name no customer the tenant holds (Capillary answers 400, not 404)"
UNREAD = "an identifierValue that is no mobile number or e-mail address (8013, issue 23)"
SENDER = "a sender with an invisible character (issue 23)"
ITEMS = "every item failed on its own (unknown customer, bad identifier): 400 with per-item codes"
V11_INPUT = (
    "v1.1's generic 'Input is invalid' (400): an identifier pair half given, none given, or a "
    "mobile or e-mail address the schema leaves a free string"
)
NO_REQUEST = "no such request (9050); it is no longer pending (9052)"
V11_LOOKUP = f"{V11_INPUT}; every customer asked for unknown (500 with 1012 per customer)"
CHANGE = (
    "the new value is not an e-mail or mobile (9001, 9046), empty (9024), the current one "
    "(9031) or another customer's (9002, 9003, 9005); the old value is not the current one (9012)"
)
CHANGE_CODES = (9001, 9002, 9003, 9005, 9012, 9024, 9031, 9046)
LIST_ID = "listId is a string in the DTO that must be a list id or -1 (every list)"
FORMAT = "a free string in the schema must be a mobile number with country code or an e-mail"
SEARCH = "an e-mail searchValue that is no e-mail address (issue 23)"

REFUSALS: dict[str, Refusals] = {
    # Capillary v2
    "addCustomerV2": _r(
        "no usable identifier (8005); the customer already exists (8006)", 8005, 8006
    ),
    "configureSubscription": _r(UNKNOWN, 8015),
    "createChangeRequest": _r(
        f"unknown customer (8015); {CHANGE}; a request for the same new value exists (9028)",
        8015,
        9028,
        *CHANGE_CODES,
    ),
    "createGoodwillRequest": _r(
        "unknown customer (8015); points that are no number (400); a coupon request without "
        "series (9017)",
        400,
        8015,
        9017,
    ),
    "updateChangeRequest": _r(NO_REQUEST, 9050, 9052),
    "updateGoodwillRequest": _r(NO_REQUEST, 9050, 9052),
    "generateOtp": _r(
        "a channel the OTP cannot use (603); WhatsApp without template (607); Zalo without "
        "template identifier (621); unknown customer (8015); an entityValue that is no mobile "
        "number or e-mail address (602)",
        602,
        603,
        607,
        621,
        8015,
    ),
    "validateOtp": _r(
        "a wrong or expired code: Capillary's own {entity: false}; an entityValue that is no "
        "mobile number or e-mail address (602)",
        "entity:false",
        602,
    ),
    "getCustomerV2": _r(UNKNOWN, 8015),
    "getCustomerDetailsV2": _r(
        f"{UNKNOWN}; {UNREAD}; as many identifierNames as identifierValues (8013)", 8013, 8015
    ),
    "lookupCustomerV2": _r(f"{UNKNOWN}; {UNREAD}", 8013, 8015),
    "updateCustomerStatus": _r(
        f"unknown customer (8015); a label the tenant has not configured (8086); {UNREAD}",
        8013,
        8015,
        8086,
    ),
    "getCustomerInteractionsV2": _r(UNKNOWN, 1012),
    "getSubscriptionsV2": _r(UNKNOWN, 1012),
    "updateSubscriptionsV2": _r(UNKNOWN, 1012),
    "getSubscriptionsLookupV2": _r(f"{UNKNOWN}; {UNREAD}", 8013, 8015),
    "updateSubscriptionsLookupV2": _r(f"{UNKNOWN}; {UNREAD}", 8013, 8015),
    "sendEmailV2": _r(f"{FORMAT}; {SENDER} (400)", 400, 8055),
    "sendMessage": _r(
        f"{ITEMS}: a recipient that is no mobile number (4203), e-mail address (8055) or "
        "known receiver (403); the channel's list missing from the body (4217)",
        400,
        403,
        4203,
        4217,
        8055,
    ),
    "sendMessageV11": _r(
        f"{ITEMS}: a recipient that is no mobile number (4101), e-mail address (4208) or "
        "known receiver (403); the channel's list missing from `root` (400)",
        400,
        403,
        4101,
        4208,
    ),
    "sendWechat": _r(f"{ITEMS}: a receiver the tenant does not know (403)", 400, 403),
    # Capillary v1.1: 400 "Input is invalid", 500 "All requests have failed" with item codes
    "getCustomerV11": _r(V11_LOOKUP, 400, 500, 1012),
    "getCustomerInteractionsV11": _r(V11_LOOKUP, 400, 500, 1012),
    "getSubscriptionsV11": _r(V11_LOOKUP, 400, 500, 1012),
    "sendSmsV11": _r(V11_INPUT, 400),
    "sendEmailV11": _r(V11_INPUT, 400),
    "addCustomerV11": _r(
        f"{ITEMS}: a mobile or e-mail that is none (1001, 1002), no usable identifier (1007, "
        "1015), an identifier another customer holds (1016, 1032, 1033)",
        500,
        1001,
        1002,
        1007,
        1015,
        1016,
        1032,
        1033,
    ),
    "updateSubscriptionsV11": _r(
        f"{ITEMS}: unknown customer (1012), a mobile or e-mail that is none (1001, 1002), no "
        "usable identifier (1104)",
        500,
        1001,
        1002,
        1012,
        1104,
    ),
    "addRequest": _r(
        f"{ITEMS}: {CHANGE}; no customer identifiers (9019); the customer is not registered "
        "(8015, 9011); a request for the same new value exists (9028)",
        500,
        *CHANGE_CODES,
        8015,
        9011,
        9019,
        9028,
    ),
    "approveRequests": _r(f"{ITEMS}: no such request (9013); {NO_REQUEST}", 500, 9013, 9052),
    # Messangi: `explain` starts with the field
    "addSubscriber": _r(f"{FORMAT}; {SENDER}", "to", "from"),
    "getSubscriber": _r(f"{FORMAT}; {SENDER}", "to", "from"),
    "sendSms": _r(f"{FORMAT}; {SENDER}", "to", "from"),
    "sendRcs": _r(f"{FORMAT}; {SENDER}", "to", "from"),
    "sendEmail": _r(f"{FORMAT}; {SENDER}", "to", "from"),
    "sendNotification": _r(f"{FORMAT}; {SENDER}", "request.to", "request.shortcode"),
    "sendWhatsapp": _r(
        f"{FORMAT}; {SENDER}; a template message needs its template, a text message its body",
        "to",
        "from",
        "templateName",
        "body",
    ),
    # Symplify: the answer's `field`
    "addContact": _r(FORMAT, "mobileNumber", "emailAddress"),
    "updateContact": _r(
        f"{FORMAT}; an originalId in the body must be the path's",
        "mobileNumber",
        "emailAddress",
        "originalId",
    ),
    "blockContact": _r(
        f"PUT blocks until a day: an empty blockUntil is a release; {LIST_ID}; {SEARCH}",
        "blockUntil",
        "listId",
        "searchValue",
    ),
    "releaseContactBlock": _r(
        f"POST releases: a blockUntil day is a block; {LIST_ID}; {SEARCH}",
        "blockUntil",
        "listId",
        "searchValue",
    ),
    "getContactBlock": _r(
        f"the DTO may come as query or body, so the schema requires neither: one must carry "
        f"findBy and searchValue; {LIST_ID}",
        "findBy",
        "searchValue",
        "listId",
    ),
    "saveContact": _r(
        f"{FORMAT}; without a listId, an account of several lists cannot tell which",
        "mobileNumber",
        "emailAddress",
        "listId",
    ),
    **{
        operation: _r(f"{FORMAT} (the email filter)", "email")
        for operation in ("listContacts", "listUnsubscribedContacts", "listBouncedContacts")
    },
    "sendToList": _r("an EMAIL send needs a subject", "subject"),
    "importRecipients": _r(
        "the schema says only that a CSV is text: its first line must name the columns, once "
        "each, originalId among them",
        "body",
        "originalId",
    ),
    "uploadBatchTrigger": _r(
        "the schema says only that the file is text: it must hold a row (a blank one is empty)",
        "body",
    ),
    # control plane
    "putClock": _r("the clock stays between 1970 and 9000", "INVALID_INPUT"),
    "putTenant": _r(
        "a fixture is checked beyond its schema: ids unique and positive, references to "
        "labels, lists and senders that exist",
        "INVALID_INPUT",
    ),
    "putSettings": _r("webhook_url must be an absolute http(s) URL", "INVALID_INPUT"),
    "explainMessage": _r(
        "each vendor reads its own channels and recipient shapes: a mobile number or an "
        "e-mail address, Messangi's sender, Symplify's list",
        "INVALID_INPUT",
    ),
}

# operations that decide item by item (`x-sandbox-items`): a 2xx may answer invalid items
PER_ITEM = "x-sandbox-items"
# sendMessage reads only its channel's list
CHANNEL_LISTS = {
    "sms": "sms",
    "email": "email",
    "whatsapp": "whatsappMessage",
    "zalo": "zaloMessage",
}


# schemathesis' own expected statuses for positive_data_acceptance (schemathesis 4,
# schemathesis/config/_checks.py: a private module, so written out here)
POSITIVE_DATA_ACCEPTANCE_DEFAULTS = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def operations_config() -> list[dict[str, Any]]:
    """Per-operation schemathesis configuration: 400 allowed for valid data where REFUSALS
    says so (documented_refusal then narrows it to the named refusals)."""
    allowed = [*POSITIVE_DATA_ACCEPTANCE_DEFAULTS, "400"]
    return [
        {
            "include-operation-id": operation_id,
            "checks": {"positive_data_acceptance": {"expected-statuses": allowed}},
        }
        for operation_id in sorted(REFUSALS)
    ]


def refusal_names(body: Any) -> set[str]:
    """What a refusal names: every vendor `code` next to a `message`, Symplify's `field`, the
    field Messangi's `explain` starts with, OTP's `entity: false`."""
    names: set[str] = set()
    if isinstance(body, dict):
        if body.get("entity") is False:
            names.add("entity:false")
        if isinstance(body.get("field"), str) and isinstance(body.get("status"), int):
            names.add(body["field"])
        meta = body.get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("explain"), str):
            names.add(meta["explain"].split(":", 1)[0].strip())
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            names.add(error["code"])
    _codes(body, names)
    return names


def _codes(value: Any, names: set[str]) -> None:
    if isinstance(value, dict):
        code = value.get("code")
        if "message" in value and isinstance(code, (int, str)) and not isinstance(code, bool):
            names.add(str(code))
        for item in value.values():
            _codes(item, names)
    elif isinstance(value, list):
        for item in value:
            _codes(item, names)


def _body(response: Response) -> Any:
    try:
        return json.loads(response.content or b"null")
    except ValueError:
        return None


def _operation_id(case: Case) -> str:
    return str(case.operation.definition.raw.get("operationId", ""))


def documented_refusal(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 400 to schema-valid data names only refusals REFUSALS allows for the operation."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    allowed = REFUSALS.get(_operation_id(case))
    if allowed is None:
        return None  # positive_data_acceptance refuses the 400 itself
    names = refusal_names(_body(response))
    unexpected = sorted(names - allowed.names) if names else ["(no code or field named)"]
    if unexpected:
        raise AssertionError(
            f"schema-valid request refused with {', '.join(unexpected)}, not one of the "
            f"refusals documented for {_operation_id(case)} ({', '.join(sorted(allowed.names))}: "
            f"{allowed.why}): {response.content[:300]!r}"
        )
    return None


def _has_failed_item(value: Any) -> bool:
    if isinstance(value, dict):
        status = value.get("item_status")
        if isinstance(status, dict) and status.get("success") in (False, "false"):
            return True
        errors = value.get("errors")
        if isinstance(errors, list) and errors and "statusCode" not in value:
            return True
        return any(_has_failed_item(item) for key, item in value.items() if key != "status")
    if isinstance(value, list):
        return any(_has_failed_item(item) for item in value)
    return False


# the operations that read only their channel's list, and the key the lists sit under
LISTS_UNDER = {"sendMessage": None, "sendMessageV11": "root"}


def _valid_without_unread_lists(case: Case) -> bool:
    """sendMessage (v2 and v1.1): the body, without the lists its channel does not read, is
    schema-valid (and so is the query)."""
    operation = _operation_id(case)
    if operation not in LISTS_UNDER or not isinstance(case.body, dict):
        return False
    if case.meta is not None:
        for location, info in case.meta.components.items():
            if location.value != "body" and info.mode.is_negative:
                return False
    channel = str((case.query or {}).get("channel", "sms")).lower()
    read = CHANNEL_LISTS.get(channel)
    unread = set(CHANNEL_LISTS.values()) - {read}
    under = LISTS_UNDER[operation]
    lists = case.body.get(under) if under is not None else case.body
    if not isinstance(lists, dict):
        return False
    read_only = {key: value for key, value in lists.items() if key not in unread}
    body = {**case.body, under: read_only} if under is not None else read_only
    return bool(_body_validator(case).is_valid(body))


_BODY_VALIDATORS: dict[str, Any] = {}


def _body_validator(case: Case) -> Any:
    """The operation's JSON body schema, compiled once per operation."""
    definition = case.operation.definition.raw
    label = case.operation.label  # (an object's id may be reused by another schema's)
    validator = _BODY_VALIDATORS.get(label)
    if validator is None:
        root = case.operation.schema.raw_schema
        schema = definition["requestBody"]["content"]["application/json"]["schema"]
        validator = jsonschema_rs.Draft202012Validator({**schema, "components": root["components"]})
        _BODY_VALIDATORS[label] = validator
    return validator


def negative_data_rejection_per_item(
    ctx: CheckContext, response: Response, case: Case
) -> bool | None:
    """Schemathesis' `negative_data_rejection`, run on every answer, with one documented
    leniency: on an operation that decides item by item, a 2xx to schema-invalid data is
    accepted when the answer reports a failed item, or when the invalid part is a list the
    channel does not read."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        if PER_ITEM in case.operation.definition.raw and (
            _has_failed_item(_body(response)) or _valid_without_unread_lists(case)
        ):
            return None
        raise
