"""Boundary values for the fuzzer: the edges of the documents' dates, date-times, integers and
ids, drawn often (Hypothesis alone almost never draws 9999-12-31 or an integer's maximum).

Two of schemathesis' extension points carry them:

- `schemathesis.openapi.format`: the strategy of a string `format`. `date` and `date-time`
  (RFC 3339) and Symplify's `symplify-date-time` (yyyy-MM-ddTHH:mm:ssZZZZ) draw their edges
  (years 0001 and 9999, offsets that cross a year's end, 29 February, the Unix epoch, the last
  day a tenant's clock shows and the day after, a leap second) half the time, any other valid
  value otherwise.
- a `before_load_schema` hook: every integer a request takes (parameters and JSON bodies) also
  draws from its edges: its minimum and maximum, one inside each, 0, -1 and 1, and the widths
  a store keeps (2^31-1, 2^53-1, 2^63-1, 2^64-1) where its bounds allow; every decimal id
  written as text (a pattern of digits: `^[0-9]{1,16}$`, `^-?[0-9]{1,9}$`) draws "0", "1",
  "-1", the longest run of 9s and of 0s it allows, and leading zeros. The schema is rewritten
  to `anyOf: [the schema, {enum: its edges}]`: the same values are valid as before (the edges
  are values of the schema), so the checks judge every answer as they would have.

Values the schema refuses (a year 10000, a 5,000-digit id) come from the negative and coverage
phases, as before; these edges are the valid values at the ends, where handlers fail.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema_rs
import schemathesis
from hypothesis import strategies as st

# ---------------------------------------------------------------- dates and date-times

EDGE_DAYS = (
    "0001-01-01",
    "0001-12-31",
    "1969-12-31",
    "1970-01-01",
    "2000-02-29",
    "2038-01-19",
    "9000-12-31",  # the last day a tenant's clock shows (sandbox/clock.py LATEST)
    "9001-01-01",
    "9999-12-30",
    "9999-12-31",
)
EDGE_TIMES = (
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+23:59",  # before year 1 in UTC
    "0001-01-01T23:59:59-23:59",
    "1969-12-31T23:59:59.999Z",
    "1970-01-01T00:00:00Z",
    "2016-12-31T23:59:60Z",  # a leap second: RFC 3339 allows it, Python's datetime does not
    "2038-01-19T03:14:08Z",
    "9000-12-31T23:59:59Z",
    "9000-12-31T23:59:59.001Z",
    "9001-01-01T00:00:00Z",
    "9999-12-31T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59-23:59",  # past year 9999 in UTC
)


def _symplify_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


EDGE_SYMPLIFY_TIMES = (
    "0001-01-01T00:00:00+0000",
    "0001-01-01T00:00:00+2359",
    "1970-01-01T00:00:00+0000",
    "2016-02-09T11:00:00+0100",
    "9000-12-31T23:59:59+0000",
    "9000-12-31T23:59:59-0001",
    "9001-01-01T00:00:00+0000",
    "9999-12-31T23:59:59+0000",
    "9999-12-31T23:59:59-2359",
)

OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
DATETIMES = st.datetimes(
    min_value=datetime(1, 1, 2),  # (a day inside each end: any offset keeps it a datetime)
    max_value=datetime(9999, 12, 30),
    timezones=st.one_of(st.just(UTC), OFFSETS),
)


def _rfc3339(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


DAYS = st.one_of(st.sampled_from(EDGE_DAYS), st.dates().map(lambda day: day.isoformat()))
DATE_TIMES = st.one_of(st.sampled_from(EDGE_TIMES), DATETIMES.map(_rfc3339))
SYMPLIFY_TIMES = st.one_of(
    st.sampled_from(EDGE_SYMPLIFY_TIMES),
    DATETIMES.filter(lambda m: m.utcoffset() is not None and m.utcoffset().seconds % 60 == 0).map(  # type: ignore[union-attr]
        _symplify_time
    ),
)

FORMATS = {"date": DAYS, "date-time": DATE_TIMES, "symplify-date-time": SYMPLIFY_TIMES}

# ---------------------------------------------------------------- integers and decimal ids

WIDTHS = (2**31 - 1, 2**31, 2**53 - 1, 2**53, 2**63 - 1, 2**64 - 1)


def integer_edges(low: int | None, high: int | None) -> list[int]:
    """An integer's edges within [low, high] (either end open)."""
    lowest = -(2**63) if low is None else low
    highest = 2**64 - 1 if high is None else high
    candidates = [lowest, lowest + 1, highest - 1, highest, -1, 0, 1]
    candidates += [*WIDTHS, *(-width for width in WIDTHS)]
    return sorted({value for value in candidates if lowest <= value <= highest})


