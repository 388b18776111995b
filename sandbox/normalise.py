"""How identifiers are compared: the same person written two ways is the same recipient."""

from __future__ import annotations

import re
from typing import Any

_NON_DIGITS = re.compile(r"\D+")


def phone(value: Any) -> str:
    """Digits only: '+52 55 0000-0000' and '525500000000' are the same number."""
    return _NON_DIGITS.sub("", str(value))


def email(value: Any) -> str:
    """E-mail addresses compare case-insensitively, surrounding blanks ignored."""
    return str(value).strip().lower()


def text(value: Any) -> str:
    return str(value).strip()
