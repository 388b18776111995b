"""How identifiers are compared: the same person written two ways is the same recipient.

Each function returns its argument itself when it is already in normal form, so indexes
share the stored string instead of holding a copy.
"""

from __future__ import annotations

import re
from typing import Any

_NON_DIGITS = re.compile(r"\D+")


def phone(value: Any) -> str:
    """Digits only: '+52 55 0000-0000' and '525500000000' are the same number."""
    text = str(value)
    digits = _NON_DIGITS.sub("", text)
    return text if digits == text else digits


def email(value: Any) -> str:
    """E-mail addresses compare case-insensitively, surrounding blanks ignored."""
    text = str(value)
    folded = text.strip().lower()
    return text if folded == text else folded


def text(value: Any) -> str:
    return str(value).strip()
