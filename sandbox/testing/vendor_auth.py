"""A vendor's credentials as its clients send them, usable however an application takes them:

    httpx.post(url, json=..., auth=tenant.capillary_auth())       # an httpx.Auth
    requests.post(url, json=..., auth=tenant.capillary_auth())    # requests' auth callable
    httpx.post(url, json=..., headers=tenant.capillary_auth())    # a Mapping of headers
    session.post(url, json=..., headers=tenant.capillary_auth())  # aiohttp, urllib3: headers

One small class serves every library: httpx's `Auth` protocol (`auth_flow`, and httpx checks
`isinstance(auth, httpx.Auth)`), requests' (`auth(prepared_request)` returning the request, as
`requests.auth.AuthBase` subclasses do; requests checks nothing else, so requests itself is not
imported) and a dict of the headers. aiohttp's `auth=` takes only its own
`BasicAuth`: pass `headers=` there. The repr masks the credentials.
"""

from __future__ import annotations

from collections.abc import Generator, MutableMapping
from typing import Protocol, TypeVar

import httpx


class _HasHeaders(Protocol):
    @property
    def headers(self) -> MutableMapping[str, str]: ...


_Request = TypeVar("_Request", bound=_HasHeaders)


class VendorAuth(httpx.Auth, dict[str, str]):
    """The header `name: value` a vendor authenticates a request by (`vendor` names it in the
    repr). A dict of the headers, as the helpers returned before they were an auth too: every
    library's `headers=` takes it as it is (urllib3 copies it with `.copy()`, others read it as
    a Mapping)."""

    def __init__(self, vendor: str, name: str, value: str) -> None:
        super().__init__({name: value})
        self.vendor = vendor

    # httpx: auth=
    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self)
        yield request

    # requests (and any library that calls its auth with the request): auth=
    def __call__(self, request: _Request) -> _Request:
        request.headers.update(self)
        return request

    def __repr__(self) -> str:
        masked = ", ".join(f"{name}: ***" for name in self)
        return f"<{self.vendor} auth ({masked})>"
