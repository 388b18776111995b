"""An example tenant like docs/contract.md's: a blocked customer, an active one, an opted-out one;
a Messangi number blocklisted on one sender of two; a Symplify account with two lists.

sandbox.create_tenant(EXAMPLE_FIXTURE)
"""

from __future__ import annotations

from typing import Any

EXAMPLE_FIXTURE: dict[str, Any] = {
    "capillary": {
        "status_labels": [
            {"name": "Active", "status": "ACTIVE", "block_communications": False},
            {"name": "Suspended", "status": "SUSPENDED", "block_communications": True},
        ],
        "customers": [
            {
                "id": 565039505,
                "mobile": "919353491050",
                "email": "gcr@example.com",
                "external_id": "EXT-1",
                "wechat": "oWX-123",
                "status_label": "Suspended",
            },
            {
                "id": 565039506,
                "mobile": "919988221100",
                "email": "tom@example.com",
                "external_id": "EXT-2",
                "wechat": "oWX-456",
                "status_label": "Active",
            },
            {
                "id": 565039507,
                "mobile": "919876543210",
                "email": "rita@example.com",
                "status_label": "Active",
                "subscriptions": [
                    {"channel": "sms", "priority": "BULK", "subscribed": False},
                    {"channel": "sms", "priority": "TRANS", "subscribed": False},
                    {"channel": "email", "priority": "BULK", "subscribed": False},
                ],
            },
        ],
    },
    "messangi": {
        "senders": [
            {"from": "141555549", "type": "SMS"},
            {"from": "528811", "type": "SMS"},
            {"from": "news@example.com", "type": "EMAIL"},
        ],
        # blocked on sender 141555549 only: sender 528811 still reaches the number
        "blocklist": [
            {"to": "+525500000000", "from": "141555549", "type": "SMS", "reason": "UNSUBSCRIBED"},
            {"to": "blocked@example.com", "from": "news@example.com", "type": "EMAIL"},
        ],
    },
    "symplify": {
        "accounts": [
            {
                "customer_id": "1234",
                "lists": [
                    {
                        "id": "42",
                        "contacts": [{"original_id": "111", "email": "lady_gaga@example.com"}],
                    },
                    {"id": 43},
                ],
                "triggers": [{"id": 7, "name": "Order confirmation", "list_id": 42}],
                "journeys": [{"id": 11, "name": "Welcome", "list_id": 42, "messages": [{}]}],
            }
        ]
    },
}
BLOCKED, ACTIVE, OPTED_OUT = 565039505, 565039506, 565039507
