"""YAML documents from untrusted clients (fixtures and snapshots), parsed in bounded time and
memory into plain JSON values, or refused with a 400 naming the path of what is wrong.

libyaml composes the document (it already refuses nesting past ~1,000 levels); before any
Python object is built, the node graph is checked:

- aliases may repeat a node, but the document, with every alias expanded, may hold at most
  MAX_NODES nodes ("billion laughs": 422 bytes that expand to 10^9 strings) and an alias
  may not contain itself;
- only JSON's types: mappings with string keys, sequences, strings, numbers, booleans, null.
  `!!binary`, `!!set`, `!!omap`, `!!pairs` and application tags are refused; a timestamp
  (`2026-11-23`, which YAML 1.1 reads as a date) stays the string it was written as;
- only values the store can write back: no `.nan` or `.inf` (or a float too large for a
  double), no integer past 64 bits, no string with a lone surrogate (`"\\ud800"`);
- nesting is limited to MAX_DEPTH, as for JSON bodies.
"""

from __future__ import annotations

import io
import math
import time
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from sandbox.errors import InvalidInput, Unparsed
from sandbox.json_slices import LONE_SURROGATE, WRITABLE_INTEGERS, has_surrogate
from sandbox.openapi import field_name

MAX_NODES = 4_000_000
MAX_DEPTH = 64

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# documents larger than this are composed by Python over libyaml's events: as fast as libyaml's
# own composer here (about 1 MB/s either way), but it gives the GIL back between events, where
# the C composer would hold it, and stop every other request, for the whole document
STREAMED_PAST = 1024 * 1024


_CParser: Any = getattr(yaml, "CParser", None)
if _CParser is not None:

    class _EventLoader(_CParser, Composer, SafeConstructor, Resolver):  # type: ignore[misc]
        def __init__(self, stream: bytes | str) -> None:
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

        # the composer in Python, the parser in C
        get_single_node = Composer.get_single_node
        compose_document = Composer.compose_document
        compose_node = Composer.compose_node
        compose_scalar_node = Composer.compose_scalar_node
        compose_sequence_node = Composer.compose_sequence_node
        compose_mapping_node = Composer.compose_mapping_node

    _LargeLoader: Any = _EventLoader
else:  # pragma: no cover - PyYAML built without libyaml: everything is Python already
    _LargeLoader = yaml.SafeLoader
_JSON_SCALARS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_CORE = "tag:yaml.org,2002:"
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
# reads a scalar's number as the loader would (it holds no state for scalars)
_NUMBERS = SafeConstructor()
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_CONTAINERS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}
_MERGE = "tag:yaml.org,2002:merge"


