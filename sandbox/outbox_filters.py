"""The outbox's filters, by name (docs/contract.md section 4): the one list the control plane's
`GET .../outbox` declares (openapi/sandbox.yaml, checked by tests/test_outbox_filters.py), the web
outbox page, the test plugin's assertions and `comms-sandbox outbox` take. Kept apart from
sandbox/outbox.py so that the command line and the plugin name them without importing the store.
"""

from __future__ import annotations

# every filter the outbox takes, in the order the spec declares them, and what it matches
FILTERS = {
    "vendor": "the vendor",
    "channel": "the channel (SMS, EMAIL, WHATSAPP, ...)",
    "to": "the recipient, the same however written (phone digits, e-mail in any case)",
    "from": "the sender, trimmed, then compared exactly (as the blocklists compare it)",
    "customer_id": "the customer's id (a vendor with customer records)",
    "contact": "the contact, by the vendor's id for it (an originalId)",
    "status": "DELIVERED or SUPPRESSED",
    "reason": "why it was suppressed (e.g. SENDER_BLOCKLISTED)",
    "operation": "the operationId of the call that recorded it",
    "category": "the category (TRANSACTIONAL, PROMOTIONAL, OTP, ...)",
    "since": "created at or after this ISO 8601 time or date, on the tenant's clock",
    "until": "created before this ISO 8601 time or date, on the tenant's clock",
    "q": "free text, in any case, in any of these fields, the id, subject or body, or the "
    "recipient's name where the tenant knows it",
}
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
