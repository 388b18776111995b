"""Seed 000: block communication, scenario by scenario."""

from pytest_bdd import scenarios

scenarios("block_communication.feature")
