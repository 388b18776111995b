"""An import's CSV, read into contact rows (run in a worker thread: it touches no shared
state). The first line names the columns; ContactDTO names are the contact's fields
(case-insensitive), any other column is a contact property. A bad row is a Problem and the
others are kept; only a file that cannot be read at all (no usable first line), or one past
the limits (MAX_ROWS data rows, MAX_BYTES), is refused.

The file is read a line at a time from its bytes (never decoded whole), and each row is kept
as one tuple of its cells, the strings the stored contact will hold (329 bytes a row with its
strings, where a dict a row and a prepared contact took 1,117); the body is let go once read
(sandbox/vendors/symplify/imports.py), so an import's peak is what it stores (RSS figures:
bench/import_memory.py).
"""

from __future__ import annotations

import csv
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sandbox import normalise
from sandbox.errors import InvalidInput, PayloadTooLarge
from sandbox.vendors.symplify.addresses import read_address
from sandbox.vendors.symplify.flags import OPT_OUTS

# a CSV column (lower case) -> the contact's stored field
FIELDS = {
    "originalid": "original_id",
    "emailaddress": "email",
    "email": "email",
    "mobilenumber": "mobile",
    "mobile": "mobile",
    "firstname": "firstname",
    "lastname": "lastname",
    **{flag.dto.lower(): flag.stored for flag in OPT_OUTS.values()},
}
# the columns that set an opt-out (true/false): a bounce is declared, never imported
OPT_OUT_COLUMNS = frozenset(flag.stored for flag in OPT_OUTS.values())
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
# an import's bounds: data rows in its file (bad ones included), and the file's bytes. An
# import's contacts cost ~1.5 KB each in memory, so 100,000 is what the project's memory
# target holds (100,000 customers and a full outbox under 300 MB); a larger list is several
# imports. The body is held while it is read: MAX_BYTES bounds that, and what rows can store.
MAX_ROWS = 100_000
MAX_BYTES = 32 * 1024 * 1024
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


# a column: (its name in the file, the stored field or "properties", its key)
Column = tuple[str, str, str]


@dataclass
class Rows:
    """The file's rows, one per originalId (a later row of the same originalId replaces an
    earlier one), in the order each originalId first appears, each as one tuple of its cells
    (`fields` makes the contact's fields of one, once)."""

    columns: tuple[Column, ...] = ()
    # each originalId's row: its cells as stored (None: empty, which clears the field);
    # None once taken
    kept: list[tuple[Any, ...] | None] = field(default_factory=list)
    lines: array[int] = field(default_factory=lambda: array("L"))  # each kept row's line
    places: dict[str, int] = field(default_factory=dict)  # originalId -> its place in `kept`
    problems: list[Problem] = field(default_factory=list)  # the first REPORTED rows left out
    failed: int = 0  # rows left out, all of them
    seen: int = 0  # data rows in the file, bad ones included
    properties: tuple[str, ...] = ()  # the columns that are contact properties, in file order
    # the originalIds of rows left out, where they could be read: a REPLACE keeps them
    named_bad: set[str] = field(default_factory=set)

    def keep(self, cells: tuple[Any, ...], original_id: str, line: int) -> None:
        place = self.places.get(original_id)
        if place is None:
            self.places[original_id] = len(self.kept)
            self.kept.append(cells)
            self.lines.append(line)
        else:
            self.kept[place] = cells
            self.lines[place] = line

    def left_out(self, problem: Problem, values: list[str] | None = None, at: int = -1) -> None:
        self.failed += 1
        if len(self.problems) < REPORTED:
            self.problems.append(problem)
        if values is not None and 0 <= at < len(values) and values[at].strip():
            self.named_bad.add(values[at].strip())

    def take(self, place: int) -> dict[str, Any]:
        """The contact fields of the row at `place` (the tuple is let go)."""
        cells = self.kept[place]
        assert cells is not None, f"row {place} was taken already"
        self.kept[place] = None
        contact: dict[str, Any] = {}
        properties: dict[str, Any] = {}
        for (_, stored, key), value in zip(self.columns, cells, strict=True):
            if stored == "properties":
                properties[key] = value
            else:
                contact[stored] = value
        if properties:
            contact["properties"] = properties
        return contact


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
    """The CSV's contact rows; InvalidInput when its first line is unusable, PayloadTooLarge
    past MAX_ROWS. Run in a worker thread, it makes no long call that holds the GIL (the
    event loop serves requests meanwhile): the bytes are split and decoded line by line."""
    lines = _Lines(raw, codec)
    reader = csv.reader(lines, delimiter=delimiter)
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
    columns = _columns(header, lines.clean)
    rows = Rows(
        columns=tuple(columns),
        properties=tuple(key for _, stored, key in columns if stored == "properties"),
    )
    width = len(columns)
    at = next(i for i, (_, stored, _) in enumerate(columns) if stored == "original_id")
    while True:
        try:
            values = next(reader, None)
        except csv.Error as exc:  # e.g. a field past the reader's size limit
            _count(rows)
            rows.left_out(Problem(reader.line_num, "row", f"line {reader.line_num}: {exc}"))
            continue
        if values is None:
            break
        if not values or (len(values) == 1 and not values[0].strip()):
            continue  # a blank line
        _count(rows)
        line = reader.line_num
        if len(values) != width:
            problem = Problem(
                line, "row", f"line {line} has {len(values)} fields; the header has {width}"
            )
            rows.left_out(problem, values, at)
            continue
        if not lines.clean and _UNDECODED.search("".join(values)):
            rows.left_out(Problem(line, "row", f"line {line} is not valid {codec}"), values, at)
            continue
        cells = _cells(values, columns, line, at)
        if isinstance(cells, Problem):
            rows.left_out(cells, values, at)
            continue
        rows.keep(cells, cells[at], line)
    return rows


