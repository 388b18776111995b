"""The request path: every step of a vendor or control-plane request, in the order it runs,
each a method of `RequestPath` named for its step (the sandbox's ASGI application).

    RequestPath.__call__     /<prefix>/... to its router (a dict lookup); anything else
                             (lifespan, /openapi) to the wrapped Starlette app
    1. route       `route`         the router's guard (the control plane's Host, Origin and
                                   token), its raw app (web pages, event streams), then the
                                   operation and its path parameters (sandbox/routing.py: a
                                   404 names the nearest operations, a 405 the methods)
    2. authenticate `authenticate` a secured operation's tenant from its credentials, ONCE
                                   (a failure is answered at step 4, after the body is read)
    3. read body   `read_body`     up to the prefix's limit; an offloaded operation's larger
                                   limit only once its credentials are good
       catch up    `catch_up`      on a database several processes share: the tenant brought
                                   up to what the others wrote, in one round trip (its
                                   credentials checked again if another process replaced or
                                   deleted it); a vendor request's first attempt leaves it to
                                   its commit (`attempt`); not a step at all on the embedded
                                   store
    4. admit       `admit`         what is due on the tenant's clock (sandbox/schedule.py),
                                   then its rate limit and the operation's injected fault
                                   (sandbox/faults.py); both commit by themselves
    5. parse       `parse`         parameters and body, parsed and validated -> `Context`
    6. handler     `handle`        the vendor's handler, its writes one unit
                                   (sandbox/store/unit.py); an offloaded operation's work runs
                                   in a worker thread (`finish_offloaded`)
    7. commit      `commit`        the reply encoded, and only then its writes journaled (a
                                   login call's rate limit and fault apply here: its tenant is
                                   known only now); any failure -> `refuse`, nothing written
    8. log         `log`           the tenant's request log entry (before the reply is sent:
                                   a caller that reads the log after its answer finds it)
    9. reply       `reply`         an injected latency's wait, then the answer (or the
                                   connection dropped)

Steps 4 to 8 are synchronous, so one request is one uninterrupted step of the event loop and
handlers need no locks; a request answered 4xx or 5xx changed nothing (CONTRACT section 13).
Several processes on one database: a write another process made first since the catch-up
makes the commit refuse the unit (`Behind`, everything undone); the tenant is caught up and
steps 4 to 7 run again (`again`), up to RETRIES times, then a 503 naming the contention.
The one exception: an offloaded finish in `Steps` commits step by step (docs/contract.md
section 13). Messages reach the outbox only through `outbox.Recorder` (`Context.outbox`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox import collector, errors, faults, schedule
from sandbox.asgi import Answer, Incoming, drop_connection, encode, read_body, send_json
from sandbox.bodies import parse_body
from sandbox.clock import monotonic
from sandbox.errors import (
    ApiError,
    InternalError,
    InvalidInput,
    PayloadTooLarge,
    StorageUnavailable,
)
from sandbox.http import CatalogView, Context, Offload, Reply, Steps
from sandbox.openapi import Operation
from sandbox.request_log import Entry, kept_body
from sandbox.routing import OperationRouter
from sandbox.store import Store, TenantData
from sandbox.store.backend import Behind
from sandbox.store.unit import Unit, open_unit

log = logging.getLogger(__name__)

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# times a request runs again when another process wrote to its tenant first, before a 503;
# the longest random wait before the first of them, doubled for each next one up to 64 times
RETRIES = 20
BACKOFF = 0.0005
# attempts run again optimistically; the later ones catch up holding the tenant's row lock
# (Store.held): another process's appends wait, so the attempt cannot lose the race again
OPTIMISTIC = 2
# `route`'s find: the operation and its path parameters
Found = tuple[Operation, dict[str, str]]
T = TypeVar("T")  # what `locked` work gives
_NO_BODY = kept_body(b"")
_new_tuple = tuple.__new__  # (a request log entry made without its Python-level __new__)


class Raw:
    """`route`'s find for a path the router's raw app serves, with the guard's judgement."""

    __slots__ = ("app", "refusal")

    def __init__(self, app: ASGIApp, refusal: ApiError | None) -> None:
        self.app = app
        self.refusal = refusal


