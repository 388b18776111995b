"""Seed 004: Symplify temporary contact blocking, scenario by scenario."""

from pytest_bdd import scenarios

scenarios("temporary_block.feature")
