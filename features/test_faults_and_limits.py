"""docs/contract.md section 7 and seed 003's rate limit, scenario by scenario."""

from pytest_bdd import scenarios

scenarios("faults_and_limits.feature")
