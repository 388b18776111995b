"""Vendor error codes have one source of truth, Capillary's catalogue (`MESSAGES` in
sandbox/vendors/capillary/errors.py): every code a document declares for a field
(`x-sandbox-error-code`) or a handler raises is in it, every code in it is declared or raised,
and every error class is raised somewhere (no dead classes)."""

from __future__ import annotations

import functools
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox import errors
from sandbox.vendors.capillary import communications
from sandbox.vendors.capillary import errors as capillary_errors

SANDBOX = Path(__file__).resolve().parents[1] / "sandbox"
OPENAPI = Path(__file__).resolve().parents[1] / "openapi"
MODULES = [errors, capillary_errors]


def error_classes() -> list[tuple[str, type[errors.ApiError]]]:
    return [
        (name, value)
        for module in MODULES
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, errors.ApiError)
        and value.__module__ == module.__name__
    ]


@functools.cache
def sources() -> str:
    return "\n".join(path.read_text() for path in SANDBOX.rglob("*.py"))


@pytest.mark.parametrize(("name", "cls"), error_classes(), ids=lambda v: getattr(v, "__name__", v))
def test_every_error_class_is_used(name: str, cls: type[errors.ApiError]) -> None:
    uses = len(re.findall(rf"\b{name}\b", sources()))
    definitions = 1 + len(re.findall(rf"\({name}\)", sources()))  # itself, and its subclasses'
    assert uses > definitions or any(
        issubclass(other, cls) and other is not cls for _, other in error_classes()
    ), f"{name} is never raised: remove it, or raise it where the vendor answers it"


def declared_codes(node: Any) -> set[int]:
    found: set[int] = set()
    if isinstance(node, dict):
        if "x-sandbox-error-code" in node:
            found.add(node["x-sandbox-error-code"])
        for value in node.values():
            found |= declared_codes(value)
    elif isinstance(node, list):
        for value in node:
            found |= declared_codes(value)
    return found


def raised_codes() -> set[int]:
    """The codes Capillary's handlers raise: each error class's, each list channel's (v2 and
    v1.1). A class's code missing from the catalogue already fails at import
    (`CapillaryError.__init_subclass__` looks it up): the list channels are what this adds."""
    classes: set[type[errors.ApiError]] = set()
    pending: list[type[errors.ApiError]] = [errors.ApiError]
    while pending:
        cls = pending.pop()
        classes.add(cls)
        pending.extend(cls.__subclasses__())
    codes = {
        cls.code
        for cls in classes
        if cls.__module__.startswith("sandbox.vendors.capillary") and isinstance(cls.code, int)
    }
    return codes | {
        spec.invalid_code
        for spec in [
            *communications.LISTS.values(),
            *communications.V11_LISTS.values(),
            communications.WECHAT,
        ]
    }


@functools.cache
def capillary_declared() -> set[int]:
    return declared_codes(yaml.safe_load((OPENAPI / "capillary.yaml").read_text()))


def test_every_code_a_document_declares_has_its_message_written_once() -> None:
    declared = capillary_declared()
    assert len(declared) > 30, "capillary.yaml declares its validation codes"
    assert all(isinstance(code, int) for code in declared), declared
    assert declared - capillary_errors.MESSAGES.keys() == set()


def test_every_code_a_handler_raises_has_its_message_written_once() -> None:
    assert raised_codes() - capillary_errors.MESSAGES.keys() == set()


def test_every_written_code_is_declared_or_raised() -> None:
    unused = capillary_errors.MESSAGES.keys() - capillary_declared() - raised_codes()
    assert unused == set(), f"{unused}: no document declares them and no handler raises them"


def test_an_error_class_takes_its_message_from_the_catalogue() -> None:
    for cls in (capillary_errors.CustomerNotFound, capillary_errors.InvalidOtpChannel):
        assert cls().message == capillary_errors.MESSAGES[int(cls.code)]  # type: ignore[arg-type]


def test_no_document_writes_a_message_of_its_own() -> None:
    for path in OPENAPI.glob("*.yaml"):
        assert "x-sandbox-error-message" not in path.read_text(), path.name
