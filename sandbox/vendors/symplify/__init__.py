"""Symplify: temporary contact blocking (seed 004), the lists and contacts it applies to, and a
list send that honours it."""

from __future__ import annotations

import re
from pathlib import Path

from sandbox.vendor import FixtureSection, RealHosts, Vendor, Views
from sandbox.vendors.symplify import (
    collections,
    contacts,
    envelope,
    explain,
    fixture,
    lists,
    sends,
    tempblock,
    views,
)
from sandbox.vendors.symplify.auth import authenticate
from sandbox.vendors.symplify.credentials import CREDENTIALS
from sandbox.vendors.symplify.registry import handlers

__all__ = ["VENDOR", "contacts", "envelope", "lists", "sends", "tempblock"]

VENDOR = Vendor(
    explain=explain.explain,
    views=Views(Path(__file__).parent / "templates", views.recipients),
    name="symplify",
    handlers=handlers,
    authenticate=authenticate,
    envelope="symplify",
    collections=collections.COLLECTIONS,
    fixture=FixtureSection(fixture.tables, fixture.section),
    credentials=CREDENTIALS,
    # the current hosts and the legacy Carma ones, whose base path is `/{server}/rest`
    real_hosts=RealHosts(
        re.compile(r"(?:[a-z0-9-]+\.)+(?:symplifymail|carmamail)\.com"),
        re.compile(r"(?:/[^/]+)??/rest(?=/|$)"),
    ),
)
