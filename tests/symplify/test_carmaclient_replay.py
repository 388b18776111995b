"""moonwalker/carmaclient, the Go client of Symplify (formerly Carma), against the sandbox with
nothing changed but its base URL: its trigger and contact calls replayed byte for byte, and each
answer handled the way the client handles it (research 7c).

Source: github.com/moonwalker/carmaclient (MIT) at HEAD 51b33337e3af7dfd99391b37a25ae29cc4ed4f5e.

- carmaclient.go:82-151 `carmaRequest`, under every call: the URL is
  `{restURL}/{customerId}/{endpoint}` (:86; restURL is `https://eu-proxy-1.symplifymail.com/rest`
  for real, `http://<sandbox>/symplify` here); the body is `json.NewEncoder(b).Encode(dto)` (:97):
  fields in declaration order, `omitempty` zero values left out, the others sent as 0, "",
  false or null (a nil map), `<`, `>` and `&` escaped as \\u003c, \\u003e, \\u0026, and a
  trailing newline; the headers `X-Carma-Authentication-Token`, `Accept: application/json` and
  `Content-Type: application/json` go on every request, GETs included (:110-112), and Go's
  transport adds `User-Agent: Go-http-client/1.1` and `Accept-Encoding: gzip` (a GET has no body
  and no Content-Length). It checks no status, and never decodes an error body: `catchError`
  runs only when reading the body fails (:131-133).
- triggers.go:30-44 `GetTriggers`: GET `triggers`, decoded into `[]dto.TriggerDTO` whatever the
  status.
- triggers.go:14-28 `GetTrigger`: GET `triggers/{id}`, decoded into `dto.TriggerDTO` whatever the
  status: a 404's JSON object becomes a zero TriggerDTO (ID 0) and no error.
- triggers.go:46-64 `PostTriggersMessages`: POST `triggers/{id}/messages` with a
  `dto.SendTriggerDTO`; any status but 200 is an error named by Go's status text (:52-54), then
  `dto.MessageDTO`.
- lists.go:14-32 `GetContact`: GET `lists/{listId}/contacts/{url.QueryEscape(originalId)}`; only
  a 404 is an error (:20-22), then `dto.ContactDTO`.
- lists.go:34-48 `PutContactUpdate`: PUT `lists/{listId}/contacts/{url.QueryEscape(originalId)}/
  update?force=true` with a `dto.ContactDTO`, decoded into `dto.ContactDTO` whatever the status.
- dto/trigger.go, dto/campaignversion.go, dto/stat.go, dto/sendtrigger.go, dto/message.go,
  dto/contact.go: the structs (no pointer fields; ChannelType is an int64).
- properties.go:12-26 `GetProperties`: GET `properties`, decoded into `[]dto.PropertyDTO`
  whatever the status.

Every request body below is the one carmaclient itself sent (go1.19, read off the wire) for the
Go value written beside it. `go_unmarshal` decodes an answer the way encoding/json decodes it
into the client's struct, and fails where json.Unmarshal would return an error (and the client
with it): a string or a non-integer number into an int64, an object into a string, and so on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final, Literal
from urllib.parse import quote_plus

import httpx
import pytest

from sandbox.testing import Sandbox, Tenant

# ---------------------------------------------------------------------------------------------
# encoding/json's decoding into carmaclient's structs


Scalar = Literal["int64", "float64", "string", "bool"]


@dataclass(frozen=True)
class Slice:
    of: GoType


@dataclass(frozen=True)
class MapOf:  # map[string]T
    of: GoType


@dataclass(frozen=True)
class Struct:
    name: str
    fields: dict[str, GoType]  # json name -> type, in declaration order

    def field_for(self, key: str) -> str | None:
        """The field a JSON key sets: its exact name, else one equal but for case, as
        encoding/json matches them; None for a key it ignores."""
        if key in self.fields:
            return key
        return next((name for name in self.fields if name.lower() == key.lower()), None)


GoType = Scalar | Slice | MapOf | Struct

INT64: Final = "int64"
FLOAT64: Final = "float64"
STRING: Final = "string"
BOOL: Final = "bool"
INT64_RANGE = range(-(2**63), 2**63)

# dto/stat.go
STAT_DTO = Struct(
    "StatDTO",
    {
        "id": INT64,
        "deliveryId": INT64,
        "source": INT64,
        "projectId": INT64,
        "deliveryTypeId": INT64,
        "recipients": INT64,
        "sent": INT64,
        "opened": INT64,
        "clicked": INT64,
        "openedInBrower": INT64,
        "nonDeliverable": INT64,
        "unsubscribed": INT64,
        "notBounced": INT64,
        "softBounced": INT64,
        "hardBounced": INT64,
        "complaints": INT64,
        "shareTarget": INT64,
        "mailClick": INT64,
        "conversions": INT64,
        "uniqueClick": INT64,
        "amount": FLOAT64,
    },
)
# dto/campaignversion.go
CAMPAIGN_VERSION_DTO = Struct(
    "CampaignVersionDTO",
    {
        "campaignId": INT64,
        "campaignName": STRING,
        "campaignTypeId": INT64,
        "active": BOOL,
        "locked": BOOL,
        "dateCreated": INT64,
        "dateModified": INT64,
        "userCreated": STRING,
        "userModified": STRING,
        "statDtos": STAT_DTO,  # one StatDTO, not a list
        "lastActivated": INT64,
    },
)
# dto/trigger.go
TRIGGER_DTO = Struct(
    "TriggerDTO",
    {
        "id": INT64,
        "type": INT64,
        "projectId": INT64,
        "name": STRING,
        "description": STRING,
        "listId": INT64,
        "dateCreated": INT64,
        "dateModified": INT64,
        "userCreated": STRING,
        "userModified": STRING,
        "channelTypeId": INT64,  # dto.ChannelType
        "activeCampaign": INT64,
        "ignoreOptOut": BOOL,
        "campaignVersions": Slice(CAMPAIGN_VERSION_DTO),
        "active": BOOL,
    },
)
# dto/message.go
MESSAGE_DTO = Struct("MessageDTO", {"message": STRING})
# dto/contact.go
CONTACT_DTO = Struct(
    "ContactDTO",
    {
        "id": INT64,
        "listId": INT64,
        "country": STRING,
        "originalId": STRING,
        "originalIDHashed": INT64,
        "firstName": STRING,
        "lastName": STRING,
        "middleName": STRING,
        "emailAddress": STRING,
        "title": STRING,
        "dateOfBirth": STRING,
        "city": STRING,
        "zipcode": STRING,
        "sex": STRING,
        "mobileNumber": STRING,
        "unsubscribed": BOOL,
        "bounced": BOOL,
        "mobileUnsubscribed": BOOL,
        "audioUnsubscribed": BOOL,
        "preferredContentVersionId": INT64,
        "optOutDate": INT64,
        "dateOfInvalidation": INT64,
        "optOutMobileDate": INT64,
        "optOutAudioDate": INT64,
        "active": BOOL,
        "dateCreated": INT64,
        "dateModified": INT64,
        "blockedUntil": INT64,
        "properties": MapOf(STRING),
        "namedProperties": MapOf(STRING),
        "mobileNumberValid": BOOL,
    },
)


# dto/property.go (PropertyType int64, DataType string)
PROPERTY_DTO = Struct(
    "PropertyDTO",
    {
        "id": INT64,
        "propertyTypeId": INT64,
        "name": STRING,
        "description": STRING,
        "dataType": STRING,
        "includeInBaExport": BOOL,
        "dateCreated": INT64,
        "dateModified": INT64,
        "userCreated": STRING,
        "userModified": STRING,
        "staticProperty": BOOL,
        "fileHeaders": Slice(STRING),
    },
)


class GoUnmarshalError(Exception):
    """What json.Unmarshal returns, so what the client's method returns instead of a value."""


