"""The values an enumerated outbox filter takes (`--status`, `--channel`, `--vendor`,
`--reason`, `--category`), as the control plane's OpenAPI document declares them for
`listOutbox`, for the command line: shown in its help, and matched without regard to case
(`--status suppressed` is `SUPPRESSED`). Read on first use: `comms-sandbox health`, run by a
container every few seconds, never parses the document."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from functools import cache
from typing import Any

OPERATION = "listOutbox"


@cache
def declared() -> dict[str, tuple[str, ...]]:
    """Each enumerated query parameter of listOutbox and its values, in the document's order."""
    import yaml

    from sandbox.resources import openapi_dir

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with (openapi_dir() / "sandbox.yaml").open("rb") as handle:
        document = yaml.load(handle, Loader=loader)
    schemas = document["components"]["schemas"]
    for item in document["paths"].values():
        get = item.get("get") or {}
        if get.get("operationId") == OPERATION:
            found: dict[str, tuple[str, ...]] = {}
            for parameter in get.get("parameters", ()):
                schema = parameter.get("schema", {})
                if "$ref" in schema:  # '#/components/schemas/Name'
                    schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
                if "enum" in schema:
                    found[parameter["name"]] = tuple(schema["enum"])
            return found
    raise LookupError(f"the control plane's document declares no {OPERATION}")


class Choices:
    """The values of one filter, for argparse's `choices` and `type`: read from the document
    only when argparse needs them (the help printed, or the option given)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def values(self) -> tuple[str, ...]:
        return declared().get(self.name, ())

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __contains__(self, value: object) -> bool:
        return value in self.values

    def __call__(self, given: str) -> str:
        """The declared value `given` names in any case; else `given` as it is (argparse
        then refuses it, listing the values)."""
        wanted = given.strip().casefold()
        for value in self.values:
            if value.casefold() == wanted:
                return value
        return given


def add_filter(group: argparse._ArgumentGroup, name: str, meaning: str) -> None:
    """`--name` for the outbox filter `name`; an enumerated one takes its values in any case."""
    flag = f"--{name.replace('_', '-')}"
    if name in ENUMERATED:
        choices = Choices(name)
        group.add_argument(flag, dest=name, type=choices, choices=choices, help=meaning)
    else:
        group.add_argument(flag, dest=name, help=meaning)


# the filters the document declares with an enum (tests/test_cli.py checks this against it):
# known without reading the document, so that building the parser reads nothing
ENUMERATED = ("vendor", "channel", "status", "reason", "category")
