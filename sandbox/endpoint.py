"""One path of one vendor, every method of it: the steps of a request between reading its
body and writing its answer, read top to bottom in `PathEndpoint.answer`.

method -> credentials -> rate limit and injected fault -> parameters -> body and validation
       -> handler -> (login calls: their fault, now that the tenant is known) -> answer,
       encoded -> the request's writes committed -> request log.

Every step is synchronous, so one request is one uninterrupted step of the event loop and
handlers need no locks. The handler's writes form one unit (sandbox/store/unit.py): applied
as made, journaled as one line only once the answer is built and encoded, and all undone if
anything fails first, so a request answered 4xx or 5xx changed nothing.

Two things are left to the caller (routing.PrefixDispatcher): the wait of an injected
latency, and an offloaded operation's work (`Pending`), which runs in a worker thread before
its answer is finished back on the loop (a finish in `Steps` commits step by step: the one
kind of request that is not atomic, docs/contract.md section 13).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sandbox import collector, errors, faults, request_log, schedule
from sandbox.asgi import Incoming, encode
from sandbox.bodies import parse_body
from sandbox.clock import monotonic
from sandbox.errors import ApiError, InternalError, InvalidInput, MethodNotAllowed
from sandbox.http import CatalogView, Context, Offload, Reply, Steps
from sandbox.spec import Operation
from sandbox.store import Store, TenantData
from sandbox.store.unit import Unit, open_unit
from sandbox.vendor import Vendor

log = logging.getLogger(__name__)

# status, body (JSON, or raw bytes), extra headers
Answer = tuple[int, Any, Mapping[str, str] | None]
# the same, then seconds to wait before answering; status 0: drop the connection instead
Delayed = tuple[int, Any, Mapping[str, str] | None, float]
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class Call:
    """What is known of one request so far, step by step."""

    __slots__ = ("ctx", "incoming", "op", "raw", "started", "stop", "tenant")

    def __init__(self, op: Operation, incoming: Incoming, started: float, raw: bytes) -> None:
        self.op = op
        self.incoming = incoming
        self.started = started
        self.raw = raw  # its body, as read (kept, bounded, by the request log)
        self.tenant: TenantData | None = None  # known once its credentials are checked
        self.ctx: Context | None = None
        self.stop: faults.Stop | None = None  # a rate limit or fault that stopped it

    @property
    def now(self) -> datetime | None:
        """The tenant's time, for an error's envelope, once the request reached a tenant."""
        if self.ctx is not None and self.ctx.tenant is not None:
            return self.ctx.now
        return self.tenant.clock.now() if self.tenant is not None else None


class PathEndpoint:
    """Serves every method of one path of one vendor."""

    def __init__(
        self,
        vendor: Vendor,
        operations: Sequence[Operation],
        store: Store,
        catalog: CatalogView,
        max_body: int,
    ) -> None:
        self.vendor = vendor
        self.by_method = {op.method: op for op in operations}
        self.allowed = ", ".join(sorted(self.by_method))
        self.envelope = operations[0].envelope  # a path's operations share one API version
        self.store = store
        self.catalog = catalog
        self.due = catalog.due
        # an offloaded operation is one made for large bodies (a tenant document, a CSV
        # import): it takes what a fixture may be, from a caller its credentials admit
        self.max_body = max_body
        offloaded = any(op.offload for op in operations)
        self.large_body = max(max_body, store.settings.max_fixture_bytes) if offloaded else 0
        # the methods whose body is read (routing reads this set: no call per request)
        self.with_body = frozenset(
            op.method
            for op in operations
            if op.body_schema is not None or op.method in _BODY_METHODS
        )

    def body_limit(self, incoming: Incoming) -> int:
        """How much of the request's body may be read. A secured offloaded operation takes a
        large one only once its credentials are good: a stranger's upload stops at the small
        limit (and is answered 401 by `answer`)."""
        if not self.large_body:
            return self.max_body
        op = self.by_method.get(incoming.method)
        if op is None or not op.offload:
            return self.max_body
        if op.secured:
            try:
                self.vendor.authenticate(incoming.headers, self.store)
            except ApiError:
                return self.max_body
        return self.large_body

    def answer(
        self,
        incoming: Incoming,
        path_params: dict[str, str],
        raw: bytes,
        too_large: ApiError | None,
        started: float,
    ) -> Delayed | Pending:
        op = self.by_method.get(incoming.method)
        if op is None:
            return self._method_not_allowed(incoming.method)
        call = Call(op, incoming, started, raw)
        try:
            self._authenticate(call)
            ctx = self._context(call, path_params, raw, too_large)
            writes = open_unit()
            try:
                reply = self.vendor.handlers[op.operation_id](ctx)
                if isinstance(reply, Offload):
                    writes.commit()  # (what it wrote before offloading, if anything)
                    return Pending(self, call, reply)  # finished by Pending.answer
                answer = self.settled(call, reply, writes)  # (commits: the unit is closed)
            except BaseException:
                writes.close()  # every write the handler made, undone
                raise
        except Exception as exc:
            answer = self.failed(call, exc)
        return self.logged(call, answer)

    # the steps -----------------------------------------------------------------------------
    def _method_not_allowed(self, method: str) -> Delayed:
        error = MethodNotAllowed(f"{method} is not allowed here; use {self.allowed}")
        return 405, errors.render(self.envelope, error), {"Allow": self.allowed}, 0.0

    def _authenticate(self, call: Call) -> None:
        """A secured operation's tenant from its credentials, then its rate limit and fault
        (due items and a fault's counters are committed by themselves, before the request's
        own writes: its failure does not undo them)."""
        if call.op.secured:
            call.tenant = self.vendor.authenticate(call.incoming.headers, self.store)
            schedule.run_due(self.due, call.tenant)  # what is due comes before this call
            self._stop_if_limited(call, call.tenant)

    def _stop_if_limited(self, call: Call, tenant: TenantData) -> None:
        """The tenant's rate limit, then the operation's injected fault (sandbox/faults.py)."""
        call.stop = faults.check(tenant, self.vendor.name, call.op.operation_id)
        if call.stop is not None:
            call.stop.enforce()

    def _context(
        self, call: Call, path_params: dict[str, str], raw: bytes, too_large: ApiError | None
    ) -> Context:
        """Parameters and body, parsed and validated against the operation's schemas."""
        op, incoming = call.op, call.incoming
        last, multi = incoming.query()
        query = op.parse_parameters("query", last, multi) if last or op.query_required else {}
        path = op.parse_parameters("path", path_params, None) if path_params else {}
        if too_large is not None:
            raise too_large
        body: Any = None
        item_errors: dict[tuple[str | int, ...], ApiError] = {}
        if op.offload:
            pass  # parsed in the worker thread, by the handler's work (Context.parse_body)
        elif raw:  # whatever it parses to, `null` included, is validated (blanks are no JSON)
            body = op.unwrap_body(parse_body(raw, incoming.headers.get("content-type", ""), op))
            item_errors = op.validate_body(body)
        elif op.body_required:
            raise InvalidInput("request body is required", field="body")
        call.ctx = Context(
            op,
            self.store,
            self.catalog,
            call.tenant,
            query,
            path,
            incoming.headers,
            body,
            item_errors,
        )
        if op.offload:
            call.ctx.raw = raw
        return call.ctx

    def settled(self, call: Call, reply: Reply, writes: Unit | None) -> Answer:
        """The handler's reply, encoded, and only then its writes made durable: an answer
        that cannot be made, or a journal that refuses the writes, raises with every write
        undone (CONTRACT section 13). A login or token call's tenant is known only now, from
        the credentials in its body: its rate limit and fault apply here."""
        if not call.op.secured:
            ctx = call.ctx
            if ctx is not None and ctx.tenant is not None:
                self._stop_if_limited(call, ctx.tenant)
        status = reply.status
        body = encode(status, reply.body)
        if writes is not None:
            writes.commit()
        return status, body, reply.headers

    def failed(self, call: Call, exc: Exception, stepped: bool = False) -> Answer:
        """A refusal in the vendor's envelope; a dropped connection; or a bug (500, logged).
        Nothing the request wrote remains (its unit was undone), so it recorded no message;
        but one that wrote in Steps (`stepped`) keeps the messages of the steps before."""
        if call.ctx is not None and not stepped:
            call.ctx.message_ids.clear()
        if isinstance(exc, faults.Dropped):  # no answer at all: the connection is closed
            return 0, None, None
        if isinstance(exc, ApiError):
            refusal = errors.render(call.op.envelope, exc, call.now)
            try:
                return exc.http_status, encode(exc.http_status, refusal), exc.headers
            except (TypeError, ValueError) as unencodable:  # a message quoting a bad string
                exc = unencodable
        log.error("%s %s failed", call.incoming.method, call.incoming.path, exc_info=exc)
        return 500, errors.render(call.op.envelope, InternalError(), call.now), None

    def logged(self, call: Call, answer: Answer) -> Delayed:
        """The answer, after the tenant's request log has its entry."""
        status, body, extra = answer
        ctx = call.ctx
        tenant = ctx.tenant if ctx is not None else call.tenant
        if tenant is not None:
            incoming = call.incoming
            entry = request_log.Entry(
                incoming.method,
                incoming.path,
                incoming.query_string,
                status,
                call.op.operation_id,
                self.vendor.name,
                ctx.now if ctx is not None else tenant.clock.now(),
                monotonic() - call.started,
                ctx.message_ids if ctx is not None else [],
                headers=incoming.headers,
                body=call.raw,
            )
            tenant.request_log.append(entry.bounded())
        return status, body, extra, call.stop.delay if call.stop is not None else 0.0