def go_unmarshal(raw: bytes, into: GoType) -> Any:
    """`raw` decoded into a Go value of type `into` (a struct as a dict of every field, zero
    values included; a nil slice or map as None), or GoUnmarshalError where encoding/json
    fails."""
    try:
        value = json.loads(raw, parse_float=_Number, parse_constant=_not_json)
    except ValueError as exc:
        raise GoUnmarshalError(f"invalid JSON: {exc}") from None
    return _decode(value, into, "Go value")


def zero(of: GoType) -> Any:
    if isinstance(of, Struct):
        return {name: zero(kind) for name, kind in of.fields.items()}
    return (
        {INT64: 0, FLOAT64: 0.0, STRING: "", BOOL: False}.get(of) if isinstance(of, str) else None
    )


def go_value(of: Struct, **given: Any) -> dict[str, Any]:
    """A Go struct value: zero but for the fields given."""
    assert set(given) <= set(of.fields), set(given) - set(of.fields)
    value: dict[str, Any] = zero(of)
    value.update(given)
    return value


def _decode(value: Any, into: GoType, where: str) -> Any:
    if value is None:  # null leaves the zero value, whatever the type
        return zero(into)
    if isinstance(into, Struct):
        if not isinstance(value, dict):
            raise _mismatch(value, into.name, where)
        decoded = zero(into)
        for key, item in value.items():
            name = into.field_for(key)
            if name is not None:
                here = f"Go struct field {into.name}.{name}"
                decoded[name] = _decode(item, into.fields[name], here)
        return decoded
    if isinstance(into, Slice):
        if not isinstance(value, list):
            raise _mismatch(value, "slice", where)
        return [_decode(item, into.of, where) for item in value]
    if isinstance(into, MapOf):
        if not isinstance(value, dict):
            raise _mismatch(value, "map[string]", where)
        return {key: _decode(item, into.of, where) for key, item in value.items()}
    if into == INT64:
        if type(value) is int and value in INT64_RANGE:
            return value
    elif into == FLOAT64:
        if type(value) in (int, _Number):
            return float(value)
    elif into == STRING:
        if type(value) is str:
            return value
    elif into == BOOL and isinstance(value, bool):
        return value
    raise _mismatch(value, into, where)