# a pattern of decimal digits, with an optional minus sign: ^-?[0-9]{1,9}$ or ^[0-9]+$
_DIGITS = re.compile(r"\^(-\?)?\[0-9\](?:\{(\d+),(\d+)\}|\+)\$")


def digit_edges(pattern: str) -> list[str]:
    """The edges of a decimal id written as text, for a pattern of digits; [] for others."""
    found = _DIGITS.fullmatch(pattern)
    if found is None:
        return []
    longest = int(found.group(3)) if found.group(3) else 20
    values = ["0", "1", "9" * longest, "0" * longest, "0" * (longest - 1) + "1", "10"]
    if found.group(1):
        values += ["-1", "-" + "9" * longest, "-0"]
    return [value for value in values if re.fullmatch(pattern, value)]


def _integer(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "integer" in kinds


def with_edges(schema: Any) -> Any:
    """`schema` with every integer and decimal-id sub-schema also drawing its edges."""
    if isinstance(schema, list):
        return [with_edges(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    rewritten = {key: with_edges(value) for key, value in schema.items()}
    if "enum" in schema or "const" in schema or "$ref" in schema:
        return rewritten
    edges: list[Any] = []
    if _integer(schema):
        low = schema.get("minimum")
        high = schema.get("maximum")
        if "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + 1
        if "exclusiveMaximum" in schema:
            high = schema["exclusiveMaximum"] - 1
        edges += integer_edges(low, high)
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and "string" in str(schema.get("type")):
        edges += [
            value
            for value in digit_edges(pattern)
            if len(value) <= schema.get("maxLength", len(value))
            and len(value) >= schema.get("minLength", 0)
        ]
    valid = _valid_of(rewritten) if edges else None
    edges = [edge for edge in edges if valid is not None and valid(edge)]
    if not edges:
        return rewritten
    return {"anyOf": [rewritten, {"enum": edges}]}


def _valid_of(schema: dict[str, Any]) -> Any:
    """The schema's own check (its other keywords, combinators included), so only values it
    takes are added; None when it cannot be checked alone (it refers elsewhere)."""
    try:
        return jsonschema_rs.validator_for(schema, validate_formats=False).is_valid
    except (ValueError, jsonschema_rs.ReferencingError, jsonschema_rs.ValidationError):
        return None


def request_parts_with_edges(document: dict[str, Any]) -> None:
    """Rewrite, in place, the schemas of every operation's parameters and JSON request bodies,
    and of the components they refer to (requests and answers share some: the edges are
    valid values, so an answer is judged the same)."""
    components = document.get("components", {})
    for name in ("schemas", "parameters", "requestBodies"):
        for key, value in list(components.get(name, {}).items()):
            components[name][key] = with_edges(value)
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method == "parameters":
                item[method] = with_edges(operation)
                continue
            if not isinstance(operation, dict):
                continue
            if "parameters" in operation:
                operation["parameters"] = with_edges(operation["parameters"])
            if "requestBody" in operation:
                operation["requestBody"] = with_edges(operation["requestBody"])


@functools.cache
def register() -> None:
    """The format strategies and the schema hook, once for the process."""
    for name, strategy in FORMATS.items():
        schemathesis.openapi.format(name, strategy)

    @schemathesis.hook
    def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
        request_parts_with_edges(raw_schema)