class Pending:
    """An offloaded operation's answer: its handler's work runs in a worker thread, so other
    requests go on being served; the reply and every change to the store are made back on the
    event loop thread."""

    def __init__(self, endpoint: PathEndpoint, call: Call, offload: Offload) -> None:
        self.endpoint = endpoint
        self.call = call
        self.offload = offload

    async def answer(self) -> Delayed:
        stepped = False
        try:
            with collector.paused():
                work = self.offload.work
                result = None if work is None else await asyncio.to_thread(work)
                with open_unit() as writes:  # a finish made at once is atomic, as any request
                    finished = self.offload.finish(result)
                    if isinstance(finished, Reply):
                        answer = self.endpoint.settled(self.call, finished, writes)
                if not isinstance(finished, Reply):  # steps commit one by one, by design
                    stepped = True
                    ctx = self.call.ctx
                    ids = ctx.message_ids if ctx is not None else []
                    answer = self.endpoint.settled(self.call, await _stepped(finished, ids), None)
        except Exception as exc:
            answer = self.endpoint.failed(self.call, exc, stepped)
        finally:
            if self.offload.always is not None:
                self.offload.always()
        return self.endpoint.logged(self.call, answer)


async def _stepped(steps: Steps, message_ids: list[str]) -> Reply:
    """Run a finish's steps, letting the event loop serve other requests between them. A step
    commits at its end: one that fails recorded no message (its ids leave the request's
    `message_ids`), the steps before it did."""
    while True:
        logged = len(message_ids)
        try:
            next(steps)
        except StopIteration as done:
            reply: Reply = done.value
            return reply
        except BaseException:
            del message_ids[logged:]
            raise
        await asyncio.sleep(0)
