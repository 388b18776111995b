"""Capillary's collections: status labels, customers and their label and subscription
histories, change and goodwill requests, OTPs, the org's settings."""

from __future__ import annotations

from sandbox import normalise
from sandbox.store.collection import CollectionSpec

STATUS_LABELS = CollectionSpec("status_labels", key="name")
CUSTOMERS = CollectionSpec(
    "customers",
    unique=("mobile", "email", "external_id", "wechat"),
    normalise={
        "mobile": normalise.phone,
        "email": normalise.email,
        "external_id": normalise.text,
        "wechat": normalise.text,
    },
    shared=("status_label", "source"),
)
STATUS_LOG = CollectionSpec("status_log", multi=("customer_id",))
# every opt-in and opt-out applied, whatever API made it (subscription_log.py)
SUBSCRIPTION_LOG = CollectionSpec(
    "subscription_log", multi=("customer_id",), shared=("channel", "priority", "reason", "source")
)
# change and goodwill requests (`requests` in files of earlier releases)
CHANGE_REQUESTS = CollectionSpec("change_requests", multi=("customer_id",), formerly=("requests",))
OTPS = CollectionSpec("otps", key="subject")
# the org's settings a fixture declares (`capillary.org`): one document, "org"
ORG = CollectionSpec("capillary_org")

COLLECTIONS = (
    STATUS_LABELS,
    CUSTOMERS,
    STATUS_LOG,
    SUBSCRIPTION_LOG,
    CHANGE_REQUESTS,
    OTPS,
    ORG,
)
