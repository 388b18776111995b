"""The baseline: a bare Starlette app on the same uvicorn stack, answering a constant JSON.

It reads the request body (as the sandbox must) and answers every path, so the same wrk
script drives it; `/_sandbox/health` answers 200 too, so the same readiness check works.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"status":{"success":true,"code":200,"message":"Success"}}'


async def constant(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", constant, methods=["GET", "POST"])])
