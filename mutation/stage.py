"""A copy of the checkout for mutmut to work in, so that its `mutants/` folder and its state
never mix with the repository's own folders.

The copy holds every file git tracks or would track (untracked files that .gitignore does
not exclude), with symbolic links resolved: mutmut does not follow them, and
`sandbox/resources/` holds two. A file whose content is unchanged keeps its modification time,
so mutmut's own incremental checks (a source newer than its mutants) stay right between runs.

mutmut skips every decorated function. In the files it mutates, the copy therefore moves each
top-level function's decorators below it (`f = handlers("getStatusLog")(f)`), which is what a
decorator means, so the handlers registered by `@handlers(...)` are mutated like any other
function. Memoisation (`lru_cache`, `cache`) is dropped instead: the memoised functions are pure,
so their results are the same, and a cached result would hide the function from mutmut, which
picks a mutant's tests by the calls that reach the function (only the first test to call it with
given arguments would be picked) and would answer a mutant's calls from the unmutated run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

import libcst as cst


def checkout_files(root: Path) -> list[str]:
    """The checkout's files, relative to `root`: tracked, or untracked and not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and (root / name).exists()})


def _expanded(root: Path, names: Iterable[str]) -> Iterator[str]:
    """Each name; a link to a directory as the files below it (links resolved)."""
    for name in names:
        path = root / name
        if path.is_dir():  # a link to a directory: git lists the link, not its files
            for below, _, files in os.walk(path, followlinks=True):
                for file in files:
                    yield str((Path(below) / file).relative_to(root))
        else:
            yield name


def copies_of(root: Path, name: str) -> list[str]:
    """Where the copy holds the checkout's file `name`: at its own path, and below each link
    to a directory above it (`openapi/x.yaml` is also `sandbox/resources/openapi/x.yaml`)."""
    found = [name]
    target = (root / name).resolve()
    for link in checkout_files(root):
        path = root / link
        if path.is_symlink() and path.is_dir() and target.is_relative_to(path.resolve()):
            found.append(str(Path(link) / target.relative_to(path.resolve())))
    return found


def sync(root: Path, target: Path, undecorate: Iterable[str] = ()) -> None:
    """Make `target` hold the checkout's files (besides what mutmut keeps there: `mutants/`);
    the files in `undecorate` with their functions' decorators moved below them."""
    rewrite = set(undecorate)
    wanted = set(_expanded(root, checkout_files(root)))
    for name in sorted(wanted):
        text = (root / name).read_bytes()
        if name in rewrite:
            text = undecorated(text.decode()).encode()
        out = target / name
        if out.is_file() and out.read_bytes() == text:
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(text)
        shutil.copymode(root / name, out)
    for below, dirs, files in os.walk(target):
        here = Path(below)
        if here == target:
            dirs[:] = [d for d in dirs if d != "mutants"]
        for file in files:
            if str((here / file).relative_to(target)) not in wanted:
                (here / file).unlink()


MEMOISERS = frozenset({"lru_cache", "cache"})


def _memoiser(decorator: cst.Decorator) -> bool:
    """`@lru_cache(...)`, `@functools.lru_cache`, `@cache`, ..."""
    node = decorator.decorator
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Attribute):
        node = node.attr
    return isinstance(node, cst.Name) and node.value in MEMOISERS


class _Undecorate(cst.CSTTransformer):
    """`@d1 @d2 def f` -> `def f` then `f = d1(d2(f))`, for top-level functions only; a
    memoiser is left out."""

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body: list[cst.BaseStatement] = []
        for statement in updated_node.body:
            if not isinstance(statement, cst.FunctionDef) or not statement.decorators:
                body.append(statement)
                continue
            name = statement.name.value
            kept = [d for d in statement.decorators if not _memoiser(d)]
            wrapped: cst.BaseExpression = cst.Name(name)
            for decorator in reversed(kept):
                wrapped = cst.Call(func=decorator.decorator, args=[cst.Arg(wrapped)])
            body.append(statement.with_changes(decorators=[]))
            if kept:
                assign = cst.Assign([cst.AssignTarget(cst.Name(name))], wrapped)
                body.append(cst.SimpleStatementLine([assign]))
        return updated_node.with_changes(body=body)


def undecorated(source: str) -> str:
    return cst.parse_module(source).visit(_Undecorate()).code