def _mismatch(value: Any, kind: str, where: str) -> GoUnmarshalError:
    if isinstance(value, bool):
        what = "bool"
    elif isinstance(value, int | _Number):
        what = f"number {value}"
    else:
        what = (
            "string" if isinstance(value, str) else "array" if isinstance(value, list) else "object"
        )
    return GoUnmarshalError(f"json: cannot unmarshal {what} into {where} of type {kind}")


class _Number(str):
    """A JSON number with a fraction or an exponent, as written (Go's errors quote it so)."""


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


# ---------------------------------------------------------------------------------------------
# carmaclient's calls, on the wire as it makes them, each answer handled as it handles it

GO_HEADERS = {
    "User-Agent": "Go-http-client/1.1",  # Go's transport
    "Accept": "application/json",  # carmaclient.go:111
    "Content-Type": "application/json",  # carmaclient.go:112
    "Accept-Encoding": "gzip",  # Go's transport, which then decompresses the answer itself
}


@dataclass
class ClientResult:
    response: httpx.Response
    value: Any  # what the Go method returns, None with an error
    error: str | None  # the error it returns

    def ok(self) -> Any:
        assert self.error is None, f"{self.error}: {self.response.status_code} {self.response.text}"
        return self.value


@dataclass
class Carma:
    http: httpx.Client
    tenant: Tenant
    base: str = "/symplify"  # the one change: the client's restURL
    organization: int = 1234  # NewCarmaClient's organization, the path's {customerId}
    sent: list[httpx.Request] = field(default_factory=list)

    def request(self, endpoint: str, method: str, body: bytes | None = None) -> httpx.Response:
        """carmaclient.go:82 carmaRequest."""
        token = self.tenant.credentials["symplify"]["value"]
        headers = {"X-Carma-Authentication-Token": token, **GO_HEADERS}
        url = f"{self.base}/{self.organization}/{endpoint}"
        response = self.http.request(method, url, content=body, headers=headers)
        self.sent.append(response.request)
        return response

    def get_triggers(self) -> ClientResult:  # triggers.go:30
        return _decoded(self.request("triggers", "GET"), Slice(TRIGGER_DTO))

    def get_trigger(self, trigger_id: int) -> ClientResult:  # triggers.go:14
        return _decoded(self.request(f"triggers/{trigger_id}", "GET"), TRIGGER_DTO)

    def post_triggers_messages(
        self, trigger_id: int, body: bytes
    ) -> ClientResult:  # triggers.go:46
        response = self.request(f"triggers/{trigger_id}/messages", "POST", body)
        if response.status_code != 200:
            return ClientResult(response, None, HTTPStatus(response.status_code).phrase)
        return _decoded(response, MESSAGE_DTO)

    def get_properties(self) -> ClientResult:  # properties.go:12
        return _decoded(self.request("properties", "GET"), Slice(PROPERTY_DTO))

    def get_contact(self, list_id: int, original_id: str) -> ClientResult:  # lists.go:14
        response = self.request(f"lists/{list_id}/contacts/{query_escape(original_id)}", "GET")
        if response.status_code == 404:
            return ClientResult(response, None, HTTPStatus(404).phrase)
        return _decoded(response, CONTACT_DTO)

    def put_contact_update(self, list_id: int, original_id: str, body: bytes) -> ClientResult:
        """lists.go:34."""
        endpoint = f"lists/{list_id}/contacts/{query_escape(original_id)}/update?force=true"
        return _decoded(self.request(endpoint, "PUT", body), CONTACT_DTO)


