"""The emulated vendors, in the order the app mounts them."""

from __future__ import annotations

from sandbox.vendor import Vendor
from sandbox.vendors import capillary, messangi, symplify

VENDORS: tuple[Vendor, ...] = (capillary.VENDOR, messangi.VENDOR, symplify.VENDOR)

# operationId -> the vendor it belongs to (the app refuses to start unless each vendor's
# handlers are exactly its document's operations; tests/test_spec.py checks ids are unique)
OPERATIONS: dict[str, str] = {op: vendor.name for vendor in VENDORS for op in vendor.handlers}
