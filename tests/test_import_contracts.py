"""`make layers` (in `make test`) keeps .importlinter's contracts: these tests show that the
gate breaks, naming the import, when a copy of sandbox/ gets an import circle or a store that
reaches up to the vendors, a bottom module or a vendor that imports a layer above it, and
that the tree as it is keeps every contract."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package and the contracts, to break on purpose."""
    shutil.copytree(ROOT / "sandbox", tmp_path / "sandbox", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    contracts = (tree / ".importlinter").read_text().count("[importlinter:contract:")
    assert f"{contracts} kept, 0 broken" in result.stdout


def test_an_import_circle_breaks_the_gate_naming_it(tree: Path) -> None:
    with (tree / "sandbox" / "clock.py").open("a") as clock:
        clock.write("\nimport sandbox.app  # noqa: E402\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert (
        "No import circle among sandbox's modules, nor among its packages BROKEN" in result.stdout
    )
    assert "sandbox.clock" in result.stdout


def test_a_store_that_imports_a_vendor_breaks_the_gate_naming_it(tree: Path) -> None:
    (tree / "sandbox" / "store" / "reach_up.py").write_text("import sandbox.vendors  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "The store knows collections, not vendors, events, HTTP or the app BROKEN" in (
        result.stdout
    )
    assert "sandbox.store.reach_up -> sandbox.vendors" in result.stdout


def test_a_tenant_state_that_imports_the_journal_breaks_the_gate_naming_it(tree: Path) -> None:
    """The state talks to its storage through sandbox/store/backend.py only: a second backend
    (a database) then needs no change to it."""
    with (tree / "sandbox" / "store" / "tenant.py").open("a") as tenant:
        tenant.write("\nimport sandbox.store.journal  # noqa: E402\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "A tenant's state reaches its storage only through the backend interface BROKEN" in (
        result.stdout
    )
    assert "sandbox.store.tenant -> sandbox.store.journal" in result.stdout


LAYERS = "Each layer imports only the layers below it BROKEN"


def test_a_bottom_module_that_imports_upward_breaks_the_layers_naming_it(tree: Path) -> None:
    """errors.py (the bottom layer) reaching the store: no circle, but a layer upside down."""
    with (tree / "sandbox" / "errors.py").open("a") as errors:
        errors.write("\nimport sandbox.store  # noqa: E402\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert LAYERS in result.stdout
    assert "sandbox.errors -> sandbox.store" in result.stdout


def test_a_vendor_that_imports_the_request_path_breaks_the_layers_naming_it(tree: Path) -> None:
    """The request path, the control plane and the web pages sit above the vendors."""
    (tree / "sandbox" / "vendors" / "reach_up.py").write_text(
        "import sandbox.request_path  # noqa\n"
    )
    result = _lint(tree)
    assert result.returncode != 0
    assert LAYERS in result.stdout
    assert "sandbox.vendors.reach_up -> sandbox.request_path" in result.stdout