def load(text: bytes | str, what: str = "body") -> Any:
    """The document's value; InvalidInput naming the path (`what` for the whole) if it is not
    YAML, or not a document this module accepts."""
    large = len(text) > STREAMED_PAST
    # a large text is read by libyaml from a stream, a piece at a time: handed over whole, its
    # conversion alone holds the GIL for 90 ms per 10 MB
    stream = io.BytesIO(text if isinstance(text, bytes) else text.encode()) if large else text
    loader = (_LargeLoader if large else _Loader)(stream)
    node = None
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise Unparsed(f"{what} is not valid YAML: {exc}", field=what) from None
        if node is None:
            return None
        _Check(what).document(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
        if large and node is not None:
            _dismantle(node)


def _dismantle(root: Node) -> None:
    """Free a large node graph a piece at a time. Dropped whole, its millions of objects are
    freed in one cascade that holds the GIL for most of a second (every other request waits);
    taken apart here, the worker gives the GIL back every few thousand nodes."""
    stack: list[Any] = [root]
    freed = 0
    while stack:
        node = stack.pop()
        children = node.value
        if isinstance(children, list):
            node.value = None  # an alias's second visit finds nothing left to do
            for child in children:
                if isinstance(child, tuple):
                    stack.extend(child)
                else:
                    stack.append(child)
        freed += 1
        if freed % 5000 == 0:
            time.sleep(0)


class _Check:
    """One walk of the node graph: expanded size (memoised per node, so O(distinct nodes)),
    alias cycles, tags, key types and depth."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()

    def document(self, node: Node) -> None:
        total = self.size(node, [], 0)
        if total > MAX_NODES:
            raise InvalidInput(
                f"{self.what}: the document expands to {total:,} nodes through its aliases, "
                f"more than the {MAX_NODES:,} allowed (an alias bomb?)",
                field=self.what,
            )

    def where(self, path: list[str | int]) -> str:
        return field_name(path) if path else self.what

    def size(self, node: Node, path: list[str | int], depth: int) -> int:
        key = id(node)
        if key in self.sizes:
            return self.sizes[key]
        if key in self.open:
            raise InvalidInput(
                f"{self.where(path)}: an alias refers to a node that contains it",
                field=self.where(path),
            )
        if depth > MAX_DEPTH:
            raise InvalidInput(
                f"{self.where(path)}: nested more than {MAX_DEPTH} levels deep",
                field=self.where(path),
            )
        self.open.add(key)
        total = 1
        if isinstance(node, ScalarNode):
            self.scalar(node, path)
        elif isinstance(node, SequenceNode):
            self.tag(node, path)
            for index, item in enumerate(node.value):
                total += self.size(item, [*path, index], depth + 1)
                if total > MAX_NODES:
                    break
        elif isinstance(node, MappingNode):
            self.tag(node, path)
            for name_node, value in node.value:
                name = self.key(name_node, path)
                total += self.size(value, [*path, name], depth + 1)
                if total > MAX_NODES:
                    break
        self.open.discard(key)
        self.sizes[key] = total
        return total

    def scalar(self, node: ScalarNode, path: list[str | int]) -> None:
        tag = node.tag
        if tag == _TIMESTAMP:
            node.tag = _STR  # keep the text: the documents' dates are strings
        elif tag not in _JSON_SCALARS:
            self.refuse(node, path)
        elif tag == _STR:
            if has_surrogate(node.value):
                self.unfit(path, LONE_SURROGATE)
        elif tag == _INT and len(node.value) >= 19:  # (shorter ones fit 64 bits)
            try:
                fits = _NUMBERS.construct_yaml_int(node) in WRITABLE_INTEGERS
            except ValueError:  # thousands of digits: Python will not convert them
                fits = False
            if not fits:
                self.unfit(path, "number out of range (integers up to 64 bits)")
        elif tag == _FLOAT and not math.isfinite(_NUMBERS.construct_yaml_float(node)):
            self.unfit(path, f"{node.value} is not a JSON number (finite, up to ~1.8e308)")

    def unfit(self, path: list[str | int], problem: str) -> None:
        where = self.where(path)
        raise InvalidInput(f"{where}: {problem}", field=where)

    def tag(self, node: Node, path: list[str | int]) -> None:
        if node.tag not in _CONTAINERS:
            self.refuse(node, path)

    def key(self, node: Node, path: list[str | int]) -> str:
        if isinstance(node, ScalarNode) and node.tag == _MERGE:
            return "<<"
        if not isinstance(node, ScalarNode) or node.tag not in {_STR, _TIMESTAMP}:
            shown = node.value if isinstance(node, ScalarNode) else type(node).__name__
            raise InvalidInput(
                f"{self.where(path)}: the key {shown!r} is not a string (JSON keys are strings; "
                "quote it)",
                field=self.where(path),
            )
        node.tag = _STR
        if has_surrogate(node.value):
            self.unfit(path, f"the key holds {LONE_SURROGATE}")
        return str(node.value)

    def refuse(self, node: Node, path: list[str | int]) -> None:
        where = self.where(path)
        tag = str(node.tag)
        shown = "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag
        raise InvalidInput(
            f"{where}: the YAML tag {shown} is not allowed (only JSON's types: mappings, "
            "sequences, strings, numbers, booleans and null)",
            field=where,
        )
