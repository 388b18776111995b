"""Which vendor a host is (`Vendor.real_hosts`), and where the sandbox serves its paths.

    hosts = VendorHosts()
    hosts.find("eu.api.capillarytech.com").path("/v2/communications/sendMessage")
    # -> "/capillary/v2/communications/sendMessage"
    hosts.find("www.carmamail.com").path("/rest/1234/lists")  # -> "/symplify/1234/lists"
    hosts.find("api.example.com")  # -> None: not a vendor's

The interceptors that work below an HTTP library (urllib3's, aiohttp's) ask this once per
request; a host's answer is remembered, so a request costs one dict lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sandbox.vendor import RealHosts, Vendor
from sandbox.vendors import VENDORS

REMEMBERED = 1024  # hosts whose answer is kept (a test reaches a handful)


class VendorHost(NamedTuple):
    """A vendor's real host: the sandbox's prefix for the vendor, and its base-path rule."""

    prefix: str  # e.g. "/capillary"
    hosts: RealHosts

    def path(self, path: str) -> str:
        """The sandbox's path for `path` (and its query, if any) on the vendor's host: the
        vendor's base path (e.g. Symplify's `/rest`) removed, the vendor's prefix put first."""
        return self.prefix + (path[self.hosts.path_start(path) :] or "/")


class VendorHosts:
    """The vendors' real hosts (each vendor's `real_hosts` pattern, matched whole)."""

    def __init__(self, vendors: Sequence[Vendor] = VENDORS) -> None:
        self._vendors = [
            (vendor.real_hosts, VendorHost(f"/{vendor.name}", vendor.real_hosts))
            for vendor in vendors
            if vendor.real_hosts is not None
        ]
        self._known: dict[str, VendorHost | None] = {}

    def find(self, host: str) -> VendorHost | None:
        """The vendor host `host` names (case as given: DNS names are matched lower-case),
        or None."""
        try:
            return self._known[host]
        except KeyError:
            pass
        name = host.lower().rstrip(".")
        found = next(
            (vendor for hosts, vendor in self._vendors if hosts.hosts.fullmatch(name)), None
        )
        if len(self._known) >= REMEMBERED:
            self._known.clear()
        self._known[host] = found
        return found
