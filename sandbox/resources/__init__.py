"""The files the server and the testing helpers read at run time, shipped inside the package.

`openapi/` and `fixtures/` at the top of the repository are the source; in a checkout (and an
editable install) `sandbox/resources/openapi` and `.../fixtures` are links to them, and a built
wheel carries copies. Either way they are found next to this module, never by a path relative
to a checkout or the working directory.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _directory(name: str) -> Path:
    found = files(__name__) / name
    # installed packages are unpacked on disk (a zipped install is not supported)
    path = Path(str(found))
    if not path.is_dir():
        raise FileNotFoundError(f"the package's {name}/ resources are missing at {path}")
    return path


def openapi_dir() -> Path:
    """The OpenAPI documents the app is driven by."""
    return _directory("openapi")


def fixtures_dir() -> Path:
    """The fixture documents: `demo.yaml`, the demo tenant a fresh server holds."""
    return _directory("fixtures")
