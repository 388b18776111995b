"""Every operation: wrong or missing credentials (401), bodies over 1 MiB (413), JSON that
is not an object, and odd numbers: a 4xx in the vendor's envelope, never a 5xx, and nothing
changes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from sandbox.testing import Sandbox
from sandbox.testing.example import EXAMPLE_FIXTURE as FIXTURE

from .helpers import Cap, messages_of
from .ops import OPS, SECURED, WITH_BODY, Op, assert_envelope

ONE_MIB = 1024 * 1024


def wrong_password(cap: Cap) -> dict[str, str]:
    username = cap.tenant.credentials["capillary"]["username"]
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:nope".encode()).decode()}


@pytest.mark.parametrize("op", SECURED, ids=str)
def test_missing_credentials_are_401_and_change_nothing(cap: Cap, op: Op) -> None:
    before = cap.snapshot()
    response = op.send(cap, headers={})
    assert_envelope(response, op.envelope, 401)
    assert "Authorization" in messages_of(response.json())
    assert cap.snapshot() == before


@pytest.mark.parametrize("op", SECURED, ids=str)
def test_wrong_password_is_401_and_changes_nothing(cap: Cap, op: Op) -> None:
    before = cap.snapshot()
    response = op.send(cap, headers=wrong_password(cap))
    assert_envelope(response, op.envelope, 401)
    assert cap.snapshot() == before


@pytest.mark.parametrize("op", WITH_BODY, ids=str)
def test_body_over_one_mib_is_413_and_changes_nothing(cap: Cap, op: Op) -> None:
    before = cap.snapshot()
    padding = "x" * ONE_MIB
    response = op.send(cap, content=json.dumps({**op.body, "padding": padding}).encode())
    assert_envelope(response, op.envelope, 413)
    assert "body" in messages_of(response.json())
    assert cap.snapshot() == before


@pytest.mark.parametrize("op", WITH_BODY, ids=str)
def test_body_of_exactly_one_mib_is_answered_as_the_same_body_unpadded(
    sandbox: Sandbox, op: Op
) -> None:
    """The limit is inclusive: a 1 MiB body gets exactly the answer its content would get
    without the padding, in a twin tenant (same fixture, same frozen clock)."""
    raw = json.dumps(op.body).encode()
    content = raw[:-1] + b" " * (ONE_MIB - len(raw)) + raw[-1:]
    assert len(content) == ONE_MIB
    answers = []
    for body in (content, raw):
        twin = sandbox.create_tenant(FIXTURE)
        twin.set_clock(now="2026-11-23T10:00:00Z", frozen=True)
        answer = op.send(Cap(sandbox.http, twin, twin.capillary_auth()), content=body)
        answers.append((answer.status_code, answer.json()))
        twin.delete()
    assert answers[0] == answers[1]


@pytest.mark.parametrize("op", WITH_BODY, ids=str)
def test_json_null_body_is_400(cap: Cap, op: Op) -> None:
    before = cap.snapshot()
    response = op.send(cap, content=b"null")
    assert_envelope(response, op.envelope, 400)
    assert cap.snapshot() == before


@pytest.mark.parametrize("op", WITH_BODY, ids=str)
def test_empty_body_is_400_naming_body(cap: Cap, op: Op) -> None:
    response = op.send(cap, content=b"")
    assert_envelope(response, op.envelope, 400)
    assert "body" in messages_of(response.json())


GARBAGE: list[bytes] = [
    b"[]",
    b'"text"',
    b"42",
    b"true",
    b"{}",
    b'{"root": null}',
    b'{"root": []}',
    b'{"root": {"x": 1}}',
    b"\xff\xfe{",
    b"{" * 5000,
    b'{"a": NaN}',
]


@pytest.mark.parametrize("op", WITH_BODY, ids=str)
def test_bodies_that_are_not_requests_are_4xx(cap: Cap, op: Op) -> None:
    before = cap.snapshot()
    answers = {raw[:20]: op.send(cap, content=raw) for raw in GARBAGE}
    wrong = {raw: r.status_code for raw, r in answers.items() if not 400 <= r.status_code < 500}
    assert not wrong, wrong
    for response in answers.values():
        assert_envelope(response, op.envelope, response.status_code)
    assert cap.snapshot() == before


@pytest.mark.parametrize("op", WITH_BODY, ids=str)
def test_a_huge_number_anywhere_is_a_400_naming_it(cap: Cap, op: Op) -> None:
    """1e400 is not a double: refused before anything is stored, the field named."""
    before = cap.snapshot()
    raw = json.dumps(op.body)[:-1] + ', "extra": 1e400}'
    response = op.send(cap, content=raw.encode())
    assert_envelope(response, op.envelope, 400)
    assert "extra" in messages_of(response.json())
    assert cap.snapshot() == before


def test_huge_number_where_a_number_is_expected_is_400(cap: Cap) -> None:
    before = cap.snapshot()
    response = cap.post(
        "/v2/customer/565039506/goodwillRequest", content=b'{"baseType": "POINTS", "points": 1e400}'
    )
    assert response.status_code == 400
    assert "points" in messages_of(response.json())
    assert cap.snapshot() == before


ODD_VALUES = ["", " ", "\x00", "9" * 40, "-1", "1.5", "%", "null", "é"]


@pytest.mark.parametrize("op", [op for op in OPS if op.method == "GET"], ids=str)
def test_odd_query_values_are_taken_or_refused_never_5xx(cap: Cap, op: Op) -> None:
    statuses: dict[str, int] = {}
    for name in [*op.params, "limit", "offset", "embed"]:
        for value in ODD_VALUES:
            params: dict[str, Any] = {**op.params, name: value}
            statuses[f"{name}={value!r}"] = op.send(cap, params=params).status_code
    # an odd value is either taken (200) or refused in the vendor's envelope; never a 5xx
    crashed = {k: v for k, v in statuses.items() if v != 200 and not 400 <= v < 500}
    assert not crashed, crashed


@pytest.mark.parametrize(
    "op", [op for op in OPS if "565039506" in op.path or "13000001" in op.path], ids=str
)
def test_odd_path_ids_are_a_4xx_in_the_vendors_envelope(cap: Cap, op: Op) -> None:
    before = cap.snapshot()
    for value in ["0", "-1", "abc", "9" * 40, "1.5", "%20"]:
        path = op.path.replace("565039506", value).replace("13000001", value)
        response = op.send(cap, path=path)
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert_envelope(response, op.envelope, response.status_code)
    assert cap.snapshot() == before


def test_unknown_path_is_404_in_v2_envelope(cap: Cap) -> None:
    response = cap.get("/v2/no/such/thing")
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] is False


def test_wrong_method_is_405(cap: Cap) -> None:
    response = cap.call("DELETE", "/v2/communications/sendMessage")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]