def query_escape(text: str) -> str:
    """Go's url.QueryEscape: all but letters, digits and -_.~ escaped, a space as +."""
    return quote_plus(text, safe="")


def _decoded(response: httpx.Response, into: GoType) -> ClientResult:
    try:
        return ClientResult(response, go_unmarshal(response.content, into), None)
    except GoUnmarshalError as exc:
        return ClientResult(response, None, str(exc))


# ---------------------------------------------------------------------------------------------
# the tenant: account 1234 (the client's organization), list 42, triggers 7 (e-mail) and 8 (SMS)

CREATED = 1_577_836_800_000  # 2020-01-01T00:00:00Z, the fixture's dates
NOW, NOW_MS = "2020-01-15T09:00:00Z", 1_579_078_800_000  # the tenant clock, frozen
BLOCK_END = 1_579_564_799_999  # 2020-01-20T23:59:59.999Z, the last ms of VIP's block
GAGA, ANN, ANN_SMITH = "lady_gaga@example.com", "+46701234567", "ann.smith@example.com"
VIP = "ann.smith+vip@example.com"  # an originalId url.QueryEscape changes: %2B, %40


def _person(contact_id: int, original_id: str, **fields: Any) -> dict[str, Any]:
    times = {"created": CREATED, "modified": CREATED}
    return {"id": contact_id, "original_id": original_id, **times, **fields}


FIXTURE: dict[str, Any] = {
    "symplify": {
        "accounts": [
            {
                "customer_id": "1234",
                "lists": [
                    {
                        "id": 42,
                        "name": "Newsletter",
                        "contacts": [
                            _person(2_047_800_001, "111", email=GAGA),
                            _person(2_047_800_002, "333", mobile=ANN, firstname="Ann"),
                            _person(
                                2_047_800_003,
                                VIP,
                                email=ANN_SMITH,
                                temp_block={"until": "2020-01-20"},
                            ),
                        ],
                    }
                ],
                "triggers": [
                    {
                        "id": 7,
                        "name": "Order confirmation",
                        "description": "Sent when an order is paid",
                        "list_id": 42,
                        "body": "Order {{orderId}} is confirmed",
                        "created": CREATED,
                    },
                    {
                        "id": 8,
                        "name": "Login code",
                        "list_id": 42,
                        "channel": "SMS",
                        "ignore_opt_out": True,
                        "body": "Your code is {{code}}",
                        "created": CREATED,
                    },
                ],
            }
        ]
    }
}

ORDER_TRIGGER = go_value(
    TRIGGER_DTO,
    id=7,
    type=1,
    name="Order confirmation",
    description="Sent when an order is paid",
    listId=42,
    dateCreated=CREATED,
    dateModified=CREATED,
    channelTypeId=1,  # dto.ChannelTypeEmail
    campaignVersions=[],
    active=True,
)
CODE_TRIGGER = go_value(
    TRIGGER_DTO,
    id=8,
    type=1,
    name="Login code",
    listId=42,
    dateCreated=CREATED,
    dateModified=CREATED,
    channelTypeId=2,  # dto.ChannelTypeSMS
    ignoreOptOut=True,
    campaignVersions=[],
    active=True,
)
GAGA_CONTACT = go_value(
    CONTACT_DTO,
    id=2_047_800_001,
    listId=42,
    originalId="111",
    emailAddress=GAGA,
    active=True,
    dateCreated=CREATED,
    dateModified=CREATED,
)

