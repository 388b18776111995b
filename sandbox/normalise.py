"""How identifiers are compared: the same person written two ways is the same recipient.

Each function returns its argument itself when it is already in normal form, so indexes
share the stored string instead of holding a copy.
"""

from __future__ import annotations

import re
from typing import Any

_NON_DIGITS = re.compile(r"\D+")
_PHONE = re.compile(r"^\+?[0-9 ().-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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


def e164(value: Any) -> str:
    """A phone number as E.164 writes it: '+' and the digits ('52 55 0000-0000' ->
    '+525500000000')."""
    return "+" + phone(value)


def is_phone(value: Any) -> bool:
    """Country code and number, 8 to 15 digits (E.164's limit); blanks, dots, dashes,
    parentheses and a leading + allowed."""
    text = str(value).strip()
    return bool(_PHONE.match(text)) and 8 <= len(phone(text)) <= 15


def is_email(value: Any) -> bool:
    return bool(_EMAIL.match(str(value).strip()))
