"""The emulated vendors, in the order the app mounts them."""

from __future__ import annotations

from sandbox.vendor import Vendor
from sandbox.vendors import capillary, messangi, symplify

VENDORS: tuple[Vendor, ...] = (capillary.VENDOR, messangi.VENDOR, symplify.VENDOR)