# --- request bodies, as carmaclient sent them -------------------------------------------------
# SendTriggerDTO{OriginalId: "111", CustomerId: 1234,
#     Properties: map[string]string{"orderId": "A-1001"}}
SEND_ORDER = b'{"originalId":"111","customerId":1234,"properties":{"orderId":"A-1001"}}\n'
# SendTriggerDTO{OriginalId: "333", CustomerId: 1234,
#     Properties: map[string]string{"code": "123456"}}
SEND_CODE = b'{"originalId":"333","customerId":1234,"properties":{"code":"123456"}}\n'
# SendTriggerDTO{DeliveryTime: "2020-01-15T11:00:00+0100", OptOut: true, SaveProps: true,
#     OriginalId: "111", CustomerId: 1234, CampaignId: 3, ForceCreateMissingProperties: true,
#     Properties: map[string]string{"orderId": "<A&1>", "currency": "SEK"}}
SEND_EVERY_FIELD = (
    b'{"deliveryTime":"2020-01-15T11:00:00+0100","optOut":true,"saveProps":true,'
    b'"originalId":"111","customerId":1234,"campaignId":3,'
    b'"properties":{"currency":"SEK","orderId":"\\u003cA\\u00261\\u003e"},'
    b'"forceCreateMissingProperties":true}\n'
)


def send_to(original_id: str) -> bytes:
    """SendTriggerDTO{OriginalId: original_id, CustomerId: 1234}: a nil map is null."""
    return b'{"originalId":"%s","customerId":1234,"properties":null}\n' % original_id.encode()


# the ContactDTO GetContact decoded for 111, with FirstName = "Lady"
UPDATE_READ_GAGA = (
    b'{"id":2047800001,"listId":42,"originalId":"111","firstName":"Lady",'
    b'"emailAddress":"lady_gaga@example.com","unsubscribed":false,"bounced":false,'
    b'"mobileUnsubscribed":false,"audioUnsubscribed":false,"optOutDate":0,'
    b'"dateOfInvalidation":0,"optOutMobileDate":0,"optOutAudioDate":0,"active":true,'
    b'"dateCreated":1577836800000,"dateModified":1577836800000}\n'
)
# the ContactDTO GetContact decoded for VIP (blocked), with LastName = "Smith"
UPDATE_READ_VIP = (
    b'{"id":2047800003,"listId":42,"originalId":"ann.smith+vip@example.com",'
    b'"lastName":"Smith","emailAddress":"ann.smith@example.com","unsubscribed":false,'
    b'"bounced":false,"mobileUnsubscribed":false,"audioUnsubscribed":false,"optOutDate":0,'
    b'"dateOfInvalidation":0,"optOutMobileDate":0,"optOutAudioDate":0,"active":true,'
    b'"dateCreated":1577836800000,"dateModified":1577836800000,"blockedUntil":1579564799999}\n'
)
# ContactDTO{ListID: 42, OriginalID: "111", Unsubscribed: true}: a DTO made afresh, not read
UPDATE_FRESH_UNSUBSCRIBED = (
    b'{"listId":42,"originalId":"111","unsubscribed":true,"bounced":false,'
    b'"mobileUnsubscribed":false,"audioUnsubscribed":false,"optOutDate":0,'
    b'"dateOfInvalidation":0,"optOutMobileDate":0,"optOutAudioDate":0,"active":false}\n'
)
# ContactDTO{ListID: 42, OriginalID: "111", LastName: "Gaga"}
UPDATE_FRESH_LAST_NAME = (
    b'{"listId":42,"originalId":"111","lastName":"Gaga","unsubscribed":false,"bounced":false,'
    b'"mobileUnsubscribed":false,"audioUnsubscribed":false,"optOutDate":0,'
    b'"dateOfInvalidation":0,"optOutMobileDate":0,"optOutAudioDate":0,"active":false}\n'
)
# ContactDTO{ListID: 42, OriginalID: "999"}
UPDATE_FRESH_UNKNOWN = (
    b'{"listId":42,"originalId":"999","unsubscribed":false,"bounced":false,'
    b'"mobileUnsubscribed":false,"audioUnsubscribed":false,"optOutDate":0,'
    b'"dateOfInvalidation":0,"optOutMobileDate":0,"optOutAudioDate":0,"active":false}\n'
)


@pytest.fixture
def carma(sandbox: Sandbox) -> Iterator[Carma]:
    tenant = sandbox.create_tenant(FIXTURE)
    tenant.set_clock(now=NOW, frozen=True)
    yield Carma(sandbox.http, tenant)
    tenant.delete()


