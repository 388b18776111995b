"""Which vendor a request to a real host belongs to, and where the sandbox serves it.

The one table every HTTP library's routing reads (respx reads `Vendor.real_hosts` itself, as
route patterns): a host matches a vendor's `RealHosts.hosts`, the path loses the vendor's base
path (`RealHosts.path_start`, e.g. Symplify's `/rest`) and goes under `/{vendor}`:

    route = VendorHosts().route("eu-proxy-1.symplifymail.com")
    route.target("/rest/1234/lists", "page=2")  # "/symplify/1234/lists?page=2"
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.vendor import RealHosts, Vendor
from sandbox.vendors import VENDORS

BLOCK_OPTION = "comms_sandbox_block_network"


@dataclass(frozen=True, slots=True)
class VendorRoute:
    vendor: str
    hosts: RealHosts

    def target(self, raw_path: str, query: str = "") -> str:
        """The sandbox's path (and query) for a request to this vendor's real host."""
        path = raw_path[self.hosts.path_start(raw_path) :] or "/"
        return f"/{self.vendor}{path}?{query}" if query else f"/{self.vendor}{path}"


class VendorHosts:
    """The vendors' real hosts, matched whole and case-blind (a trailing dot, as in a fully
    qualified name, matches too: it names the same host)."""

    def __init__(self, vendors: Sequence[Vendor] = VENDORS) -> None:
        self._routes = [
            (
                re.compile(vendor.real_hosts.hosts.pattern, re.IGNORECASE),
                VendorRoute(vendor.name, vendor.real_hosts),
            )
            for vendor in vendors
            if vendor.real_hosts is not None
        ]

    def route(self, host: str) -> VendorRoute | None:
        """The vendor that serves `host`, or None for any other host."""
        host = host.rstrip(".")
        for pattern, route in self._routes:
            if pattern.fullmatch(host):
                return route
        return None


def blocked(host: str) -> str:
    """Why a request to a host that is not a vendor's was refused: the same words for every
    library."""
    return (
        f"comms-sandbox blocked a request to {host}: while the network is blocked "
        f"({BLOCK_OPTION} = true in the ini file, or @pytest.mark.{BLOCK_OPTION}) only the "
        "vendors' hosts answer, from the sandbox"
    )
