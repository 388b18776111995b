"""A tenant document holding what JSON or YAML allow and the store cannot keep, on every parse
path (JSON parsed whole or, past 1 MiB, in slices; YAML composed in C or, past 1 MiB, in
Python): a 400 naming the field, nothing created or changed, no staging directory left."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_vendor import FAKE, load, write

from sandbox.app import VENDORS
from sandbox.json_slices import SLICED_BYTES
from sandbox.testing import Sandbox, in_process
from sandbox.vendor import FixtureSection

YAML = {"Content-Type": "application/yaml"}
JSON = {"Content-Type": "application/json"}
HUGE = "9" * 5000  # more digits than Python converts to an int
MARK = "__MARK__"


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Path]]:
    """A sandbox on a data directory, and the directory."""
    data_dir = tmp_path_factory.mktemp("data")
    with in_process(data_dir=data_dir) as running:
        yield running, data_dir


def padded(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with a Symplify list of contacts making it larger than SLICED_BYTES."""
    people = [{"original_id": str(n), "firstname": "x" * 4000} for n in range(SLICED_BYTES // 3000)]
    return {
        **document,
        "symplify": {"accounts": [{"customer_id": "1", "lists": [{"id": 1, "contacts": people}]}]},
    }


def json_text(document: dict[str, Any], value: str, large: bool) -> bytes:
    """`document` as JSON, the string MARK in it replaced by the JSON text `value`."""
    text = json.dumps(padded(document) if large else document)
    assert (len(text) > SLICED_BYTES) is large
    return text.replace(json.dumps(MARK), value).encode()


def yaml_text(document: dict[str, Any], value: str, large: bool) -> bytes:
    """The same in YAML flow style (JSON is YAML), MARK replaced by the YAML text `value`."""
    return json_text(document, value, large)


def refused_cleanly(sandbox: Sandbox, data_dir: Path, body: bytes, headers: dict[str, str]) -> Any:
    """PUT `body` over an existing tenant: the answer's error, after checking that nothing
    changed and no staging directory is left."""
    frozen = {"now": "2030-01-01T00:00:00Z", "frozen": True}
    tenant = sandbox.create_tenant(
        {"clock": frozen, "capillary": {"customers": [{"id": 7}]}}, name="bounded"
    )
    before = tenant.snapshot()
    answer = sandbox.http.put("/_sandbox/tenants/bounded", content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert {**tenant.snapshot(), "snapshot": None} == {**before, "snapshot": None}
    created = sandbox.http.put("/_sandbox/tenants/never", content=body, headers=headers)
    assert (created.status_code, created.json()) == (400, answer.json())
    assert sandbox.http.get("/_sandbox/tenants/never").status_code == 404
    left = [p.name for p in (data_dir / "tenants").iterdir() if p.name.startswith(".")]
    assert left == []
    return answer.json()["error"]


CUSTOMER_ID = {"capillary": {"customers": [{"id": MARK}]}}
FIRSTNAME = {"capillary": {"customers": [{"id": 1, "firstname": MARK}]}}
POINTS = {"capillary": {"customers": [{"id": 1, "points": MARK}]}}
OFFSET = {"clock": {"offset_seconds": MARK}}
WORK = {
    "scheduled": [
        {"id": "1", "due": "2030-01-01T00:00:00Z", "vendor": "symplify", "work": {"x": MARK}}
    ]
}


@pytest.mark.parametrize("large", [False, True], ids=["whole", "sliced"])
@pytest.mark.parametrize(
    ("document", "value", "field"),
    [
        (CUSTOMER_ID, HUGE, "capillary.customers[0].id"),
        (CUSTOMER_ID, "1" + "0" * 30, "capillary.customers[0].id"),  # past 64 bits
        (CUSTOMER_ID, "-" + HUGE, "capillary.customers[0].id"),
        (POINTS, "1e999", "capillary.customers[0].points"),
        (FIRSTNAME, '"\\ud800"', "capillary.customers[0].firstname"),
        (FIRSTNAME, '"a\\udfffb"', "capillary.customers[0].firstname"),
    ],
)
def test_json_values_the_store_cannot_keep_are_refused_naming_the_field(
    on_disk: tuple[Sandbox, Path],
    document: dict[str, Any],
    value: str,
    field: str,
    large: bool,
) -> None:
    error = refused_cleanly(*on_disk, json_text(document, value, large), JSON)
    assert error["field"] == field, error


@pytest.mark.parametrize("large", [False, True], ids=["whole", "sliced"])
def test_a_surrogate_pair_is_a_character_not_a_refusal(
    on_disk: tuple[Sandbox, Path], large: bool
) -> None:
    sandbox, _ = on_disk
    body = json_text(FIRSTNAME, '"\\ud83d\\ude00"', large)
    answer = sandbox.http.put("/_sandbox/tenants/emoji", content=body, headers=JSON)
    assert answer.status_code in (200, 201), answer.text
    [customer] = sandbox.tenant("emoji").snapshot()["capillary"]["customers"]
    assert customer["firstname"] == "\N{GRINNING FACE}"


# (a large document is composed in Python, a small one in C: both are checked by one walk of
# the nodes, so the large path is tried with two of the values; it parses at about 1 MB/s)
# (the parse refuses them before any schema is applied: the message says so)
@pytest.mark.parametrize(
    ("document", "value", "field", "large"),
    [
        (CUSTOMER_ID, HUGE, "capillary.customers[0].id", False),
        (CUSTOMER_ID, HUGE, "capillary.customers[0].id", True),
        (WORK, "18446744073709551616", "scheduled[0].work.x", False),  # 2**64
        (WORK, "-9223372036854775809", "scheduled[0].work.x", False),  # -2**63-1
        (WORK, "0x1" + "0" * 20, "scheduled[0].work.x", False),
        (OFFSET, ".nan", "clock.offset_seconds", False),
        (OFFSET, ".nan", "clock.offset_seconds", True),
        (POINTS, ".inf", "capillary.customers[0].points", False),
        (POINTS, "-.inf", "capillary.customers[0].points", False),
        (WORK, "1.0e+999", "scheduled[0].work.x", False),
    ],
)
def test_yaml_values_the_store_cannot_keep_are_refused_naming_the_field(
    on_disk: tuple[Sandbox, Path],
    document: dict[str, Any],
    value: str,
    field: str,
    large: bool,
) -> None:
    error = refused_cleanly(*on_disk, yaml_text(document, value, large), YAML)
    assert error["field"] == field, error
    assert "64 bits" in error["message"] or "not a JSON number" in error["message"], error


def test_a_lone_surrogate_in_a_large_yaml_document_is_refused(
    on_disk: tuple[Sandbox, Path],
) -> None:
    """libyaml refuses the escape in a small document itself; a large one is composed in
    Python, which took it."""
    body = yaml_text(FIRSTNAME, '"\\ud800"', large=True)
    error = refused_cleanly(*on_disk, body, YAML)
    assert error["field"] == "capillary.customers[0].firstname", error


def test_a_value_no_schema_bounds_is_refused_when_the_store_cannot_write_it(
    tmp_path: Path,
) -> None:
    """Past 1 MiB, JSON's integers are read exactly (orjson reads smaller documents' as
    doubles past 64 bits); a section whose vendor declares no schema (anything goes) holding
    one past 64 bits is refused naming it when the store cannot write it, nothing left."""
    free = dataclasses.replace(FAKE, fixture=FixtureSection(load, write))
    with in_process(vendors=[*VENDORS, free], data_dir=tmp_path) as sandbox:
        body = json_text({"fake": {"muted": [], "extra": {"n": MARK}}}, "1" + "0" * 30, True)
        error = refused_cleanly(sandbox, tmp_path, body, JSON)
    assert error["field"] == "fake.extra.n", error
    assert "64 bits" in error["message"]
