"""One name per idea (docs/architecture.md "One name per idea"), kept by a machine: the
control plane's prefix is spelled once in sandbox's code, and each name the glossary gives one
idea is defined in one module only. Docstrings and comments may say "/_sandbox" freely: they
are read, not run.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import sandbox

ROOT = Path(sandbox.__file__).parent
PREFIX = "/_sandbox"
HOME = "sandbox/__init__.py"  # where CONTROL_PREFIX is defined

# Names the glossary gives to one idea: a second module defining one of them is a second idea
# under the same name (as `Answer`, `Outcome`, `LARGE` (now `FREEZE_PAST`), `COALESCE` and the
# prefix were).
ONE_IDEA = ("CONTROL_PREFIX", "Answer", "Outcome", "FREEZE_PAST", "COALESCE", "Recorder")


def _modules() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(ROOT.parent)): ast.parse(path.read_text(), str(path))
        for path in sorted(ROOT.rglob("*.py"))
    }


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def spelling_the_prefix(modules: dict[str, ast.Module]) -> dict[str, list[int]]:
    """Module -> the lines whose code (not a docstring) spells the control prefix: "/_sandbox"
    in a string, or its bare segment "_sandbox"."""
    found: dict[str, list[int]] = defaultdict(list)
    for name, tree in modules.items():
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and (PREFIX in node.value or node.value.strip("/") == PREFIX[1:])
            ):
                found[name].append(node.lineno)
    return dict(found)


def defining(modules: dict[str, ast.Module], wanted: str) -> list[str]:
    """The modules that define `wanted` at their top level (class, def or assignment)."""
    found = []
    for name, tree in modules.items():
        for node in tree.body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                names = {node.name}
            elif isinstance(node, ast.Assign):
                names = {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = {node.target.id}
            else:
                continue
            if wanted in names:
                found.append(name)
                break
    return found


def test_the_control_prefix_is_spelled_once_in_sandboxs_code() -> None:
    spelt = spelling_the_prefix(_modules())
    assert spelt.pop(HOME, None), f"{HOME} no longer defines CONTROL_PREFIX = {PREFIX!r}"
    stray = spelt
    assert not stray, (
        f"the control prefix {PREFIX!r} spelled again (module: lines); "
        f"use sandbox.CONTROL_PREFIX: {stray}"
    )


@pytest.mark.parametrize("name", ONE_IDEA)
def test_a_glossary_name_is_defined_in_one_module(name: str) -> None:
    found = defining(_modules(), name)
    assert len(found) <= 1, f"{name} is defined in {found}: one name, one idea, one place"


def test_the_check_sees_a_second_spelling_and_a_second_definition(tmp_path: Path) -> None:
    """The checks above can fail: a module that spells the prefix and redefines a name."""
    stray = ast.parse('"""At /_sandbox."""\nCONTROL = "/_sandbox"\nAnswer = int\n')
    modules = {"sandbox/stray.py": stray, "sandbox/other.py": ast.parse("Answer = str\n")}
    assert spelling_the_prefix(modules) == {"sandbox/stray.py": [2]}
    assert defining(modules, "Answer") == ["sandbox/stray.py", "sandbox/other.py"]
