"""Seed 003: customer interactions, scenario by scenario."""

from pytest_bdd import scenarios

scenarios("interactions.feature")
