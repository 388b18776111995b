"""Messangi: the per-sender Blocklisted Subscriber API and the SMS, e-mail, WhatsApp and RCS
sends it applies to (seed 001)."""

from __future__ import annotations

import re
from pathlib import Path

from sandbox.vendor import FixtureSection, RealHosts, Vendor, Views
from sandbox.vendors.messangi import (
    auth,
    blocklist,
    collections,
    envelope,
    explain,
    fixture,
    sends,
    views,
)
from sandbox.vendors.messangi.auth import authenticate
from sandbox.vendors.messangi.credentials import CREDENTIALS
from sandbox.vendors.messangi.handler_table import handlers

__all__ = ["VENDOR", "auth", "blocklist", "envelope", "sends"]

VENDOR = Vendor(
    explain=explain.explain,
    concepts=sends.CONCEPTS,
    channels=explain.CHANNELS,
    views=Views(Path(__file__).parent / "templates", views.recipients),
    name="messangi",
    handlers=handlers,
    authenticate=authenticate,
    envelope="messangi",
    collections=collections.COLLECTIONS,
    fixture=FixtureSection(fixture.tables, fixture.section),
    credentials=CREDENTIALS,
    real_hosts=RealHosts(re.compile(r"(?:elastic|staging-aws)\.messangi\.me")),
)
