"""The control plane's document, completed with the vendors the app runs.

openapi/sandbox.yaml names the built-in vendors; a schema marked `x-sandbox-vendors` is
completed with whichever vendors the app was given: `names` makes its enum their names,
`{each: SCHEMA}` gives it a property per vendor, `scheduling` makes its enum the vendors that
deliver scheduled items, `work` gives a scheduled item the `work` schema of its vendor
(`Vendor.scheduled_work`); and the tenant document (`Fixture`) gains a section per vendor with
a fixture, with that vendor's own schema. An operation marked `x-sandbox-vendor: <name>` (a
vendor's own control-plane operation) is removed when the app does not run that vendor.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sandbox.openapi import HTTP_METHODS
from sandbox.vendor import Vendor

MARK = "x-sandbox-vendors"
OWNER = "x-sandbox-vendor"


def complete(document: dict[str, Any], vendors: Sequence[Vendor]) -> None:
    names = [vendor.name for vendor in vendors]
    for item in document["paths"].values():
        for method in HTTP_METHODS:
            owner = (item.get(method) or {}).get(OWNER)
            if owner is not None and owner not in names:
                del item[method]
    for node in _objects(document):
        mark = node.get(MARK)
        if mark == "names":
            node["enum"] = list(names)
        elif mark == "scheduling":
            node["enum"] = [vendor.name for vendor in vendors if vendor.deliver_due is not None]
        elif mark == "work":
            node["allOf"] = [_work_of(vendor) for vendor in vendors if vendor.scheduled_work]
        elif isinstance(mark, dict) and "each" in mark:
            properties = node.setdefault("properties", {})
            for name in names:
                properties.setdefault(name, mark["each"])
    sections = document["components"]["schemas"]["Fixture"]["properties"]
    for vendor in vendors:
        if vendor.fixture is not None and vendor.name not in sections:
            sections[vendor.name] = dict(vendor.fixture.schema or {"type": "object"})


def _work_of(vendor: Vendor) -> dict[str, Any]:
    """A scheduled item of `vendor` keeps the work that vendor's schema describes."""
    return {
        "if": {"required": ["vendor"], "properties": {"vendor": {"const": vendor.name}}},
        "then": {"properties": {"work": dict(vendor.scheduled_work or {})}},
    }


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)
