"""The web outbox under /_sandbox/ui and the event stream /_sandbox/tenants/{t}/events
(docs/contract.md section 10). They sit behind the control plane's guard (section 11), like
every other /_sandbox path; the page's controls call the control plane's own API."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import jinja2
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox import CONTROL_PREFIX
from sandbox.asgi import Incoming, json_response, read_body
from sandbox.catalog import Catalog
from sandbox.control.guard import COOKIE, LOGIN, STATIC, ControlGuard, cookie_value
from sandbox.errors import ApiError, PayloadTooLarge, Unauthorized, render
from sandbox.events import MessageEvents
from sandbox.store import Store
from sandbox.ui.pages import Pages
from sandbox.ui.stream import events_endpoint
from sandbox.vendor import Vendor

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
UI = f"{CONTROL_PREFIX}/ui"
# the two paths open without the token, as the guard names them under the control plane
LOGIN_PAGE, ASSETS = f"{CONTROL_PREFIX}{LOGIN}", f"{CONTROL_PREFIX}{STATIC}".rstrip("/")
LOGIN_BODY = 4096  # bytes of a login form: a token and where to go next


@dataclass(frozen=True)
class RawRoutes:
    """Control-plane paths served by an ASGI app of their own instead of an operation."""

    app: ASGIApp

    @staticmethod
    def handles(path: str) -> bool:
        """`path` is the part after /_sandbox."""
        return (
            path == "/ui"
            or path.startswith("/ui/")
            or (path.startswith("/tenants/") and path.endswith("/events") and path.count("/") == 3)
        )


def templates_for(vendors: Sequence[Vendor]) -> Jinja2Templates:
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(HERE / "templates"),
            jinja2.PrefixLoader(
                {
                    vendor.name: jinja2.FileSystemLoader(vendor.views.templates)
                    for vendor in vendors
                    if vendor.views is not None
                }
            ),
        ]
    )
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["breakable"] = breakable
    return Jinja2Templates(env=env)


_PUNCTUATION = re.compile(r"(?<=[/?&=,])")


def breakable(text: object) -> Markup:
    """`text` escaped, with a line-break opportunity after each / ? & = and comma: a long path
    or query wraps on a phone at its punctuation, never in the middle of a word."""
    return Markup("<wbr>").join(escape(part) for part in _PUNCTUATION.split(str(text)))


def ui_routes(
    store: Store,
    catalog: Catalog,
    events: MessageEvents,
    documents: list[str],
    guard: ControlGuard,
) -> RawRoutes:
    pages = Pages(store, catalog, templates_for(catalog.vendors), documents)

    async def home(request: Request) -> Response:
        return RedirectResponse(f"{UI}/", 307)

    async def missing(request: Request) -> Response:
        if not guard.admits(request.headers):  # an open path's near miss: no page, no names
            return PlainTextResponse("Not Found", 404)
        return pages.not_found(request, f"no page at {request.url.path}")

    router = Router(
        routes=[
            Route(UI, home),
            Route(f"{UI}/", pages.tenants),
            Mount(ASSETS, assets(), name="static"),
            Route(f"{UI}/tenants/{{tenant}}", pages.outbox),
            Route(f"{UI}/tenants/{{tenant}}/messages/{{id}}", pages.message),
            Route(f"{UI}/tenants/{{tenant}}/messages/{{id}}/body", pages.body),
            Route(f"{UI}/tenants/{{tenant}}/recipients", pages.recipients),
            Route(LOGIN_PAGE, login_page(pages, guard), methods=["GET", "POST"]),
            Route(f"{CONTROL_PREFIX}/tenants/{{tenant}}/events", events_endpoint(store, events)),
        ]
    )

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        response = await missing(Request(scope, receive))
        await response(scope, receive, send)

    router.default = not_found

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        """The router, or the guard's refusal; a page that fails is logged and answered 500,
        not left hanging."""
        refusal = scope.get("sandbox.refusal")
        if refusal is not None:
            await refused(scope, refusal)(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await router(scope, receive, tracked)
        except Exception:
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            if not started:
                await PlainTextResponse("the page failed; the server log says why", 500)(
                    scope, receive, send
                )

    return RawRoutes(app)


def assets() -> ASGIApp:
    """The page assets; a missing one is a plain 404 (it is reachable without the token:
    no page, no tenant names)."""
    files = StaticFiles(directory=HERE / "static")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await files(scope, receive, send)
        except HTTPException as exc:
            await PlainTextResponse(exc.detail, exc.status_code)(scope, receive, send)

    return app


def refused(scope: Scope, refusal: ApiError) -> Response:
    """A page without the token goes to the login form; anything else is refused as the
    control plane refuses it."""
    path = scope["path"]
    if isinstance(refusal, Unauthorized) and scope["method"] == "GET" and path.startswith(UI):
        query = scope.get("query_string", b"").decode("latin-1")
        wanted = path + (f"?{query}" if query else "")
        return RedirectResponse(f"{LOGIN_PAGE}?{urlencode({'next': wanted})}", 307)
    return json_response(render("sandbox", refusal), refusal.http_status, refusal.headers)


def login_page(pages: Pages, guard: ControlGuard) -> Callable[[Request], Awaitable[Response]]:
    async def login(request: Request) -> Response:
        if request.method == "GET":
            wanted = request.query_params.get("next", "")
            return pages.login(request, _local(wanted), wrong=False)
        try:  # read no more than a login form can be
            body = await read_body(Incoming(request.scope, request.receive), LOGIN_BODY)
        except PayloadTooLarge:
            return PlainTextResponse("the login form's body is too large", 413)
        form = parse_qs(body.decode("utf-8", "replace"))
        token, wanted = form.get("token", [""])[0], _local(form.get("next", [""])[0])
        if not guard.accepts(token):
            return pages.login(request, wanted, wrong=guard.cookie is not None)
        response = RedirectResponse(wanted, 303)
        response.set_cookie(
            COOKIE, cookie_value(token), path=CONTROL_PREFIX, httponly=True, samesite="strict"
        )
        return response

    return login


def _local(url: str) -> str:
    """Where to go after logging in: a page of the web outbox, never another site."""
    plain = url.isascii() and url.isprintable() and "//" not in url and "\\" not in url
    return url if plain and url.startswith(f"{UI}/") else f"{UI}/"
