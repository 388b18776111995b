"""Who may use the control plane (docs/contract.md section 11): a local web control plane is
reachable by every page the developer's browser opens, so it is guarded as Jupyter and
Mailpit guard theirs.

- Host: only a loopback name (`localhost`, `127.0.0.1`, `[::1]`), the bind address or an
  allowed host (`--allowed-host`, `SANDBOX_ALLOWED_HOSTS`; `*` allows any). A DNS-rebinding
  page reaches the server under its own host name and is refused (403).
- Origin: a state-changing request (PUT, POST, DELETE) that names another origin is refused
  (403), even the "simple" cross-origin POST a page may send without asking (`no-cors`).
  Requests without an Origin (curl, test clients) are not browsers' cross-site requests.
- Token: with `--control-token` (`SANDBOX_CONTROL_TOKEN`) every request must carry
  `Authorization: Bearer <token>` (401 otherwise), or, from a browser, the cookie the web
  outbox's login form sets (`comms_sandbox_token`, HttpOnly, SameSite=Strict). The login form
  and the page assets need no token.

`GET /_sandbox/health` answers anyone: liveness probes send no token and any Host (with a
token set, the quarantined tenants it lists are named only to the token's holder). Nothing
else answers without the token: every path the router takes for the control plane, however
it is spelled (`//_sandbox/...`, `%2F`, dot segments), is judged here as the router reads it,
and the open paths' answers (the login form, an asset or its plain 404) name no tenant. A
webhook delivery (`WEBHOOK_HEADER`, sandbox/webhooks.py) is refused whatever it carries: a
tenant's webhook pointed at the sandbox must not act on its control plane.
The vendor APIs are not guarded here: they answer to their own credentials.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Iterable, Mapping

from sandbox.errors import ApiError, Forbidden, Unauthorized
from sandbox.settings import Settings
from sandbox.webhooks import WEBHOOK_HEADER

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})
_CHANGES = frozenset({"PUT", "POST", "DELETE", "PATCH"})
HEALTH = "/health"
COOKIE = "comms_sandbox_token"
LOGIN = "/ui/login"
# reachable without the token (the Host and Origin checks still apply): the login form, and
# the page assets below this prefix
STATIC = "/ui/static/"


def host_name(host: str) -> str:
    """`[::1]:8000` -> `::1`, `Localhost:8000` -> `localhost`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host


class ControlGuard:
    @staticmethod
    def of(settings: Settings) -> ControlGuard:
        """The guard of the server these settings run (one for settings alike)."""
        return _guard(settings.host, tuple(settings.allowed_hosts), settings.control_token)

    def __init__(self, bind: str, allowed_hosts: Iterable[str], token: str | None) -> None:
        allowed = {host_name(h) for h in allowed_hosts if h.strip()}
        self.any_host = "*" in allowed
        self.hosts = LOOPBACK | allowed | ({host_name(bind)} - ANY_ADDRESS)
        self.token = f"Bearer {token}".encode() if token else None
        # the cookie holds a digest of the token, not the token
        self.cookie = cookie_value(token).encode() if token else None

    def refusal(self, method: str, path: str, headers: Mapping[str, str]) -> ApiError | None:
        """Why this control-plane request is refused, or None to let it through. `path` is
        the part after /_sandbox."""
        if WEBHOOK_HEADER in headers:
            return Forbidden(
                "a webhook delivery may not act on the control plane (a tenant's webhook_url "
                "leads to this sandbox)",
                field=WEBHOOK_HEADER,
            )
        if path == HEALTH and method in {"GET", "HEAD"}:
            return None
        host = headers.get("host", "")
        if not self.any_host and host_name(host) not in self.hosts:
            return Forbidden(
                f"the control plane answers to a loopback host, the bind address or an allowed "
                f"host (--allowed-host), not {host!r}",
                field="Host",
            )
        origin = headers.get("origin")
        if origin is not None and method in _CHANGES and not _same_origin(origin, host):
            return Forbidden(
                f"a {method} from another origin ({origin}) may not change the sandbox",
                field="Origin",
            )
        if path != LOGIN and not path.startswith(STATIC) and not self.admits(headers):
            return Unauthorized(
                "the control plane needs Authorization: Bearer <the --control-token>",
                field="Authorization",
            )
        return None

    def admits(self, headers: Mapping[str, str]) -> bool:
        """No token is set, or the request carries it (its header or the login's cookie)."""
        if self.token is None:
            return True
        given = headers.get("authorization", "").encode("latin-1", "replace")
        return hmac.compare_digest(given, self.token) or self._cookie_matches(headers)

    def _cookie_matches(self, headers: Mapping[str, str]) -> bool:
        assert self.cookie is not None
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return hmac.compare_digest(value.encode("latin-1", "replace"), self.cookie)
        return False

    def accepts(self, token: str) -> bool:
        """Whether `token` (typed in the login form) is the control token (there is one)."""
        return self.cookie is not None and hmac.compare_digest(
            cookie_value(token).encode(), self.cookie
        )


@functools.cache
def _guard(bind: str, allowed_hosts: tuple[str, ...], token: str | None) -> ControlGuard:
    return ControlGuard(bind, allowed_hosts, token)


def cookie_value(token: str) -> str:
    return hashlib.sha256(f"comms-sandbox:{token}".encode()).hexdigest()


def _same_origin(origin: str, host: str) -> bool:
    """The page's origin is this server's: http(s)://<the Host the request came to>."""
    scheme, _, rest = origin.strip().lower().partition("://")
    return scheme in {"http", "https"} and rest.rstrip("/") == host.strip().lower()
