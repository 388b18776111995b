"""An import's CSV, read into contact rows (run in a worker thread: it touches no shared
state). The first line names the columns; ContactDTO names are the contact's fields
(case-insensitive), any other column is a contact property. A bad row is a Problem and the
others are kept; only a file that cannot be read at all (no usable first line) is refused.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sandbox import normalise
from sandbox.errors import InvalidInput
from sandbox.vendors.symplify.addresses import read_address

# a CSV column (lower case) -> the contact's stored field
FIELDS = {
    "originalid": "original_id",
    "emailaddress": "email",
    "email": "email",
    "mobilenumber": "mobile",
    "mobile": "mobile",
    "firstname": "firstname",
    "lastname": "lastname",
    "unsubscribed": "unsubscribed",
    "mobileunsubscribed": "mobile_unsubscribed",
}
FLAGS = frozenset({"unsubscribed", "mobile_unsubscribed"})
# the columns that hold an address, read as the contacts API reads them
ADDRESSES = frozenset({"email", "mobile"})
TRUE = frozenset({"true", "1", "yes", "y"})
FALSE = frozenset({"false", "0", "no", "n", ""})
MAX_LENGTH = {"original_id": 200, "email": 320, "mobile": 32, "firstname": 200, "lastname": 200}
MAX_PROPERTY = 10_000  # characters of a property's value
MAX_PROPERTY_NAME = 200
MAX_PROPERTIES = 200  # properties a contact may carry (what a snapshot loads back)
MAX_COLUMNS = 200
REPORTED = 1000  # rows left out that are kept to report (all of them are counted)
# Java's names for the encodings an import may declare (Symplify's API is Java's), as the
# document lists them
ENCODINGS = {
    "UTF8": "utf-8",
    "UTF-8": "utf-8",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "ISO-8859-1": "latin-1",
    "ISO8859_1": "latin-1",
    "LATIN1": "latin-1",
    "ISO-8859-15": "iso-8859-15",
    "ISO8859_15": "iso-8859-15",
    "Cp1252": "cp1252",
    "windows-1252": "cp1252",
}
_UNDECODED = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of a bad byte


@dataclass(frozen=True, slots=True)
class Problem:
    """A row the import leaves out: its line in the file, the column (or "row"), and why."""

    line: int
    column: str
    message: str


@dataclass
class Rows:
    """The file's rows, one per originalId (a later row of the same originalId replaces an
    earlier one), in the order each originalId first appears."""

    # originalId -> (its row's fields, the row's line in the file), until `done`
    contacts: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # the first REPORTED rows left out
    failed: int = 0  # rows left out, all of them
    seen: int = 0  # data rows in the file, bad ones included
    properties: tuple[str, ...] = ()  # the columns that are contact properties, in file order
    # the originalIds of rows left out, where they could be read: a REPLACE keeps them
    named_bad: set[str] = field(default_factory=set)
    ordered: list[dict[str, Any]] = field(default_factory=list)  # `contacts`' values, by `done`
    lines: list[int] = field(default_factory=list)  # each ordered row's line in the file

    def left_out(self, problem: Problem, values: list[str] | None = None, at: int = -1) -> None:
        self.failed += 1
        if len(self.problems) < REPORTED:
            self.problems.append(problem)
        if values is not None and 0 <= at < len(values) and values[at].strip():
            self.named_bad.add(values[at].strip())

    def done(self) -> None:
        """The rows as one list, the lookup let go (built here, in the worker)."""
        self.ordered = [row for row, _ in self.contacts.values()]
        self.lines = [line for _, line in self.contacts.values()]
        self.contacts.clear()


def delimiter_of(value: str | float) -> str:
    """An import's `delimiter`: the character's code as text ("44" is a comma), as sbcommons
    sends it, or as a number. Refused unless it is a tab or a printable ASCII character other
    than the quote (what a CSV can split on)."""
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))  # 44.0 is JSON's 44
    digits = text.isascii() and text.isdigit()
    char = chr(int(text)) if digits and int(text) < 0x80 else None
    if char is None or char == '"' or not (char.isprintable() or char == "\t"):
        raise InvalidInput(
            f"delimiter: {value!r} is not the code of a delimiter character (e.g. \"44\" for ',', "
            '"59" for \';\', "124" for \'|\', "9" for a tab)',
            field="delimiter",
        )
    return char


def codec_of(encoding: str) -> str:
    codec = ENCODINGS.get(encoding)
    if codec is None:
        raise InvalidInput(
            f"encoding: {encoding!r} is not one of {', '.join(sorted(set(ENCODINGS)))}",
            field="encoding",
        )
    return codec


def read(raw: bytes, delimiter: str, codec: str) -> Rows:
    """The CSV's contact rows; InvalidInput when its first line is unusable. Run in a worker
    thread, it makes no long call that holds the GIL (the event loop serves requests
    meanwhile): the text is split line by line, not by one call over megabytes."""
    try:
        text, clean = raw.decode(codec), True
    except UnicodeDecodeError:  # bytes not in the encoding: the rows holding them are bad
        text, clean = raw.decode(codec, "surrogateescape"), False
    first = 1 if text.startswith("\ufeff") else 0  # a byte-order mark, skipped (not copied)
    reader = csv.reader(_lines(text, first), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidInput(
            f"body: the CSV's first line cannot be read: {exc}", field="body"
        ) from None
    if header is None or not any(name.strip() for name in header):
        raise InvalidInput(
            "body: the CSV is empty; its first line must name the columns (originalId, "
            "emailAddress, mobileNumber, ...)",
            field="body",
        )
    columns = _columns(header, clean)
    rows = Rows(properties=tuple(key for _, stored, key in columns if stored == "properties"))
    width = len(columns)
    at = next(i for i, (_, stored, _) in enumerate(columns) if stored == "original_id")
    while True:
        try:
            values = next(reader, None)
        except csv.Error as exc:  # e.g. a field past the reader's size limit
            rows.seen += 1
            rows.left_out(Problem(reader.line_num, "row", f"line {reader.line_num}: {exc}"))
            continue
        if values is None:
            break
        if not values or (len(values) == 1 and not values[0].strip()):
            continue  # a blank line
        rows.seen += 1
        line = reader.line_num
        if len(values) != width:
            problem = Problem(
                line, "row", f"line {line} has {len(values)} fields; the header has {width}"
            )
            rows.left_out(problem, values, at)
            continue
        if not clean and _UNDECODED.search("".join(values)):
            rows.left_out(Problem(line, "row", f"line {line} is not valid {codec}"), values, at)
            continue
        contact = _contact(values, columns, line)
        if isinstance(contact, Problem):
            rows.left_out(contact, values, at)
            continue
        rows.contacts[contact["original_id"]] = (contact, line)
    rows.done()
    return rows


def _lines(text: str, start: int = 0) -> Iterator[str]:
    """The text's lines from `start`, with their ends, one slice at a time (lines may end in
    \\n or \\r\\n; a file whose lines end in \\r alone is split there)."""
    end_of_line = "\n" if "\n" in text or "\r" not in text else "\r"
    size = len(text)
    while start < size:
        end = text.find(end_of_line, start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _columns(header: list[str], clean: bool) -> list[tuple[str, str, str]]:
    """Each column as (its name in the file, the stored field or "properties", its key)."""
    if not clean and _UNDECODED.search("".join(header)):
        raise InvalidInput("body: the CSV's first line is not valid text", field="body")
    if len(header) > MAX_COLUMNS:
        raise InvalidInput(
            f"body: the CSV has {len(header)} columns; at most {MAX_COLUMNS}", field="body"
        )
    columns: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()  # ("field", stored name) or ("property", its name)
    for position, given in enumerate(header, 1):
        name = given.strip()
        stored = FIELDS.get(name.lower())
        kind = ("field", stored) if stored else ("property", name)
        if not name or kind in seen or len(name) > MAX_PROPERTY_NAME:
            what = (
                "has no name"
                if not name
                else f"is named longer than {MAX_PROPERTY_NAME} characters"
                if len(name) > MAX_PROPERTY_NAME
                else f"({name!r}) is named twice"
            )
            raise InvalidInput(f"body: the CSV's column {position} {what}", field="body")
        seen.add(kind)
        columns.append((name, stored or "properties", stored or name))
    if ("field", "original_id") not in seen:
        found = ", ".join(name for name, _, _ in columns[:10])
        more = f", ... ({len(columns)} columns)" if len(columns) > 10 else ""
        raise InvalidInput(
            f"originalId: the CSV's first line ({found}{more}) has no originalId column, the "
            "import's identityColumn",
            field="originalId",
        )
    return columns


def _contact(values: list[str], columns: list[tuple[str, str, str]], line: int) -> Any:
    """A row's fields (None: an empty cell, which clears the field), or its Problem."""
    contact: dict[str, Any] = {}
    properties: dict[str, str | None] = {}
    for cell, (name, stored, key) in zip(values, columns, strict=True):
        value = cell.strip()
        if stored == "properties":
            if len(value) > MAX_PROPERTY:
                return Problem(line, name, f"{name}: longer than {MAX_PROPERTY} characters")
            properties[key] = value or None
            continue
        if stored in FLAGS:
            lowered = value.lower()
            if lowered not in TRUE and lowered not in FALSE:
                return Problem(line, name, f"{name}: {value!r} is not true or false")
            contact[stored] = lowered in TRUE
            continue
        if len(value) > MAX_LENGTH[stored]:
            return Problem(line, name, f"{name}: longer than {MAX_LENGTH[stored]} characters")
        if stored in ADDRESSES and value:
            try:
                value = read_address(stored, value, name) or ""
            except normalise.Unreadable as unreadable:
                return Problem(line, name, unreadable.message)
        contact[stored] = value or None
    if not contact["original_id"]:
        return Problem(line, "originalId", "originalId: empty (every row needs one)")
    if properties:
        contact["properties"] = properties
    return contact
