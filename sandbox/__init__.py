"""comms-sandbox: a local, stateful sandbox of messaging APIs built around suppression."""

__version__ = "0.1.0"

# The control plane's path prefix: every path under it is the sandbox's own API (openapi/
# sandbox.yaml), never a vendor's. Named here once; a test keeps the literal out of the rest.
CONTROL_PREFIX = "/_sandbox"
