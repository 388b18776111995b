"""How addresses are read and compared: the same person written two ways is one recipient.

Two kinds of functions, one normal form:

- **readers** (`read_phone`, `read_email`, `read_sender`) take what a request or a tenant
  document gives and answer the address as the sandbox stores it, or raise `Unreadable` (a 400
  naming the field) for what cannot be read: an invisible character, a malformed address, a
  national number with no country to read it in.
- **keys** (`phone`, `email`, `text`) give the canonical form of a value already stored, by
  this release or an earlier one. They never raise, and the collections' indexes use them
  (`CollectionSpec.normalise` and `derived` in the vendors' collections.py), so a lookup is
  one dictionary lookup whatever the spelling.

A mobile number's normal form is its digits with the country code (E.164 without the `+`:
`919353491050`); an e-mail address's is the address lower-cased, without its display name,
angle brackets or the trailing dot of its domain, its domain in Unicode (`xn--` labels
decoded). Each key function returns its argument itself when it is already in normal form, so
indexes share the stored string instead of holding a copy.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any, NamedTuple

from sandbox.calling_codes import COUNTRIES, MAIN_COUNTRY
from sandbox.errors import InvalidInput

# E.164: a country code and a number, 15 digits at most; the sandbox takes 8 at least
MIN_DIGITS, MAX_DIGITS = 8, 15
# what may separate a number's digits: spaces (no-break and thin ones too), dashes, dots and
# parentheses, as people write numbers
_SEPARATORS = dict.fromkeys(
    map(ord, " \u00a0\u2009\u202f.-()\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), None
)
# `+44 (0) 20 ...`: the trunk prefix in parentheses after the country code, not dialled from
# abroad
_TRUNK_IN_PARENS = re.compile(r"\(\s*0\s*\)")
_NON_DIGITS = re.compile(r"[^0-9]+")
# `Jane Doe <jane@example.com>` or `<jane@example.com>`
_ANGLE = re.compile(r"[^<>]*<([^<>]*)>")


class Unreadable(InvalidInput):
    """An address or sender that cannot be read: a 400 naming the field, in the envelope of
    the operation that read it; nothing is changed."""


class Country(NamedTuple):
    """What a national number is read with: a tenant's default country."""

    code: str  # ISO 3166-1 alpha-2
    calling: str  # its calling code, digits
    trunk: str  # its trunk prefix ("" none): `0` in India, `1` in the US, `8` in Russia
    international: tuple[str, ...]  # the prefixes that start an international number
    lengths: tuple[int, ...]  # a mobile number's lengths without the calling code


@cache
def country(value: Any) -> Country | None:
    """The country named by its ISO code (`IN`, any case) or its calling code (`91`, `+91`:
    the country that code's numbering plan is read in); None when it names none."""
    text = str(value).strip().upper().removeprefix("+")
    code = _BY_CALLING_CODE.get(text) if text.isdigit() else text
    facts = COUNTRIES.get(code or "")
    if code is None or facts is None:
        return None
    calling, trunk, international, lengths = facts
    prefixes = {"00", international} - {""}
    return Country(code, calling, trunk, tuple(sorted(prefixes, key=len, reverse=True)), lengths)


def _by_calling_code() -> dict[str, str]:
    found: dict[str, str] = {}
    for code, (calling, *_) in COUNTRIES.items():
        found.setdefault(calling, code)
    return {**found, **MAIN_COUNTRY}


_BY_CALLING_CODE = _by_calling_code()


# --- mobile numbers ------------------------------------------------------------------------
def read_phone(value: Any, field: str, within: Country | None = None) -> str:
    """A phone number as written (`+91 93534-91050`, `0091 9353491050`, `(0)9353491050` with
    a default country) -> its digits with the country code (`919353491050`). A number with
    no international prefix is read as written with its country code (Capillary's
    `91xxxxxxxxxx`), unless it starts with the trunk prefix of `within`, the tenant's default
    country: then it is a national number of that country. Raises Unreadable naming `field`."""
    text = value if type(value) is str else str(value)
    if (
        text.isdigit()
        and text.isascii()
        and MIN_DIGITS <= len(text) <= MAX_DIGITS
        and text[0] != "0"
        and (within is None or not within.trunk or not text.startswith(within.trunk))
    ):
        return text  # already digits with the country code: the common case, as is
    digits, problem = _digits(text, within)
    if problem is not None:
        raise Unreadable(f"{field}: {text!r} is not a phone number: {problem}", field=field)
    return digits


def phone(value: Any) -> str:
    """The key of a stored phone number: `read_phone`'s digits when it can be read (with no
    default country), else its digits as earlier releases kept them."""
    text = value if type(value) is str else str(value)
    if text.isdigit() and text.isascii() and not text.startswith("00"):
        return text  # already digits with the country code: the common case
    digits, problem = _digits(text, None)
    return _NON_DIGITS.sub("", text) if problem is not None else digits


def _digits(text: str, within: Country | None) -> tuple[str, str | None]:
    """(the digits with the country code, None), or ("", why it cannot be read)."""
    written = text.strip()
    prefixes = within.international if within is not None else ("00",)
    international = written.startswith(("+", *prefixes))
    if international and "(" in written:
        written = _TRUNK_IN_PARENS.sub("", written, count=1)
    compact = written.translate(_SEPARATORS)
    plus = compact.startswith("+")
    digits = compact[1:] if plus else compact
    if not (digits.isascii() and digits.isdigit()):
        odd = next((c for c in digits if not "0" <= c <= "9"), None)
        if odd is None:
            return "", "it has no digits"
        return "", (
            f"it has {_describe(odd)}; a phone number is digits, spaces, dashes, dots, "
            "parentheses and a leading +"
        )
    if not plus:
        prefix = next((p for p in prefixes if digits.startswith(p)), None)
        if prefix is not None:
            digits = digits[len(prefix) :]
        elif within is not None:
            digits = _national(digits, within)
    if international and digits.startswith("0"):
        return "", "no country code starts with 0 (after the international prefix)"
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return "", (
            f"it has {len(digits)} digits; a number with its country code has "
            f"{MIN_DIGITS} to {MAX_DIGITS}"
        )
    return digits, None


