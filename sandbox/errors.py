"""One error system: exceptions carry HTTP status, vendor code, message and field; each vendor
envelope has one renderer, chosen by the operation that failed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar


class ApiError(Exception):
    """An error answered to the client. Subclasses fix status, code and default message."""

    status: ClassVar[int] = 400
    code: ClassVar[int | str | None] = None
    default_message: ClassVar[str] = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        status: int | None = None,
        code: int | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.field = field
        self.http_status = status if status is not None else type(self).status
        self.vendor_code = code if code is not None else type(self).code
        self.headers = headers or {}
        super().__init__(self.message)


class InvalidInput(ApiError):
    status = 400
    default_message = "Input is invalid"


class Unparsed(InvalidInput):
    """A body that is not the syntax it was read as (JSON, YAML): refused as a whole, before
    any of its fields is looked at (bodies.py then says which Content-Type to send)."""


class Unauthorized(ApiError):
    status = 401
    default_message = "Unauthorized: missing or invalid credentials"


class Forbidden(ApiError):
    status = 403
    default_message = "Forbidden: these credentials have no access to this resource"


class NotFound(ApiError):
    status = 404
    default_message = "Not found"


class MethodNotAllowed(ApiError):
    status = 405
    default_message = "Method not allowed"


class Conflict(ApiError):
    status = 409
    default_message = "Conflict: the resource already exists"


class PayloadTooLarge(ApiError):
    status = 413
    default_message = "Request body exceeds 1 MiB"


class TooManyRequests(ApiError):
    status = 429
    default_message = "Too many requests"


class StorageUnavailable(ApiError):
    """A write could not be made durable (disk full, read-only, I/O error), or a tenant's
    files are damaged: nothing changed, and the message says what failed."""

    status = 503
    default_message = "storage unavailable"


class InternalError(ApiError):
    """A bug in the sandbox, answered in the vendor's envelope; the traceback is logged."""

    status = 500
    default_message = "comms-sandbox internal error (a bug: the server log has the traceback)"


# envelope name -> renderer(error, now) -> JSON body; `now` is the tenant's time when the
# request reached a tenant (None before that), for envelopes that carry a timestamp
Renderer = Callable[[ApiError, datetime | None], Any]
_RENDERERS: dict[str, Renderer] = {}


def register_envelope(name: str) -> Callable[[Renderer], Renderer]:
    def decorate(renderer: Renderer) -> Renderer:
        _RENDERERS[name] = renderer
        return renderer

    return decorate


def render(envelope: str, error: ApiError, now: datetime | None = None) -> Any:
    """`error` in `envelope`; the app refuses to start with an envelope no module registered
    (`known_envelope`), so the lookup cannot miss."""
    return _RENDERERS[envelope](error, now)


def known_envelope(envelope: str) -> bool:
    return envelope in _RENDERERS


@register_envelope("sandbox")
def _render_sandbox(error: ApiError, now: datetime | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": error.vendor_code or _SANDBOX_CODES.get(error.http_status, "ERROR"),
        "message": error.message,
    }
    if error.field:
        body["field"] = error.field
    return {"error": body}


_SANDBOX_CODES = {
    400: "INVALID_INPUT",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
    503: "STORAGE_UNAVAILABLE",
}
