"""Seed 002: subscriptions, scenario by scenario."""

from pytest_bdd import scenarios

scenarios("subscriptions.feature")
