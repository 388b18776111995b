"""Capillary Intouch: customers, status labels, the 14 block-communication APIs, OTP,
subscriptions and interactions (seeds 000, 002, 003)."""

from __future__ import annotations

import re
from pathlib import Path

from sandbox.vendor import FixtureSection, RealHosts, Vendor, Views
from sandbox.vendors.capillary import (
    collections,
    communications,
    customer_api,
    explain,
    interactions,
    message_reads,
    messaging,
    oauth,
    otp,
    request_api,
    status,
    subscription_api,
    subscription_log,
    subscriptions,
    views,
)
from sandbox.vendors.capillary import fixture as capillary_fixture
from sandbox.vendors.capillary.auth import authenticate
from sandbox.vendors.capillary.control_api import control_handlers
from sandbox.vendors.capillary.credentials import CREDENTIALS
from sandbox.vendors.capillary.errors import MESSAGES
from sandbox.vendors.capillary.handler_table import handlers

__all__ = [
    "VENDOR",
    "communications",
    "customer_api",
    "interactions",
    "message_reads",
    "oauth",
    "otp",
    "request_api",
    "status",
    "subscription_api",
    "subscription_log",
    "subscriptions",
]

VENDOR = Vendor(
    explain=explain.explain,
    concepts=messaging.CONCEPTS,
    channels=explain.CHANNELS,
    views=Views(Path(__file__).parent / "templates", views.recipients, names=views.NAMES),
    name="capillary",
    handlers=handlers,
    authenticate=authenticate,
    envelope="capillary-v2",
    error_messages=MESSAGES,
    collections=collections.COLLECTIONS,
    fixture=FixtureSection(capillary_fixture.tables, capillary_fixture.section),
    credentials=CREDENTIALS,
    control_handlers=control_handlers,
    real_hosts=RealHosts(re.compile(r"(?:[a-z0-9-]+\.)+api\.capillarytech\.com")),
    reads=message_reads.read_back,
)