def _national(digits: str, within: Country) -> str:
    """Digits written without an international prefix, read in the tenant's country: after
    its trunk prefix, a national number (`09353491050` -> `919353491050`), or the whole
    number with its calling code written after a superfluous trunk prefix (`0919353491050`,
    when what follows `0 91` has the length of that country's mobile numbers); without it, a
    number with its country code, as written. A country with no trunk prefix whose numbers
    start with 0 (Italy) is read as national too."""
    trunk, calling = within.trunk, within.calling
    if trunk and digits.startswith(trunk):
        national = digits[len(trunk) :]
        if national.startswith(calling) and len(national) - len(calling) in within.lengths:
            return national
        return calling + national
    if digits.startswith("0"):
        return calling + digits
    return digits


# --- e-mail addresses ----------------------------------------------------------------------
def read_email(value: Any, field: str) -> str:
    """An e-mail address as written -> the address as the sandbox stores it: trimmed, the
    address inside `Name <...>` or `<...>`, without the trailing dot of a fully qualified
    domain; its case kept (the key compares without case). An invisible character (zero-width
    space or joiner, BOM, soft hyphen, bidi controls: any Unicode control or format
    character), a space inside, or anything that is not one address raises Unreadable naming
    `field`."""
    text = value if type(value) is str else str(value)
    address, problem = _address(text)
    if problem is not None:
        raise Unreadable(f"{field}: {text!r} is not an e-mail address: {problem}", field=field)
    return address


def email(value: Any) -> str:
    """The key of a stored e-mail address: lower-cased (local part too: no provider the
    vendors deliver to tells `Ann` from `ann`, and for suppression a false match is safer
    than a missed one), trimmed, without display name, angle brackets or the domain's
    trailing dot, `xn--` labels decoded."""
    text = value if type(value) is str else str(value)
    key = text.strip().lower()
    if "<" in key:
        inside = _ANGLE.fullmatch(key)
        key = inside[1].strip() if inside else key
    if key.endswith("."):
        key = key[:-1]
    if "xn--" in key:
        key = _unicode_domain(key)
    return text if key == text else key


def _address(text: str) -> tuple[str, str | None]:
    """(the address as stored, None), or ("", why it is not one address)."""
    written = text.strip()
    if not written.isprintable():
        odd = next(c for c in written if not c.isprintable())
        return "", f"it has {_describe(odd)}"
    if "<" in written or ">" in written:
        inside = _ANGLE.fullmatch(written)
        if inside is None:
            return "", "its angle brackets do not enclose one address (Name <address>)"
        written = inside[1].strip()
    local, _, domain = written.rpartition("@")
    domain = domain[:-1] if domain.endswith(".") else domain
    labels = domain.split(".")
    if not local or "@" in local or " " in written or len(labels) < 2 or not all(labels):
        return "", "an address is local-part@domain.tld, without spaces"
    return f"{local}@{domain}", None


def _unicode_label(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return label[4:].encode("ascii").decode("punycode")
        except UnicodeError:
            pass  # not punycode after all: compared as written
    return label


def _unicode_domain(address: str) -> str:
    """`user@xn--bcher-kva.de` -> `user@bücher.de`: the domain's punycode labels decoded,
    so both spellings of an internationalised domain are one key."""
    local, _, domain = address.rpartition("@")
    labels = [_unicode_label(label) for label in domain.split(".")]
    return f"{local}@{'.'.join(labels)}"


# --- senders and other identifiers ---------------------------------------------------------
def read_sender(value: Any, field: str) -> str:
    """A sender (Messangi's `from`, a short code, an alphanumeric id, an address) as written
    -> trimmed; an empty one or one with an invisible character raises Unreadable naming
    `field`. Senders otherwise compare exactly (`528811` and `52881` are two senders)."""
    text = value if type(value) is str else str(value)
    sender = text.strip()
    if not sender:
        raise Unreadable(f"{field}: {text!r} is not a sender: it is blank", field=field)
    if not sender.isprintable():
        odd = next(c for c in sender if not c.isprintable())
        raise Unreadable(f"{field}: {text!r} is not a sender: it has {_describe(odd)}", field=field)
    return sender


def read_optional_sender(value: Any, field: str) -> str | None:
    """`read_sender` for a sender a vendor does not require (Capillary's): None or a blank
    one is no sender."""
    if value is None or not str(value).strip():
        return None
    return read_sender(value, field)


def text(value: Any) -> str:
    """The key of a stored identifier compared as written (an external id, a sender)."""
    given = value if type(value) is str else str(value)
    stripped = given.strip()
    return given if stripped == given else stripped


def _describe(char: str) -> str:
    """`an invisible character U+200B (ZERO WIDTH SPACE)`, `the character '#'`."""
    name = unicodedata.name(char, "")
    named = f"U+{ord(char):04X}" + (f" ({name})" if name else "")
    if unicodedata.category(char)[0] in "CZ" and char != " ":
        return f"an invisible character {named}"
    return f"the character {char!r}" if char != " " else "a space inside"