def sent_messages(carma: Carma) -> list[tuple[str, str, str, str | None, str]]:
    """(channel, to, status, reason, body) of the trigger messages, oldest first."""
    messages = sorted(carma.tenant.outbox(operation="sendTrigger"), key=lambda m: int(m["id"]))
    return [(m["channel"], m["to"], m["status"], m["reason"], m["body"]) for m in messages]


# ---------------------------------------------------------------------------------------------
# the checker itself: it refuses what encoding/json refuses, and only that


@pytest.mark.parametrize(
    ("raw", "into", "refusal"),
    [
        (b'{"id":"7"}', TRIGGER_DTO, "string into Go struct field TriggerDTO.id of type int64"),
        (b'{"id":7.0}', TRIGGER_DTO, "number 7.0 into Go struct field TriggerDTO.id"),
        (b'{"listId":4.2e1}', TRIGGER_DTO, "number 4.2e1 into Go struct field TriggerDTO.listId"),
        (b'{"id":9223372036854775808}', TRIGGER_DTO, "number 9223372036854775808 into"),
        (b'{"type":true}', TRIGGER_DTO, "bool into Go struct field TriggerDTO.type"),
        (b'{"name":{"en":"x"}}', TRIGGER_DTO, "object into Go struct field TriggerDTO.name"),
        (b'{"name":7}', TRIGGER_DTO, "number 7 into Go struct field TriggerDTO.name"),
        (b'{"name":7.5}', TRIGGER_DTO, "number 7.5 into Go struct field TriggerDTO.name"),
        (
            b'{"campaignVersions":[{"statDtos":{"amount":"2.5"}}]}',
            TRIGGER_DTO,
            "string into Go struct field StatDTO.amount of type float64",
        ),
        (b'{"active":"true"}', TRIGGER_DTO, "string into Go struct field TriggerDTO.active"),
        (b'{"campaignVersions":{}}', TRIGGER_DTO, "object into Go struct field"),
        (b'{"campaignVersions":[{"statDtos":[]}]}', TRIGGER_DTO, "array into Go struct field"),
        (b'{"properties":{"tier":1}}', CONTACT_DTO, "number 1 into Go struct field ContactDTO"),
        (b'{"error":"no"}', Slice(TRIGGER_DTO), "object into Go value of type slice"),
        (b'{"message":NaN}', MESSAGE_DTO, "invalid JSON"),
        (b"", MESSAGE_DTO, "invalid JSON"),
        (b"<html>Not Found</html>", MESSAGE_DTO, "invalid JSON"),
    ],
)
def test_the_checker_refuses_what_encoding_json_refuses(
    raw: bytes, into: GoType, refusal: str
) -> None:
    with pytest.raises(GoUnmarshalError, match=refusal.replace(".", r"\.")):
        go_unmarshal(raw, into)


def test_the_checker_decodes_as_encoding_json_does() -> None:
    raw = (
        b'{"ID":7,"listid":42,"name":null,"unknown":{"x":[1]},"campaignVersions":'
        b'[{"statDtos":{"amount":2,"sent":5}}],"activeCampaign":-1}'
    )
    decoded = go_unmarshal(raw, TRIGGER_DTO)
    version = go_value(CAMPAIGN_VERSION_DTO, statDtos=go_value(STAT_DTO, amount=2.0, sent=5))
    # keys match fields whatever their case; null and unknown keys leave the zero value
    assert decoded == go_value(
        TRIGGER_DTO, id=7, listId=42, activeCampaign=-1, campaignVersions=[version]
    )
    assert go_unmarshal(b'{"message":"queued","status":200}\n', MESSAGE_DTO) == {
        "message": "queued"
    }


# ---------------------------------------------------------------------------------------------
# the replayed calls


