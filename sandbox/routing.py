"""Finds a request's operation among those compiled from the OpenAPI documents: one
`OperationRouter` per prefix (the request path, sandbox/request_path.py, picks it by a dict
lookup) finds a path's operations and path parameters (a dict for literal paths, compiled
patterns for templated ones), and the operation by method. Anything that names no operation
is a 404 in the envelope of the vendor and API version the path names, naming the nearest
operations; a method the path does not serve is a 405 naming those it does. Routing only
finds: every step of the request is sandbox/request_path.py's.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Protocol

from starlette.types import ASGIApp

from sandbox import errors
from sandbox.asgi import Answer, Incoming
from sandbox.errors import ApiError, MethodNotAllowed, NotFound
from sandbox.openapi import Operation
from sandbox.vendor import Vendor

# a router's check before anything else: the error that refuses a request, or None
Guard = Callable[[str, str, Mapping[str, str]], ApiError | None]

_PARAM = re.compile(r"\{([^}]+)\}")
NEAREST = 3  # operations a 404 names
COMPARED = 96  # characters of an unknown path (and of a filled-in template) compared


class RawPaths(Protocol):
    """Paths of a prefix served by an ASGI app of their own (the web outbox, event streams)
    behind the router's guard, instead of by an operation."""

    @property
    def app(self) -> ASGIApp: ...

    def handles(self, path: str) -> bool: ...


class PathOperations:
    """The operations of one path of one vendor, by method."""

    __slots__ = ("allowed", "by_method", "envelope")

    def __init__(self, operations: Sequence[Operation]) -> None:
        self.by_method = {op.method: op for op in operations}
        self.allowed = ", ".join(sorted(self.by_method))
        self.envelope = operations[0].envelope  # a path's operations share one API version

    def method_not_allowed(self, method: str) -> Answer:
        error = MethodNotAllowed(f"{method} is not allowed here; use {self.allowed}")
        return 405, errors.render(self.envelope, error), {"Allow": self.allowed}


