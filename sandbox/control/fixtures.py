"""Fixture documents (CONTRACT.md section 3) turned into a tenant's starting tables.

The shape is validated by `openapi/sandbox.yaml` before this runs; each vendor section is
then loaded by that vendor's own fixture module, which checks cross-references.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from sandbox.spec import YAML_LOADER
from sandbox.store.collection import Doc
from sandbox.vendors.capillary import fixture as capillary_fixture
from sandbox.vendors.messangi import fixture as messangi_fixture
from sandbox.vendors.symplify import fixture as symplify_fixture

Loader = Callable[[dict[str, Any], datetime], dict[str, list[Doc]]]

# Each vendor's section of a fixture, loaded by that vendor.
LOADERS: dict[str, Loader] = {
    "capillary": capillary_fixture.tables,
    "messangi": messangi_fixture.tables,
    "symplify": symplify_fixture.tables,
}


def tables(fixture: dict[str, Any] | None, now: datetime) -> dict[str, list[Doc]]:
    result: dict[str, list[Doc]] = {}
    for section, loader in LOADERS.items():
        content = (fixture or {}).get(section)
        if content:
            for name, docs in loader(content, now).items():
                result.setdefault(name, []).extend(docs)
    return result


def read_file(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        document = yaml.load(handle, Loader=YAML_LOADER)
    return document or {}
