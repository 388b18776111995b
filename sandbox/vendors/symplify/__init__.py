"""Symplify: temporary contact blocking (seed 004), the lists and contacts it applies to, and the
sends that honour it: triggers (its transactional send), journeys commenced for a contact and
a list send; lists are filled by CSV imports as well."""

from __future__ import annotations

import re
from pathlib import Path

from sandbox.vendor import FixtureSection, RealHosts, Vendor, Views
from sandbox.vendors.symplify import (
    collections,
    contact_reads,
    contacts,
    envelope,
    explain,
    fixture,
    imports,
    journey_batches,
    journeys,
    listings,
    lists,
    properties,
    sends,
    tempblock,
    triggers,
    views,
)
from sandbox.vendors.symplify.auth import authenticate
from sandbox.vendors.symplify.credentials import CREDENTIALS
from sandbox.vendors.symplify.handler_table import handlers

__all__ = [
    "VENDOR",
    "contact_reads",
    "contacts",
    "envelope",
    "imports",
    "journey_batches",
    "journeys",
    "listings",
    "lists",
    "properties",
    "sends",
    "tempblock",
    "triggers",
]

VENDOR = Vendor(
    explain=explain.explain,
    concepts=sends.CONCEPTS,
    channels=explain.CHANNELS,
    deliver_due=triggers.deliver_due,
    scheduled_work=triggers.WORK,
    views=Views(Path(__file__).parent / "templates", views.recipients, names=views.NAMES),
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
