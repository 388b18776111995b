"""Symplify: temporary contact blocking (seed 004), the lists and contacts it applies to, and a
list send that honours it."""

from __future__ import annotations

from sandbox.http import Vendor
from sandbox.vendors.symplify import contacts, envelope, lists, sends, tempblock
from sandbox.vendors.symplify.auth import authenticate
from sandbox.vendors.symplify.handlers import handlers

__all__ = ["VENDOR", "contacts", "envelope", "lists", "sends", "tempblock"]

VENDOR = Vendor(name="symplify", handlers=handlers, authenticate=authenticate, envelope="symplify")