class OperationRouter:
    """Finds one vendor's operations (one prefix): literal paths from a dict, templated paths
    through compiled patterns (literal segments first), anything else a 404 in the envelope
    of the API version the path names (/v1.1/... answers like v1.1). `max_body` is the
    prefix's body limit, `guard` its check before anything else, `raw` its paths served by
    an ASGI app of their own."""

    def __init__(
        self,
        vendor: Vendor,
        operations: Sequence[Operation],
        max_body: int,
        *,
        guard: Guard | None = None,
        raw: RawPaths | None = None,
    ) -> None:
        self.vendor = vendor
        self.max_body = max_body
        self.guard = guard
        self.raw = raw
        by_path: dict[str, list[Operation]] = {}
        for op in operations:
            by_path.setdefault(op.path, []).append(op)
        self.literal: dict[str, PathOperations] = {}
        # templated paths by their number of segments (a parameter is one segment), so a
        # request tries only the templates as deep as its path
        self.templated: dict[int, list[tuple[re.Pattern[str], PathOperations]]] = {}
        for path in sorted(by_path, key=lambda p: (len(_PARAM.findall(p)), p)):
            endpoint = PathOperations(by_path[path])
            if _PARAM.search(path):
                depth = path.count("/")
                self.templated.setdefault(depth, []).append((_compile_template(path), endpoint))
            else:
                self.literal[path] = endpoint
        self.version_envelopes = _version_envelopes(operations)
        self.operations = tuple(operations)

    def resolve(self, path: str) -> tuple[PathOperations, dict[str, str]] | None:
        """The path's operations and its path parameters; None: no path of this prefix."""
        endpoint = self.literal.get(path)
        if endpoint is not None:
            return endpoint, {}
        for pattern, candidate in self.templated.get(path.count("/"), ()):
            match = pattern.match(path)
            if match:
                return candidate, match.groupdict()
        return None

    def not_found(self, incoming: Incoming, path: str) -> Answer:
        """A 404 naming the request's method and path, and the path meant when it is one of
        the vendor's kept with its real base path (Symplify's `/rest/1234/lists`), else the
        operations nearest to it."""
        prefix = incoming.path[: len(incoming.path) - len(path)]
        message = f"no operation at {incoming.method} {incoming.path}"
        meant = self.serves(path)
        if meant is not None and meant != path:
            message += (
                f"; did you mean {prefix}{meant}? (the sandbox serves {prefix} paths without "
                "the vendor's base path)"
            )
        else:
            near = [f"{op.method} {prefix}{op.path}" for op in self.nearest(incoming.method, path)]
            if near:
                message += f"; the nearest emulated: {', '.join(near)}"
        error = NotFound(message, field="path")
        return self.refused(path, error)

    def serves(self, path: str) -> str | None:
        """The path of this router's that serves `path` as the vendor's real API spells it
        (its real base path, e.g. Symplify's `/rest`, taken off), or None."""
        hosts = self.vendor.real_hosts
        own = (path[hosts.path_start(path) :] or "/") if hosts is not None else path
        return own if self.resolve(own) is not None else None

    def nearest(self, method: str, path: str, n: int = NEAREST) -> list[Operation]:
        """The `n` operations nearest to `method path`: those sharing the most leading
        segments with it first (a parameter shares any), then the most alike (difflib, each
        template's parameters filled in from the request's own segments, so
        /1234/lists/42/contactz is near /{customerid}/lists/{listId}/contacts), then the
        request's method. Paths have a structure a plain spelling match (sandbox.spelling)
        would miss; a 404 is rare enough to compare every operation."""
        path = path[:COMPARED]  # (difflib's time grows with the product of the lengths)
        segments = path.split("/")

        def rank(op: Operation) -> tuple[int, float, bool]:
            template = op.path.split("/")
            shared = 0
            for mine, theirs in zip(segments, template, strict=False):
                if mine != theirs and not _PARAM.fullmatch(theirs):
                    break
                shared += 1
            filled = "/".join(
                segments[i] if i < len(segments) and _PARAM.fullmatch(part) else part
                for i, part in enumerate(template)
            )
            alike = SequenceMatcher(None, path, filled[:COMPARED]).ratio()
            return shared, alike, op.method == method

        return heapq.nlargest(n, self.operations, key=rank)

    def refused(self, path: str, error: ApiError) -> Answer:
        """`error` in the envelope of the API version the path names."""
        version = path.lstrip("/").split("/", 1)[0]
        envelope = self.version_envelopes.get(version, self.vendor.envelope)
        return error.http_status, errors.render(envelope, error), error.headers or None


def prefix_hint(routers: Mapping[str, OperationRouter], path: str) -> str:
    """For a path under no prefix that a router serves once its prefix is put first (a
    vendor's real path, `/v2/communications/sendMessage`): "; did you mean /capillary/v2/...?"
    naming each such path; "" for none. Only a 404 asks: every router is tried."""
    meant = [
        f"/{prefix}{own}"
        for prefix, router in routers.items()
        if (own := router.serves(path)) is not None
    ]
    return f"; did you mean {' or '.join(meant)}?" if meant else ""


def _version_envelopes(operations: Sequence[Operation]) -> dict[str, str]:
    """First path segment (e.g. "v1.1") -> the envelope most of its operations answer in."""
    counts: dict[str, dict[str, int]] = {}
    for op in operations:
        version = op.path.lstrip("/").split("/", 1)[0]
        tally = counts.setdefault(version, {})
        tally[op.envelope] = tally.get(op.envelope, 0) + 1
    return {version: max(tally, key=tally.__getitem__) for version, tally in counts.items()}


def _compile_template(path: str) -> re.Pattern[str]:
    """/v2/customers/{customerId}/log -> a pattern whose group customerId is one segment."""
    pieces = _PARAM.split(path)  # literal, name, literal, name, ..., literal
    regex = "".join(
        re.escape(piece) if index % 2 == 0 else f"(?P<{piece}>[^/]+)"
        for index, piece in enumerate(pieces)
    )
    return re.compile(f"^{regex}\\Z")  # not $, which also matches before a final newline
