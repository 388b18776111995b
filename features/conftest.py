"""The acceptance suite uses the same reusable steps integrators get: the comms-sandbox pytest
plugin registers them (sandbox.testing.steps), as it does in any project with pytest-bdd.

It also records, for features/trace.py and contracts/coverage.py, each scenario's result and
the vendor operations it called, in `.trace/scenarios.json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

if TYPE_CHECKING:  # imported by the plugin, after this conftest: as a plugin, not a module
    from sandbox.testing.steps import World

_TAG = re.compile(r"@([\w.-]+)")
RESULTS = Path(__file__).resolve().parent.parent / ".trace" / "scenarios.json"

# (feature file, scenario name) -> {"runs", "failed", "operations"}
_SCENARIOS: dict[tuple[str, str], dict[str, Any]] = {}


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


@pytest.fixture(autouse=True)
def snapshot_recreates_the_scenario(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every scenario, its tenant's snapshot recreates it exactly in a new tenant
    (docs/contract.md section 8): the new tenant's own snapshot is the same document."""
    if "world" not in request.fixturenames:
        yield
        return
    world: World = request.getfixturevalue("world")  # set up first, so torn down after this
    yield
    if world._tenant is None:  # the scenario never needed a tenant
        return
    taken = world.tenant.snapshot()
    copy = world.sandbox.create_tenant(taken)
    try:
        again = copy.snapshot()
    finally:
        copy.delete()
    for document in (taken, again):
        document.pop("snapshot")
        if not document["clock"]["frozen"]:
            document["clock"].pop("now")  # a running clock has moved on
    assert again == taken


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        template = scenario_wrapper_template_registry.get(getattr(item, "obj", None))
        if template is not None:
            feature = Path(template.feature.filename).name
            item.user_properties.append(("scenario", [feature, template.name]))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    properties = dict(report.user_properties)
    if "scenario" not in properties:
        return
    feature, name = properties["scenario"]
    entry = _SCENARIOS.setdefault((feature, name), {"runs": 0, "failed": 0, "operations": []})
    if report.when == "call":
        entry["runs"] += 1
    if report.failed:
        entry["failed"] += 1
    entry["operations"] = sorted({*entry["operations"], *properties.get("operations", [])})


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Written by the process that saw every report: the only one, or xdist's controller
    (this conftest is loaded there too, and workers hand it their reports)."""
    if getattr(session.config, "workerinput", None) is None and _SCENARIOS:
        rows = [{"feature": f, "scenario": s, **e} for (f, s), e in sorted(_SCENARIOS.items())]
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(rows, indent=1) + "\n")
