"""The outbox's filters, by name (docs/contract.md section 4): the one list the control plane's
`GET .../outbox` declares (openapi/sandbox.yaml, checked by tests/test_outbox_filters.py), the web
outbox page, the test plugin's assertions and `comms-sandbox outbox` take. Kept apart from
sandbox/outbox.py so that the command line and the plugin name them without importing the store.
"""

from __future__ import annotations

# every filter the outbox takes, in the order the spec declares them
FILTERS = (
    "vendor",
    "channel",
    "to",  # the recipient, the same however written
    "from",  # the sender, the same however written
    "customer_id",  # Capillary's customer
    "contact",  # Symplify's contact: its originalId
    "status",
    "reason",
    "operation",  # the operationId of the call that recorded the message
    "category",
    "since",  # created_at >= since (ISO 8601, on the tenant's clock)
    "until",  # created_at < until
    "q",  # free text, any case, in any of the message's fields below
)
# the filters compared with the message's field of the same name as they are
EXACT = ("vendor", "channel", "contact", "status", "reason", "operation", "category")
# the fields free text (`q`) looks in
TEXT_FIELDS = (
    "id",
    "vendor",
    "channel",
    "to",
    "from",
    "customer_id",
    "contact",
    "status",
    "reason",
    "operation",
    "category",
    "subject",
    "body",
)
# how a list of them is paged
PAGING = ("limit", "offset")