def too_large(size: int) -> PayloadTooLarge | None:
    """The refusal of a CSV of `size` bytes past MAX_BYTES, naming the limit."""
    if size <= MAX_BYTES:
        return None
    return PayloadTooLarge(
        f"body: the CSV is {size:,} bytes; an import takes at most {MAX_BYTES:,} bytes "
        f"({MAX_BYTES // 1024 // 1024} MiB) and {MAX_ROWS:,} rows (split the file)",
        field="body",
    )


def _count(rows: Rows) -> None:
    """One more data row; past MAX_ROWS the import is refused, before anything is written."""
    rows.seen += 1
    if rows.seen > MAX_ROWS:
        raise PayloadTooLarge(
            f"body: the CSV has more than {MAX_ROWS:,} rows; an import takes at most "
            f"{MAX_ROWS:,} rows and {MAX_BYTES:,} bytes (split the file)",
            field="body",
        )


class _Lines:
    """The file's lines from its bytes, each decoded as it is read (lines end in \n or
    \r\n; a file whose lines end in \r alone is split there), a byte-order mark skipped.
    `clean` turns False at the first line with bytes not in the encoding (they are kept as
    surrogates, and the rows holding them are left out). Every encoding an import may declare
    writes \n and \r as those bytes alone, so the bytes can be split before decoding."""

    def __init__(self, raw: bytes, codec: str) -> None:
        self.raw = raw
        self.codec = codec
        self.clean = True
        self.end = b"\n" if b"\n" in raw or b"\r" not in raw else b"\r"
        self.start = 3 if codec == "utf-8" and raw.startswith(b"\xef\xbb\xbf") else 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw, start = self.raw, self.start
        if start >= len(raw):
            raise StopIteration
        end = raw.find(self.end, start)
        end = len(raw) if end < 0 else end + 1
        self.start = end
        chunk = raw[start:end]
        try:
            return chunk.decode(self.codec)
        except UnicodeDecodeError:  # bytes not in the encoding: the rows holding them are bad
            self.clean = False
            return chunk.decode(self.codec, "surrogateescape")


def _columns(header: list[str], clean: bool) -> list[Column]:
    """Each column as (its name in the file, the stored field or "properties", its key)."""
    if not clean and _UNDECODED.search("".join(header)):
        raise InvalidInput("body: the CSV's first line is not valid text", field="body")
    if len(header) > MAX_COLUMNS:
        raise InvalidInput(
            f"body: the CSV has {len(header)} columns; at most {MAX_COLUMNS}", field="body"
        )
    columns: list[Column] = []
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


def _cells(
    values: list[str], columns: list[Column], line: int, at: int
) -> tuple[Any, ...] | Problem:
    """A row's cells as stored (None: an empty cell, which clears the field), or its
    Problem; `at` is the originalId's column."""
    cells: list[Any] = []
    for cell, (name, stored, _) in zip(values, columns, strict=True):
        value = cell.strip()
        if stored == "properties":
            if len(value) > MAX_PROPERTY:
                return Problem(line, name, f"{name}: longer than {MAX_PROPERTY} characters")
            cells.append(value or None)
            continue
        if stored in OPT_OUT_COLUMNS:
            lowered = value.lower()
            if lowered not in TRUE and lowered not in FALSE:
                return Problem(line, name, f"{name}: {value!r} is not true or false")
            cells.append(lowered in TRUE)
            continue
        if len(value) > MAX_LENGTH[stored]:
            return Problem(line, name, f"{name}: longer than {MAX_LENGTH[stored]} characters")
        if stored in ADDRESSES and value:
            try:
                value = read_address(stored, value, name) or ""
            except normalise.Unreadable as unreadable:
                return Problem(line, name, unreadable.message)
        cells.append(value or None)
    if not cells[at]:
        return Problem(line, "originalId", "originalId: empty (every row needs one)")
    return tuple(cells)
