"""The acceptance suite uses the same reusable steps integrators import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.testing.steps import *  # noqa: F403 - pytest-bdd steps are fixtures

_TAG = re.compile(r"@([\w.-]+)")


def pytest_configure(config: pytest.Config) -> None:
    """Register every Gherkin tag (@seed-000, @stmt-000-01...) as a marker: the suite runs
    with --strict-markers, and tags are how scenarios are traced to seed statements."""
    tags = set()
    for feature in Path(__file__).parent.glob("*.feature"):
        for line in feature.read_text().splitlines():
            if line.strip().startswith("@"):
                tags.update(_TAG.findall(line))
    for tag in sorted(tags):
        config.addinivalue_line("markers", f"{tag}: Gherkin tag")
