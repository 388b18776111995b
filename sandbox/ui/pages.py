"""The web outbox's pages (docs/contract.md section 10): tenants, a tenant's outbox, one
message with its decision, and its recipients as each vendor draws them. Server-rendered
from the store; every value is escaped by the templates (autoescape)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.templating import Jinja2Templates

from sandbox import outbox, request_log, schedule, webhooks
from sandbox.catalog import Catalog
from sandbox.engine import Category, Channel, Reason, Status
from sandbox.errors import ApiError, InvalidInput
from sandbox.store import Store, TenantData
from sandbox.store.backend import Behind
from sandbox.ui import mail

PAGE_SIZE = 50
SIBLINGS = 50  # other messages of the same request listed on a message's page
REASON_WORDS = {
    Reason.CUSTOMER_STATUS_BLOCKED: "customer status blocked",
    Reason.SENDER_BLOCKLISTED: "sender blocklisted",
    Reason.CONTACT_TEMP_BLOCKED: "contact temporarily blocked",
    Reason.SUBSCRIPTION_OPTED_OUT: "subscription opted out",
}
PAGE_PARAMS = ("offset", "fragment")  # the page's own; every other is a filter


class Pages:
    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        templates: Jinja2Templates,
        documents: list[str],
    ) -> None:
        self.store = store
        self.vendors = catalog.vendors
        self.directory = catalog.names
        self.due = catalog.due
        self.request_logs = catalog.request_logs
        self.templates = templates
        self.documents = documents

    def _page(
        self, request: Request, name: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        base = {
            "tenant": None,
            "clock": None,
            "tenants": sorted({*self.store.tenants, *self.store.degraded}),
            "documents": self.documents,
            "reason_words": REASON_WORDS,
        }
        response = self.templates.TemplateResponse(
            request, name, {**base, **context}, status_code=status
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'"
        )
        return response

    def not_found(self, request: Request, what: str, tenant: str | None = None) -> Response:
        return self._problem(request, "Not found", what, 404, tenant)

    def _problem(
        self, request: Request, title: str, what: str, status: int, tenant: str | None = None
    ) -> Response:
        context = {"title": title, "what": what, "tenant": tenant}
        return self._page(request, "problem.html", context, status)

    async def _tenant(self, request: Request) -> TenantData | Response:
        """The page's tenant, with what is due delivered; or the page that says why not: no
        such tenant (404), or its data is damaged (503, as the API answers)."""
        name = request.path_params["tenant"]
        try:
            data = await self.store.fresh(name)  # (what other processes wrote included)
            if data is None:
                return self.not_found(request, f"no tenant named '{name}'")
            try:  # what the page shows includes what is due
                schedule.run_due(self.due, data, self.request_logs)
            except Behind:  # another process recorded it first: the page shows theirs
                data = self.store.catch_up(data) or data
            waiting = self.store.settled(data)  # (a database: what is due, stored first)
            if waiting is not None:
                await waiting
        except ApiError as exc:  # quarantined or unreachable (StorageUnavailable)
            return self._problem(request, "Unavailable", exc.message, exc.http_status)
        return data

    async def _shown(self, request: Request, data: TenantData, page: Response) -> Response:
        """`page`, rendered from tenant `data` as this process holds it, sent once every unit
        of writes it showed is stored (a database's group commit: units still in flight when
        it was rendered, made by requests served while the page waited for its catch-up), as
        an API answer is; the problem page (503) if one was refused: it showed what did not
        happen (reloading it shows what did)."""
        waiting = self.store.settled(data)
        if waiting is None:
            return page
        try:
            await waiting
        except ApiError as exc:  # StorageUnavailable, Behind
            return self._problem(request, "Unavailable", exc.message, exc.http_status)
        return page

    # pages -----------------------------------------------------------------------------
    async def tenants(self, request: Request) -> Response:
        rows = [
            {"name": name, "messages": len(data["messages"]), "clock": data.clock.describe()}
            for name, data in sorted(self.store.tenants.items())
        ]
        degraded = [d.document() for _, d in sorted(self.store.degraded.items())]
        return self._page(request, "tenants.html", {"rows": rows, "degraded": degraded})

    async def outbox(self, request: Request) -> Response:
        data = await self._tenant(request)
        if isinstance(data, Response):
            return data
        query = request.query_params
        given = {name: query[name].strip() for name in query if name not in PAGE_PARAMS}
        filters = {name: value for name, value in given.items() if value}
        offset = _number(query.get("offset", ""))
        named = self.directory.named(data, filters.get("q", ""))
        try:  # an unknown filter or a bad time is refused, not ignored
            page, total = outbox.page(data["messages"], given, offset, PAGE_SIZE, named)
        except InvalidInput as exc:
            return PlainTextResponse(exc.message, 400)

        def link(**change: Any) -> str:
            state = {**filters, **change}
            return "?" + urlencode({k: v for k, v in state.items() if v not in (None, "", 0)})

        context = {
            "tenant": data.name,
            "clock": data.clock.describe(),
            "filters": filters,
            "messages": page,
            "names": {m["id"]: self.directory.name_of(data, m) for m in page},
            "excerpts": {m["id"]: mail.excerpt(m) for m in page},
            "total": total,
            "held": len(data["messages"]),
            "offset": offset,
            "newer": link(offset=max(offset - PAGE_SIZE, 0)) if offset else None,
            "older": link(offset=offset + PAGE_SIZE) if offset + PAGE_SIZE < total else None,
            "choices": {
                "vendor": [vendor.name for vendor in self.vendors],
                "channel": [c.value for c in Channel],
                "status": [s.value for s in Status],
                "reason": [r.value for r in Reason],
                "category": [c.value for c in Category],
            },
        }
        name = "outbox_rows.html" if query.get("fragment") == "rows" else "outbox.html"
        return await self._shown(request, data, self._page(request, name, context))

    async def _message(self, request: Request) -> tuple[TenantData, dict[str, Any]] | Response:
        """The page's tenant and message, or the page that says why not."""
        data = await self._tenant(request)
        if isinstance(data, Response):
            return data
        message_id = request.path_params["id"]
        message = data["messages"].get(message_id)
        if message is None:
            return self.not_found(
                request, f"no message {message_id} in tenant {data.name}", data.name
            )
        return data, message

    async def body(self, request: Request) -> Response:
        """A message's HTML body, for the sandboxed frame of its page (sandbox/ui/mail.py)."""
        found = await self._message(request)
        if isinstance(found, Response):
            return found
        return await self._shown(request, found[0], mail.preview(found[1]))

    async def message(self, request: Request) -> Response:
        found = await self._message(request)
        if isinstance(found, Response):
            return found
        data, message = found
        message_id = message["id"]
        entry = None  # the request that recorded it (the newest, were there several)
        deliveries = []  # its webhook deliveries
        try:  # (shared by the processes of a database: read from it)
            entries = self.request_logs.of(data)
        except ApiError as exc:  # StorageUnavailable
            return self._problem(request, "Unavailable", exc.message, exc.http_status)
        for logged in entries:
            if message_id in logged.message_ids:
                if logged.operation_id == webhooks.OPERATION:
                    deliveries.append(logged.document())
                else:
                    entry = logged
        ids = entry.message_ids if entry is not None else []
        others = [i for i in ids if i != message_id and i.isdigit()]  # not "... N in all"
        siblings = []
        for other in others[:SIBLINGS]:
            doc = data["messages"].get(other)
            siblings.append(doc if doc is not None else {"id": other, "gone": True})
        vendor = next((v for v in self.vendors if v.name == message["vendor"]), None)
        context = {
            "tenant": data.name,
            "clock": data.clock.describe(),
            "message": message,
            "name": self.directory.name_of(data, message),
            "html": mail.is_html(message),
            "vendor_reads": vendor.reads(data, message) if vendor and vendor.reads else [],
            # (not "request": the template's `request` is Starlette's)
            "trigger": entry.document() if entry is not None else None,
            "sent": request_log.sent(entry) if entry is not None else None,
            "log_size": self.store.settings.request_log_size,
            "siblings": siblings,
            "more_siblings": max(len(others) - SIBLINGS, 0),
            "deliveries": deliveries,
        }
        return await self._shown(request, data, self._page(request, "message.html", context))

    async def recipients(self, request: Request) -> Response:
        data = await self._tenant(request)
        if isinstance(data, Response):
            return data
        now = data.clock.now()
        sections = [
            {
                "vendor": vendor.name,
                "template": f"{vendor.name}/{vendor.views.template}",
                "data": vendor.views.recipients(data, now),
            }
            for vendor in self.vendors
            if vendor.views is not None
        ]
        context = {
            "tenant": data.name,
            "clock": data.clock.describe(),
            "sections": sections,
            "explainable": [v.name for v in self.vendors if v.explain is not None],
            "channels": [c.value for c in Channel],
            "categories": [c.value for c in Category],
        }
        return await self._shown(request, data, self._page(request, "recipients.html", context))

    def login(self, request: Request, wanted: str, *, wrong: bool) -> Response:
        return self._page(
            request,
            "login.html",
            # nothing about the sandbox before the token: no tenant names, no documents
            {"next": wanted, "wrong": wrong, "tenants": [], "documents": []},
            401 if wrong else 200,
        )


def _number(text: str, digits: int = 9) -> int:
    """A non-negative decimal of a few digits, or 0."""
    return int(text) if text.isascii() and text.isdecimal() and len(text) <= digits else 0