class Call:
    """What is known of one request so far, step by step."""

    __slots__ = (
        "admitted",
        "body",
        "ctx",
        "failure",
        "incoming",
        "op",
        "params",
        "router",
        "started",
        "stop",
        "tenant",
    )

    def __init__(
        self,
        router: OperationRouter,
        op: Operation,
        incoming: Incoming,
        started: float,
        params: dict[str, str] | None = None,
    ) -> None:
        self.router = router
        self.op = op
        self.incoming = incoming
        self.started = started
        self.params = {} if params is None else params  # its path parameters
        self.tenant: TenantData | None = None  # known once its credentials are checked
        self.failure: Exception | None = None  # credentials refused: answered at `admit`
        self.ctx: Context | None = None
        self.stop: faults.Stop | None = None  # a rate limit or fault that stopped it
        self.admitted: TenantData | None = None  # whose rate limit and fault it passed
        self.body = _NO_BODY  # what of its body the request log keeps (`kept_body`)

    @property
    def now(self) -> datetime | None:
        """The tenant's time, for an error's envelope, once the request reached a tenant."""
        if self.ctx is not None and self.ctx.tenant is not None:
            return self.ctx.now
        return self.tenant.clock.now() if self.tenant is not None else None


class RequestPath:
    """The sandbox's ASGI application: the request path, step by step (module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        routers: Mapping[str, OperationRouter],
        store: Store,
        catalog: CatalogView,
    ) -> None:
        self.app = app
        self.routers = routers
        self.store = store
        self.catalog = catalog
        self.due = catalog.due
        self.request_logs = catalog.request_logs
        self.rate_windows = faults.RateWindows()
        # an offloaded operation is one made for large bodies (a tenant document, a CSV
        # import): it takes what a fixture may be, from a caller its credentials admit
        self.max_fixture = store.settings.max_fixture_bytes
        # other processes write to the tenants too (a database): catch up before each request
        self.shared = store.database is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The request, step by step (the steps that wait are awaited here)."""
        if scope["type"] == "http":
            prefix, _, rest = scope["path"].lstrip("/").partition("/")
            router = self.routers.get(prefix)
            if router is not None:
                started = monotonic()
                incoming = Incoming(scope, receive)
                path = f"/{rest}"
                routed = self.route(router, incoming, path)
                if isinstance(routed, Raw):  # the router's raw app answers, a refusal in its form
                    # it routes the path as the guard judged it (`//_sandbox/x` is /_sandbox/x)
                    raw_scope = {
                        **scope,
                        "path": f"/{prefix}{path}",
                        "sandbox.refusal": routed.refusal,
                    }
                    await routed.app(raw_scope, receive, send)
                    return
                if len(routed) == 3:  # an answer already: refused, 404 or 405
                    await self.reply(send, routed)
                    return
                op, params = routed
                call = Call(router, op, incoming, started, params)
                if op.secured:
                    self.authenticate(call)
                raw, too_large = b"", None
                if op.body_schema is not None or op.method in _BODY_METHODS:
                    limit = self.body_limit(call) if op.offload else router.max_body
                    try:
                        raw = await read_body(incoming, limit)
                    except PayloadTooLarge as exc:
                        too_large = exc
                    except ClientDisconnect:  # gone before its body arrived: no answer
                        return
                    tenant = call.tenant
                    if tenant is not None and self.store.tenants.get(tenant.name) is not tenant:
                        self.authenticate(call)  # replaced or deleted while the body arrived
                try:  # the synchronous steps, 4 to 7
                    if self.shared:  # caught up first, the answer held until stored
                        answered = await self.attempt(call, params, raw, too_large)
                    else:
                        answered = self.run(call, params, raw, too_large)
                except Behind:  # another process wrote first: nothing was changed
                    answered = await self.again(call, params, raw, too_large)
                except Exception as exc:
                    answered = self.refuse(call, exc)
                call.body = kept_body(raw)  # (taken before an offloaded operation lets it go)
                raw = b""  # (an offloaded operation holds its body as long as it needs it)
                if isinstance(answered, Offload):
                    answered = await self.finish_offloaded(call, answered)
                self.log(call, answered)
                stop = call.stop
                if stop is not None and stop.delay:  # an injected latency
                    await asyncio.sleep(stop.delay)
                await self.reply(send, answered)
                return
        await self.app(scope, receive, send)

    # 1. route ------------------------------------------------------------------------------
    def route(self, router: OperationRouter, incoming: Incoming, path: str) -> Found | Answer | Raw:
        """The router's guard, then its raw app's paths (Raw), then the operation and its
        path parameters (sandbox/routing.py); or the answer that refuses the request."""
        refusal = self.guard(router, incoming, path) if router.guard is not None else None
        raw = router.raw
        if raw is not None and raw.handles(path):
            return Raw(raw.app, refusal)
        if refusal is not None:
            return router.refused(path, refusal)
        found = router.resolve(path)
        if found is None:
            return router.not_found(incoming, path)
        operations, params = found
        op = operations.by_method.get(incoming.method)
        if op is None:
            return operations.method_not_allowed(incoming.method)
        return op, params

    @staticmethod
    def guard(router: OperationRouter, incoming: Incoming, path: str) -> ApiError | None:
        """The router's check before anything else (the control plane's Host, Origin and
        token): the error that refuses the request, or None."""
        guard = router.guard
        return guard(incoming.method, path, incoming.headers) if guard is not None else None

    # 2. authenticate -----------------------------------------------------------------------
    def authenticate(self, call: Call) -> None:
        """The secured operation's tenant from its credentials (the one check of them); a
        refusal is kept for `admit`, so the body is read as for anyone."""
        try:
            call.tenant = call.router.vendor.authenticate(call.incoming.headers, self.store)
        except Exception as exc:
            call.tenant, call.failure = None, exc

    # 3. read body --------------------------------------------------------------------------
    def body_limit(self, call: Call) -> int:
        """How much of the request's body may be read: the prefix's limit, or for an
        offloaded operation (a large upload) what a fixture may be, once its credentials are
        good: a stranger's upload stops at the small limit (and is answered 401)."""
        small = call.router.max_body
        if not call.op.offload or (call.op.secured and call.tenant is None):
            return small
        return max(small, self.max_fixture)

    # 3b. catch up ---------------------------------------------------------------------------
    async def catch_up(self, call: Call, path_params: dict[str, str], lock: bool = False) -> None:
        """The request's tenant brought up to what other processes wrote to it (a database:
        one round trip, the group commit's next read, shared with the requests of the tenant
        that asked before it was sent: `Store.caught_up`). One another process replaced,
        reset or deleted is looked up again and the credentials checked again; a
        control-plane path's tenant (`{tenant}`) this process does not know yet is looked up
        (another process may have created it). `lock`: at once, on this thread, the
        tenant's appends kept to this process (`again`, in `Store.held`)."""
        tenant = call.tenant
        if tenant is None and call.ctx is not None:  # (running again: a login's tenant)
            tenant = call.ctx.tenant
            if tenant is not None:
                await self.bring_up(tenant, lock)
            return
        if tenant is not None:
            if await self.bring_up(tenant, lock) is not tenant:
                self.authenticate(call)
            return
        name = path_params.get("tenant")
        if name is not None and not call.op.secured:
            known = self.store.tenants.get(name)
            if known is not None:
                await self.bring_up(known, False, lock)
            elif not self.store.exists(name):  # (a quarantined one is not looked up)
                self.store.get(name)

    async def bring_up(
        self, tenant: TenantData, lock: bool, now: bool = False
    ) -> TenantData | None:
        """`tenant` caught up: at once (`lock`, `now`: in a held transaction, no await), or
        by the group commit's next read."""
        if lock or now:
            return self.store.catch_up(tenant, lock)
        return await self.store.caught_up(tenant)

    async def attempt(
        self,
        call: Call,
        path_params: dict[str, str],
        raw: bytes,
        too_large: ApiError | None,
        first: bool = True,
    ) -> Answer | Offload:
        """Steps 3b to 7 on a database several processes share: caught up, the synchronous
        steps, then the answer (a refusal's too) held until every unit the request saw is
        stored (`settle`). Behind: another process wrote first, everything the request saw of
        this process's was undone: it runs `again`.

        A vendor request's `first` attempt, on a tenant no other process was heard to write
        to since (`Store.presumed`), runs on the state as held, without the catch-up read: a
        unit it made is stored only if the tenant's head is still the one its state follows
        (the head-guarded append, checked after the request started: read-your-writes
        holds), else Behind. One that made no unit (a read, a refusal) answered from state
        that nothing checked: a catch-up read, sent now, must find nothing new, else Behind
        (`checked`)."""
        tenant = call.tenant
        made = None  # the units made of `tenant` before the handler, when presumed
        if first and tenant is not None and self.presumed(call, tenant):
            made = self.store.counts(tenant)[0]
        else:
            await self.catch_up(call, path_params)
        try:
            try:
                answered = self.run(call, path_params, raw, too_large)
            except Behind:
                raise
            except Exception as exc:
                answered = self.refuse(call, exc)
            if isinstance(answered, Offload):  # (an offloaded one settles once finished)
                return answered
            if tenant is not None and self.store.counts(tenant)[0] == made:
                await self.checked(call)
            else:
                await self.settle(call)
        except Behind:
            if made is not None:  # admitted on a state that was behind, counting nothing
                call.admitted = None  # (its run again admits it on the state caught up)
            raise
        return answered

    def presumed(self, call: Call, tenant: TenantData) -> bool:
        """Whether the request's first attempt runs on `tenant` as this process holds it
        (`attempt`): a vendor request, not offloaded, whose admission counts nothing on that
        state (no rate limit, no fault: run again, it is admitted again, on the state caught
        up), on a tenant no other process was heard to write to since (`Store.presumed`)."""
        return (
            not call.op.offload
            and faults.unchecked(tenant, call.router.vendor.name, call.op.operation_id)
            and self.store.presumed(tenant)
        )

    async def checked(self, call: Call) -> None:
        """`settle` for a request run on its tenant as held that made no unit: a catch-up
        read sent now (the group commit's next, shared) finds nothing another process wrote,
        and the tenant is still the one it ran on; else Behind (it runs `again`: it changed
        nothing)."""
        tenant = call.tenant
        assert tenant is not None
        _, foreign = self.store.counts(tenant)
        found = await self.store.caught_up(tenant)
        await self.settle(call)
        if found is not tenant or self.store.counts(tenant)[1] != foreign:
            raise Behind(
                f"tenant {tenant.name}: another process wrote to it since this process's "
                "state; this request changed nothing"
            )

    async def settle(self, call: Call) -> None:
        """Wait until every unit of writes the request saw is stored: each tenant it reached,
        its newest unit in flight (the group commit stores a tenant's units in order, or
        refuses them all). Raises what refused one (Behind: run again; StorageUnavailable),
        everything it saw of them undone."""
        ctx = call.ctx
        reached = call.tenant, ctx.tenant if ctx is not None else None, self.path_tenant(call)
        for number, tenant in enumerate(reached):
            if tenant is not None and tenant not in reached[:number]:
                waiting = self.store.settled(tenant)
                if waiting is not None:
                    await waiting

    def path_tenant(self, call: Call) -> TenantData | None:
        """The tenant a control-plane path names (`{tenant}`), if this process holds it."""
        name = call.params.get("tenant")
        return None if name is None else self.store.tenants.get(name)

    def run(
        self, call: Call, path_params: dict[str, str], raw: bytes, too_large: ApiError | None
    ) -> Answer | Offload:
        """Steps 4 to 7, one synchronous step of the event loop."""
        self.admit(call)
        return self.handle(call, self.parse(call, path_params, raw, too_large))

    # 4. admit ------------------------------------------------------------------------------
    def admit(self, call: Call) -> None:
        """A secured call's refused credentials; else, once its tenant is known, what is due
        on the tenant's clock, then its rate limit and fault (each commits by itself, before
        the request's own writes: its failure does not undo them; a call run `again` is not
        counted twice)."""
        if call.failure is not None:
            raise call.failure
        tenant = call.tenant
        if tenant is not None:
            schedule.run_due(self.due, tenant, self.request_logs)  # due comes before the call
            if call.admitted is not tenant:  # (as `limit` does: no call in between)
                stop = call.stop = faults.check(
                    self.rate_windows, tenant, call.router.vendor.name, call.op.operation_id
                )
                call.admitted = tenant
                if stop is not None:
                    stop.enforce()

    def limit(self, call: Call, tenant: TenantData) -> None:
        """The tenant's rate limit, then the operation's injected fault (sandbox/faults.py)."""
        if call.admitted is tenant:  # (a call run `again`)
            return
        call.stop = faults.check(
            self.rate_windows, tenant, call.router.vendor.name, call.op.operation_id
        )
        call.admitted = tenant
        if call.stop is not None:
            call.stop.enforce()

    # 5. parse ------------------------------------------------------------------------------
    def parse(
        self, call: Call, path_params: dict[str, str], raw: bytes, too_large: ApiError | None
    ) -> Context:
        """Parameters and body, parsed and validated against the operation's schemas."""
        op, incoming = call.op, call.incoming
        query = op.parsed_query(incoming.query_string, incoming.query)
        path = op.parse_parameters("path", path_params, None) if path_params else {}
        if too_large is not None:
            raise too_large
        body: Any = None
        item_errors: dict[tuple[str | int, ...], ApiError] = {}
        if op.offload:
            pass  # parsed in the worker thread, by the handler's work (Context.parse_body)
        elif raw:  # whatever it parses to, `null` included, is validated (blanks are no JSON)
            # (the Content-Type is read only by an operation that takes YAML too)
            said = incoming.headers.get("content-type", "") if op.accepts_yaml else ""
            body = op.unwrap_body(parse_body(raw, said, op))
            item_errors = op.validate_body(body)
        elif op.body_required:
            raise InvalidInput("request body is required", field="body")
        ctx = call.ctx = Context(
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
        tenant = call.tenant
        if tenant is not None:  # known for the whole request: values, not worked out per read
            ctx.data = tenant
            if not op.offload:  # (one synchronous step: the tenant's clock cannot move)
                ctx.now = tenant.clock.now()
        if op.offload:
            ctx.raw = raw
        return ctx

    # 6. handler ----------------------------------------------------------------------------
    def handle(self, call: Call, ctx: Context) -> Answer | Offload:
        """The vendor's handler, its writes one unit: committed with its reply, or all undone."""
        writes = open_unit()
        try:
            reply = call.router.vendor.handlers[call.op.operation_id](ctx)
            if isinstance(reply, Offload):
                writes.commit()  # (what it wrote before offloading, if anything)
                return reply  # finished by finish_offloaded
            return self.commit(call, reply, writes)  # (commits: the unit is closed)
        except BaseException:
            writes.close()  # every write the handler made, undone
            raise

    async def again(
        self, call: Call, path_params: dict[str, str], raw: bytes, too_large: ApiError | None
    ) -> Answer | Offload:
        """Steps 4 to 7 run again, with the same request, after another process wrote to the
        tenant first (Behind: the attempt changed nothing, its unit undone, nothing told to
        any listener): the tenant caught up each time, RETRIES times at most, then a 503
        naming the contention. Each attempt waits a random while first, up to BACKOFF
        seconds doubled at each attempt (other requests are served meanwhile), so that two
        processes busy with one tenant do not keep meeting at the same instant; past
        OPTIMISTIC attempts, it holds the tenant's row lock from its catch-up to its append
        (what is due and a fault's counters, committed alone, let it go: the next attempt
        takes it again)."""
        for attempt in range(RETRIES):
            await asyncio.sleep(random.uniform(0, BACKOFF * 2 ** min(attempt, 6)))
            try:
                if attempt < OPTIMISTIC:
                    return await self.attempt(call, path_params, raw, too_large, False)
                return await self.locked(call, lambda: self.run(call, path_params, raw, too_large))
            except Behind:
                continue
            except Exception as exc:
                return self.refuse(call, exc)
        tenant = _tenant_of(call)
        name = tenant.name if tenant is not None else "?"
        contention = StorageUnavailable(
            f"tenant {name}: other processes wrote to it first {RETRIES + 1} times in a row "
            "(contention on the database); this request changed nothing: send it again"
        )
        return self.refuse(call, contention)

    async def finish_offloaded(self, call: Call, offload: Offload) -> Answer:
        """An offloaded operation's answer: its handler's work runs in a worker thread, so
        other requests go on being served; the reply and every change to the store are made
        back on the event loop thread."""
        stepped = False
        try:
            with collector.paused():
                work = offload.work
                result = None if work is None else await asyncio.to_thread(work)
                with open_unit() as writes:  # a finish made at once is atomic, as any request
                    finished = offload.finish(result)
                    if isinstance(finished, Reply):
                        answer = self.commit(call, finished, writes)
                if not isinstance(finished, Reply):  # steps commit one by one, by design
                    stepped = True
                    ids = call.ctx.message_ids if call.ctx is not None else []
                    answer = self.commit(call, await self.stepped(call, finished, ids), None)
                if self.shared:  # (stored before it is answered)
                    await self.settle(call)
        except Exception as exc:
            answer = self.refuse(call, exc, stepped)
        finally:
            if offload.always is not None:
                offload.always()
        return answer

    async def stepped(self, call: Call, steps: Steps, message_ids: list[str]) -> Reply:
        """Run a finish's steps, letting the event loop serve other requests between them. A
        step commits at its end (on a database, stored before the next step, `locked`):
        one that fails recorded no message (its ids leave the request's `message_ids`), the
        steps before it did."""
        while True:
            logged = len(message_ids)
            try:
                # (on a database, each step `locked`: a generator cannot be run again, so a
                # step must not be refused as Behind; the steps before it stay stored)
                reply = (
                    await self.locked(call, lambda: _step(steps)) if self.shared else _step(steps)
                )
                if reply is not None:
                    return reply
                await asyncio.sleep(0)
            except BaseException:
                del message_ids[logged:]
                raise

    async def locked(self, call: Call, work: Callable[[], T]) -> T:
        """`work` (steps 4 to 7, or one step of a finish) run as a request that lost the
        race twice runs: once none of its tenant's units is in flight, caught up holding the
        tenant's row, its commit appended at once. Another process's appends wait for it,
        so it cannot be refused as Behind; then every unit it reached is settled."""
        async with self.store.quiet(_tenant_of(call)):  # (none of its units in flight)
            with self.store.held(True):
                await self.catch_up(call, call.params, True)  # (awaits nothing)
                done = work()
        await self.settle(call)  # (another tenant's, if it reached one)
        return done

    # 7. commit -----------------------------------------------------------------------------
    def commit(self, call: Call, reply: Reply, writes: Unit | None) -> Answer:
        """The handler's reply, encoded, and only then its writes made durable: an answer
        that cannot be made, or a journal that refuses the writes, raises with every write
        undone (CONTRACT section 13). A login or token call's tenant is known only now, from
        the credentials in its body: its rate limit and fault apply here."""
        if not call.op.secured:
            ctx = call.ctx
            if ctx is not None and ctx.tenant is not None:
                self.limit(call, ctx.tenant)
        status = reply.status
        body = encode(status, reply.body)
        if writes is not None:
            writes.commit()
        return status, body, reply.headers

    def refuse(self, call: Call, exc: Exception, stepped: bool = False) -> Answer:
        """A refusal in the vendor's envelope; a dropped connection; or a bug (500, logged).
        Nothing the request wrote remains (its unit was undone), so it recorded no message;
        but one that wrote in Steps (`stepped`) keeps the messages of the steps before."""
        if call.ctx is not None and not stepped:
            call.ctx.message_ids.clear()
        if isinstance(exc, faults.Dropped):  # no answer at all: the connection is closed
            return 0, None, None
        envelope = call.op.envelope
        if isinstance(exc, ApiError):
            refusal = errors.render(envelope, exc, call.now)
            try:
                return exc.http_status, encode(exc.http_status, refusal), exc.headers
            except (TypeError, ValueError) as unencodable:  # a message quoting a bad string
                exc = unencodable
        log.error("%s %s failed", call.incoming.method, call.incoming.path, exc_info=exc)
        return 500, errors.render(envelope, InternalError(), call.now), None

    # 8. log --------------------------------------------------------------------------------
    def log(self, call: Call, answer: Answer) -> None:
        """The tenant's request log entry for the answer."""
        ctx = call.ctx
        tenant = ctx.tenant if ctx is not None else call.tenant
        if tenant is not None:
            incoming = call.incoming
            body, body_size = call.body
            entry = _new_tuple(
                Entry,
                (
                    incoming.method,
                    incoming.path,
                    incoming.query_string,
                    answer[0],
                    call.op.operation_id,
                    call.router.vendor.name,
                    ctx.now if ctx is not None else tenant.clock.now(),
                    monotonic() - call.started,
                    ctx.message_ids if ctx is not None else [],
                    None,  # error
                    incoming.headers,
                    body,
                    body_size,
                    0.0,  # logged
                ),
            )
            self.request_logs.append(tenant, entry)

    # 9. reply ------------------------------------------------------------------------------
    @staticmethod
    def reply(send: Send, answer: Answer) -> Awaitable[None]:
        """The answer sent (after an injected latency's wait, in __call__); status 0 drops
        the connection instead."""
        status, body, headers = answer
        if status == 0:
            return drop_connection(send)
        return send_json(send, status, body, headers)


def _step(steps: Steps) -> Reply | None:
    """The next of `steps`; the Reply once they are all done."""
    try:
        next(steps)
    except StopIteration as done:
        reply: Reply = done.value
        return reply
    return None


def _tenant_of(call: Call) -> TenantData | None:
    """The tenant the request reached: its credentials', or the one a login found."""
    ctx = call.ctx
    return call.tenant or (ctx.tenant if ctx is not None else None)
