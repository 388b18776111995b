"""Capillary's subscription channels come from one table (subscription_channels.py): every
list of them (the documents' enums, the change log's ids, what the reads show, which
preferences decide sends) agrees with it, and a reordered table changes no derived list's
meaning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.engine import Channel
from sandbox.vendors.capillary import customers, subscription_channels
from sandbox.vendors.capillary.subscription_channels import CHANNELS

OPENAPI = Path(__file__).parents[2] / "openapi"


def _document(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((OPENAPI / name).read_text(encoding="utf-8"))
    return loaded


def test_the_documents_name_the_table_s_channels() -> None:
    capillary = _document("capillary.yaml")
    schemas = capillary["components"]["schemas"]
    assert schemas["SubscriptionV2"]["properties"]["channel"]["enum"] == [c.name for c in CHANNELS]
    log = capillary["paths"]["/v2/customers/{userId}/subscriptionStatusChangeLog"]["get"]
    item = log["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"]
    assert item["items"]["properties"]["commChannelType"]["enum"] == [
        c.name.lower() for c in CHANNELS
    ]
    configure = capillary["paths"]["/v2/internal/subscription/configuration"]["post"]
    body = configure["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]["channel"]["enum"]) == {
        c.name for c in subscription_channels.ruled()
    }
    # a fixture: its log entries name the channels as the store keeps them; its customers'
    # preferences in any spelling the sandbox reads
    capillary_section = _document("sandbox.yaml")["components"]["schemas"]["Fixture"]
    section = capillary_section["properties"]["capillary"]["properties"]
    logged = section["subscription_log"]["items"]["properties"]["channel"]["enum"]
    assert logged == [c.name for c in CHANNELS]
    preference = section["customers"]["items"]["properties"]["subscriptions"]["items"]
    assert {name.lower() for name in preference["properties"]["channel"]["enum"]} == set(
        subscription_channels.SPELLINGS
    )


def test_the_ruled_channels_are_the_engine_s() -> None:
    assert {c.name: c.sends for c in subscription_channels.ruled()} == {
        "MOBILE": Channel.SMS,
        "EMAIL": Channel.EMAIL,
    }
    assert [c.name for c in subscription_channels.recorded_only()] == [
        "wechat",
        "whatsapp",
        "ios",
        "android",
        "line",
    ]


def test_a_reordered_table_still_records_only_the_channels_without_a_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The recorded-only preferences are those of channels without a rule, whatever the
    table's order (they were a slice past its first two)."""
    monkeypatch.setattr(subscription_channels, "CHANNELS", tuple(reversed(CHANNELS)))
    everything = {f"{c.name}:{p}": False for c in CHANNELS for p in ("TRANS", "BULK")}
    recorded = customers.recorded_only({"subscriptions": everything})
    assert {channel for channel, _, _ in recorded} == {
        "wechat",
        "whatsapp",
        "ios",
        "android",
        "line",
    }
    assert [channel for channel, _, _ in recorded][:2] == ["line", "line"]  # the table's order