def test_a_go_program_in_the_clients_order(carma: Carma) -> None:
    """GetTriggers, GetTrigger, PostTriggersMessages, GetContact, PutContactUpdate: each the
    value the Go method returns, and no error."""
    assert carma.get_triggers().ok() == [ORDER_TRIGGER, CODE_TRIGGER]
    assert carma.get_trigger(7).ok() == ORDER_TRIGGER

    sent = carma.post_triggers_messages(7, SEND_ORDER)
    assert sent.response.status_code == 200  # exactly 200, or the client fails (triggers.go:52)
    assert sent.ok() == {"message": "Trigger message queued"}
    assert sent_messages(carma) == [("EMAIL", GAGA, "DELIVERED", None, "Order A-1001 is confirmed")]

    assert carma.get_contact(42, "111").ok() == GAGA_CONTACT
    updated = carma.put_contact_update(42, "111", UPDATE_READ_GAGA).ok()
    assert updated == {**GAGA_CONTACT, "firstName": "Lady", "dateModified": NOW_MS}
    assert carma.get_contact(42, "111").ok() == updated

    assert [(r.method, r.url.raw_path) for r in carma.sent] == [
        ("GET", b"/symplify/1234/triggers"),
        ("GET", b"/symplify/1234/triggers/7"),
        ("POST", b"/symplify/1234/triggers/7/messages"),
        ("GET", b"/symplify/1234/lists/42/contacts/111"),
        ("PUT", b"/symplify/1234/lists/42/contacts/111/update?force=true"),
        ("GET", b"/symplify/1234/lists/42/contacts/111"),
    ]
    assert carma.sent[2].content == SEND_ORDER and carma.sent[0].content == b""


def test_an_sms_trigger_reaches_the_mobile_number(carma: Carma) -> None:
    assert carma.post_triggers_messages(8, SEND_CODE).ok() == {"message": "Trigger message queued"}
    assert sent_messages(carma) == [("SMS", ANN, "DELIVERED", None, "Your code is 123456")]


def test_every_send_trigger_field_schedules_then_opts_the_contact_out(carma: Carma) -> None:
    answer = carma.post_triggers_messages(7, SEND_EVERY_FIELD).ok()
    assert answer == {"message": "Trigger message scheduled for 2020-01-15T10:00:00.000Z"}
    assert sent_messages(carma) == []
    carma.tenant.advance_clock(3600)  # 10:00Z: due
    # the HTML-escaped property arrives as the Go program gave it
    assert sent_messages(carma) == [("EMAIL", GAGA, "DELIVERED", None, "Order <A&1> is confirmed")]
    assert carma.get_contact(42, "111").ok()["unsubscribed"] is True  # optOut, once sent


def test_an_escaped_original_id_and_a_block_round_trip(carma: Carma) -> None:
    """VIP's originalId goes as url.QueryEscape writes it, and its blockedUntil (an int64) goes
    back in the DTO the client read; a trigger to it is 200 and suppressed."""
    read = carma.get_contact(42, VIP).ok()
    assert (
        carma.sent[-1].url.raw_path
        == b"/symplify/1234/lists/42/contacts/ann.smith%2Bvip%40example.com"
    )
    assert read == go_value(
        CONTACT_DTO,
        id=2_047_800_003,
        listId=42,
        originalId=VIP,
        emailAddress=ANN_SMITH,
        active=True,
        dateCreated=CREATED,
        dateModified=CREATED,
        blockedUntil=BLOCK_END,
    )
    updated = carma.put_contact_update(42, VIP, UPDATE_READ_VIP).ok()
    assert updated == {**read, "lastName": "Smith", "dateModified": NOW_MS}
    sent = carma.post_triggers_messages(7, send_to(VIP))
    assert sent.response.status_code == 200 and sent.error is None
    assert sent_messages(carma) == [
        ("EMAIL", ANN_SMITH, "SUPPRESSED", "CONTACT_TEMP_BLOCKED", "Order {{orderId}} is confirmed")
    ]


def test_a_contact_dto_made_afresh_sets_every_flag_it_carries(carma: Carma) -> None:
    """A ContactDTO the program builds itself leaves out the empty strings (omitempty) but
    always carries `unsubscribed` and `mobileUnsubscribed`: the addresses stay, the flags are
    what the DTO says, so updating only a name opts the contact back in. The opt-out is
    dated by the server (the DTO's `optOutDate: 0` is read-only), and undated once undone."""
    unsubscribed = carma.put_contact_update(42, "111", UPDATE_FRESH_UNSUBSCRIBED).ok()
    expected = {**GAGA_CONTACT, "unsubscribed": True, "dateModified": NOW_MS}
    assert unsubscribed == {**expected, "optOutDate": NOW_MS}
    assert carma.get_contact(42, "111").ok()["optOutDate"] == NOW_MS
    assert carma.post_triggers_messages(7, SEND_ORDER).error is None
    renamed = carma.put_contact_update(42, "111", UPDATE_FRESH_LAST_NAME).ok()
    assert renamed == {**GAGA_CONTACT, "lastName": "Gaga", "dateModified": NOW_MS}
    assert carma.post_triggers_messages(7, SEND_ORDER).error is None
    assert sent_messages(carma) == [
        ("EMAIL", GAGA, "SUPPRESSED", "SUBSCRIPTION_OPTED_OUT", "Order A-1001 is confirmed"),
        ("EMAIL", GAGA, "DELIVERED", None, "Order A-1001 is confirmed"),
    ]


