"""Symplify journeys commenced for a contact, scenario by scenario."""

from pytest_bdd import scenarios

scenarios("journeys.feature")
