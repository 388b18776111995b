"""Seed 001: the Messangi per-sender blocklist, scenario by scenario."""

from pytest_bdd import scenarios

scenarios("sender_blocklist.feature")