def _error(message: str, status: int, name: str) -> dict[str, Any]:
    return {"error": message, "status": status, "field": name}


def test_an_unknown_trigger_is_a_404_the_client_sees_as_a_zero_trigger(carma: Carma) -> None:
    """GetTrigger checks no status: the 404's JSON object decodes into a TriggerDTO with no
    field set (none of its keys is a TriggerDTO field), so the program gets ID 0 and no error."""
    answer = carma.get_trigger(9)
    assert answer.response.status_code == 404
    assert answer.response.json() == _error(
        "triggerId: no trigger 9 in account 1234", 404, "triggerId"
    )
    assert answer.ok() == zero(TRIGGER_DTO)


@pytest.mark.parametrize(
    ("trigger_id", "body", "status", "refusal"),
    [
        (
            9,
            send_to("111"),
            404,
            _error("triggerId: no trigger 9 in account 1234", 404, "triggerId"),
        ),
        (
            7,
            send_to("999"),
            404,
            _error(
                "originalId: no contact '999' on list 42, the list of trigger 7", 404, "originalId"
            ),
        ),
        (
            7,
            send_to("333"),
            400,
            _error(
                "originalId: contact '333' has no e-mail address, and trigger 7 sends EMAIL",
                400,
                "originalId",
            ),
        ),
    ],
)
def test_a_refused_send_is_an_error_named_by_its_status(
    carma: Carma, trigger_id: int, body: bytes, status: int, refusal: dict[str, Any]
) -> None:
    answer = carma.post_triggers_messages(trigger_id, body)
    assert answer.response.status_code == status
    assert answer.response.json() == refusal
    assert (answer.value, answer.error) == (None, HTTPStatus(status).phrase)  # "Not Found"...
    assert sent_messages(carma) == []


def test_an_unknown_contact_is_a_404(carma: Carma) -> None:
    """GetContact turns the 404 into its error; PutContactUpdate checks no status and decodes
    the error body into a zero ContactDTO; nothing is created."""
    read = carma.get_contact(42, "999")
    assert read.response.status_code == 404
    assert read.response.json() == _error(
        "originalId: no contact '999' on list 42", 404, "originalId"
    )
    assert (read.value, read.error) == (None, "Not Found")
    updated = carma.put_contact_update(42, "999", UPDATE_FRESH_UNKNOWN)
    assert updated.response.status_code == 404
    assert updated.response.json() == read.response.json()
    assert updated.ok() == zero(CONTACT_DTO)
    assert carma.get_contact(42, "999").error == "Not Found"


def test_get_properties_lists_the_static_ones_then_those_contacts_have(carma: Carma) -> None:
    """GetProperties: the five static properties (this tenant's contacts carry none), then
    each property a contact was given: here an import's new column."""
    before = carma.get_properties().ok()
    names = [(p["name"], p["staticProperty"]) for p in before]
    static = ("originalId", "emailAddress", "mobileNumber", "firstName", "lastName")
    assert names == [(name, True) for name in static]
    token = carma.tenant.credentials["symplify"]["value"]
    headers = {"X-Carma-Authentication-Token": token}
    made = carma.http.post("/symplify/1234/lists/42/imports", json={}, headers=headers).json()
    posted = carma.http.post(
        f"/symplify/1234/lists/42/recipients/{made['id']}",
        content=b"originalId,loyaltyTier\n111,gold\n",
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert posted.status_code == 200, posted.text
    after = carma.get_properties().ok()
    assert after[: len(before)] == before  # a new definition comes after the others
    assert (after[-1]["name"], after[-1]["staticProperty"]) == ("loyaltyTier", False)
    assert after[-1]["id"] > max(p["id"] for p in after[:-1])
    assert carma.sent[-1].url.raw_path == b"/symplify/1234/properties"
