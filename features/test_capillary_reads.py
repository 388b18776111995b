"""Issue 24: Capillary's reads of what became of a message, scenario by scenario."""

from pytest_bdd import scenarios

scenarios("capillary_reads.feature")
