"""Vendor error codes: every error class is raised somewhere (no dead classes), and every code
a document declares for a field (`x-sandbox-error-code`) has Capillary's numeric form."""

from __future__ import annotations

import functools
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox import errors
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


def declared_codes(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if "x-sandbox-error-code" in node:
            found.add(str(node["x-sandbox-error-code"]))
        for value in node.values():
            found |= declared_codes(value)
    elif isinstance(node, list):
        for value in node:
            found |= declared_codes(value)
    return found


def test_every_declared_code_is_a_capillary_code() -> None:
    declared = declared_codes(yaml.safe_load((OPENAPI / "capillary.yaml").read_text()))
    assert declared, "capillary.yaml declares its validation codes"
    assert all(code.isdigit() and 100 <= int(code) <= 9999 for code in declared), declared
