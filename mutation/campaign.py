"""`make mutate`: mutmut over the suppression core, with per-file scores.

    python -m mutation.campaign                 # every session, from scratch
    python -m mutation.campaign --session engine --again
                                                # re-test the last run's survivors
    python -m mutation.campaign --sample        # the seeded sample `make test` runs
    python -m mutation.campaign --recheck-timeouts
                                                # the last run's timeouts, run again outside
                                                # mutmut's CPU limit

Each session is one mutmut run in its own copy of the checkout (`.mutmut/<session>/`, see
stage.py) over some files of the suppression core, with the tests that pin them: mutmut then
runs, for each mutant, those of the tests that reach the mutated function. A survivor listed in
equivalents.toml is equivalent (no test can tell it apart); the score "without equivalents"
leaves those out, and each file must reach its goal on it. Exits 1 when a file misses its goal
(a full run) or when a sampled mutant survives that is not listed (the sample).
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from mutmut.mutation.file_mutation import mutate_file_contents

from mutation.stage import sync, undecorated

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = ROOT / ".mutmut"
EQUIVALENTS = Path(__file__).with_name("equivalents.toml")
MUTMUT = Path(sys.executable).with_name("mutmut")

KILLED = frozenset({"killed", "timeout", "segfault", "caught by type check"})
RECHECKED = "rechecked.json"  # in a session's folder: timeout mutants run again, their verdicts
RECHECK_LIMIT = 1800.0  # wall seconds a timeout mutant's tests may take when run again
RECHECK_COMMAND = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
SAMPLE_SEED = 20261123
SAMPLE_SIZE = 10


class Target(NamedTuple):
    path: str  # a file under sandbox/
    goal: float  # the share of its mutants the tests must kill, equivalents left out
    functions: tuple[str, ...] = ()  # only these ("name", "Class.method"); () the whole file

    @property
    def module(self) -> str:
        module = self.path.removesuffix(".py").replace("/", ".")
        return module.removesuffix(".__init__")

    def patterns(self) -> list[str]:
        """mutmut's names of this target's mutants, as shell patterns."""
        if not self.functions:
            return [f"{self.module}.x*"]
        return [f"{self.module}.{_mangled(name)}__mutmut_*" for name in self.functions]


class Session(NamedTuple):
    name: str
    targets: tuple[Target, ...]
    tests: tuple[str, ...]  # pytest arguments: the tests that pin these files


def _mangled(function: str) -> str:
    cls, _, name = function.rpartition(".")
    return f"x\u01c1{cls}\u01c1{name}" if cls else f"x_{name}"


CORE, JOURNAL = 0.95, 0.85
# what every session's tests include: the scenarios, the explain API and the decision traces
SHARED_TESTS = ("features", "tests/test_explain.py", "tests/test_decision_trace.py")
SESSIONS = (
    Session(
        "engine",
        (
            Target("sandbox/engine/rules.py", CORE),
            Target("sandbox/engine/model.py", CORE),
            Target("sandbox/engine/__init__.py", CORE),
        ),
        (
            *SHARED_TESTS,
            "tests/test_engine.py",
            "tests/capillary",
            "tests/messangi",
            "tests/symplify",
        ),
    ),
    Session(
        "capillary",
        (
            Target(
                "sandbox/vendors/capillary/status.py",
                CORE,
                ("default_label", "assign", "update_customer_status", "_till"),
            ),
            Target("sandbox/vendors/capillary/subscriptions.py", CORE),
            Target("sandbox/vendors/capillary/messaging.py", CORE, ("facts_for",)),
        ),
        (*SHARED_TESTS, "tests/capillary"),
    ),
    # The status log is read by the before/after snapshot of hundreds of Capillary tests that
    # assert nothing about it: its mutants run with the tests about statuses only.
    Session(
        "status-log",
        (
            Target(
                "sandbox/vendors/capillary/status.py",
                CORE,
                ("get_status_log", "_initial_entry", "_render", "current"),
            ),
        ),
        (
            "tests/capillary/test_status.py",
            "tests/capillary/test_status_details.py",
            "tests/capillary/test_customers.py",
            "tests/capillary/test_customer_details.py",
            "features/test_block_communication.py",
        ),
    ),
    Session(
        "messangi",
        (
            Target("sandbox/vendors/messangi/blocklist.py", CORE),
            Target("sandbox/vendors/messangi/sends.py", CORE, ("decision_inputs",)),
        ),
        (*SHARED_TESTS, "tests/messangi"),
    ),
    Session(
        "symplify",
        (
            Target("sandbox/vendors/symplify/tempblock.py", CORE),
            Target(
                "sandbox/vendors/symplify/contacts.py",
                CORE,
                ("day", "active_block", "block_end_ms"),
            ),
            Target("sandbox/vendors/symplify/sends.py", CORE, ("contact_facts",)),
        ),
        (*SHARED_TESTS, "tests/symplify"),
    ),
    Session(
        "journal",
        (Target("sandbox/store/journal.py", JOURNAL),),
        (
            "tests/test_journal.py",
            "tests/test_store_unit.py",
            "tests/test_store.py",
            "tests/test_storage_faults.py",
            "tests/test_durability.py",
            "tests/test_snapshots.py",
            "tests/test_store_vendors.py",
            "tests/test_faults.py",
            "tests/test_control.py",
        ),
    ),
)


# -- the targets as the code is ---------------------------------------------------------------


def functions_of(path: Path) -> list[str]:
    """The functions mutmut mutates in a file: top-level ones and methods ("Class.name")."""
    tree = ast.parse(path.read_text())
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(node.name)
        elif isinstance(node, ast.ClassDef):
            found.extend(
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return found


def check_targets(root: Path = ROOT) -> list[str]:
    """What no longer matches the code: a missing file or function (e.g. moved by a refactor),
    a missing test path. Empty when the sessions are current."""
    problems = []
    for session in SESSIONS:
        problems += [
            f"{session.name}: no test path {test}"
            for test in session.tests
            if not (root / test).exists()
        ]
        for target in session.targets:
            if not (root / target.path).is_file():
                problems.append(f"{session.name}: no file {target.path}")
                continue
            present = set(functions_of(root / target.path))
            problems += [
                f"{target.path}: no function {name}"
                for name in target.functions
                if name not in present
            ]
    # a file whose functions the sessions share out must have every one in some session
    shared: dict[str, set[str]] = {}
    for session in SESSIONS:
        for target in session.targets:
            if target.functions and len({s.name for s in SESSIONS if _holds(s, target.path)}) > 1:
                shared.setdefault(target.path, set()).update(target.functions)
    for path, named in shared.items():
        problems += [
            f"{path}: function {name} is in no session"
            for name in functions_of(root / path)
            if name not in named
        ]
    return problems


def _holds(session: Session, path: str) -> bool:
    return any(t.path == path for t in session.targets)


# -- equivalent mutants ------------------------------------------------------------------------


class Equivalent(NamedTuple):
    function: str  # module.function or module.Class.method
    line: str  # the code as written (stripped; lines joined by "\n")
    mutant: str  # as the mutant writes it
    reason: str


def load_equivalents(path: Path = EQUIVALENTS) -> list[Equivalent]:
    """The entries, one per mutant: an entry may list several `mutants` of one line."""
    found = []
    for entry in tomllib.loads(path.read_text()).get("equivalent", []):
        mutants = entry["mutants"] if "mutants" in entry else [entry["mutant"]]
        found += [
            Equivalent(entry["function"], entry["line"].strip(), m.strip(), entry["reason"])
            for m in mutants
        ]
    return found


class Mutant(NamedTuple):
    name: str  # mutmut's
    status: str
    function: str = ""
    line: str = ""
    mutant: str = ""

    @property
    def killed(self) -> bool:
        return self.status in KILLED


def function_of(name: str) -> str:
    """sandbox.engine.rules.x__label_result__mutmut_3 -> sandbox.engine.rules._label_result"""
    mangled, _, _ = name.partition("__mutmut_")
    module, _, local = mangled.rpartition(".")
    if local.startswith("x_"):
        return f"{module}.{local[2:]}"
    _, cls, method = local.split("\u01c1")
    return f"{module}.{cls}.{method}"


def with_diff(mutant: Mutant, diff: str) -> Mutant:
    """The mutant with the lines its diff removes and adds (stripped, joined by "\n")."""
    removed = [
        line[1:].strip()
        for line in diff.splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    added = [
        line[1:].strip()
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    return mutant._replace(
        function=function_of(mutant.name), line="\n".join(removed), mutant="\n".join(added)
    )


def equivalent_to(mutant: Mutant, equivalents: Iterable[Equivalent]) -> Equivalent | None:
    for entry in equivalents:
        if (entry.function, entry.line, entry.mutant) == (
            mutant.function,
            mutant.line,
            mutant.mutant,
        ):
            return entry
    return None


# -- running mutmut ----------------------------------------------------------------------------


def prepare(session: Session, workdir: Path) -> None:
    """The checkout copied to `workdir`, with this session's files and tests in its config."""
    workdir.mkdir(parents=True, exist_ok=True)
    sync(ROOT, workdir, undecorate=[t.path for t in session.targets])
    config = workdir / "pyproject.toml"
    text = config.read_text()
    section = "[tool.mutmut]\n"
    if section not in text:
        raise SystemExit("pyproject.toml has no [tool.mutmut] section")
    files = ", ".join(f'"{t.path}"' for t in session.targets)
    tests = ", ".join(f'"{t}"' for t in session.tests)
    text = text.replace(
        section,
        f"{section}only_mutate = [{files}]\npytest_add_cli_args_test_selection = [{tests}]\n",
    )
    config.write_text(text)


def mutmut(workdir: Path, *args: str, log: Path | None = None) -> str:
    """Run mutmut in `workdir`; its output (appended to `log` as it goes, when given)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MUTANT_UNDER_TEST")}
    with tempfile.TemporaryDirectory() as scratch:
        path = log or Path(scratch) / "out"
        with path.open("ab") as out:
            start = out.tell()
            code = subprocess.run(
                [str(MUTMUT), *args], cwd=workdir, env=env, stdout=out, stderr=out, check=False
            ).returncode
        output = path.read_bytes()[start:].decode(errors="replace")
    if code != 0:
        tail = "\n".join(output.splitlines()[-30:])
        raise SystemExit(f"mutmut {args[0]} failed in {workdir} ({code}):\n{tail}")
    return output


def results(workdir: Path, session: Session) -> list[Mutant]:
    """Every mutant of the session's targets with its status (as `mutmut results` says; a
    timeout run again by `recheck` has the verdict it got then)."""
    patterns = [p for t in session.targets for p in t.patterns()]
    rechecked = _rechecked(workdir)
    found = []
    for line in mutmut(workdir, "results", "--all", "true").splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and any(fnmatch.fnmatchcase(name, p) for p in patterns):
            if status == "timeout":
                status = rechecked.get(name, status)
            found.append(Mutant(name, status))
    return found


def _rechecked(workdir: Path) -> dict[str, str]:
    path = workdir / RECHECKED
    return json.loads(path.read_text()) if path.is_file() else {}


def recheck(session: Session, workdir: Path, names: Sequence[str], jobs: int) -> dict[str, str]:
    """Timeout mutants run again outside mutmut. mutmut stops a mutant's tests past a CPU time
    of 30 times their clean run's duration; on a loaded machine, or when the clean run's
    timing was short, a mutant the tests do kill can get there first. Here each runs the
    session's tests with `pytest -x` in the session's mutated copy, its mutant switched on
    (MUTANT_UNDER_TEST, as mutmut does), with no CPU limit and RECHECK_LIMIT of wall time:
    "killed" when they fail, "survived" when they pass, "timeout" when they still run at the
    limit (a hang: a failure CI would see). The verdicts are kept in the session's folder."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = RECHECK_COMMAND

    def run(name: str) -> tuple[str, str]:
        try:
            code = subprocess.run(
                [*command, *session.tests],
                cwd=workdir / "mutants",
                env={**env, "MUTANT_UNDER_TEST": name},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=RECHECK_LIMIT,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            return name, "timeout"
        return name, "survived" if code in (0, 5) else "killed"

    verdicts = _rechecked(workdir)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for name, verdict in pool.map(run, names):
            verdicts[name] = verdict
            print(f"  {verdict:<8} {name}", flush=True)
    (workdir / RECHECKED).write_text(json.dumps(verdicts, indent=1, sort_keys=True))
    return verdicts


def explained(workdir: Path, mutants: list[Mutant]) -> list[Mutant]:
    """Each mutant that was not killed, with its diff read back from mutmut."""
    return [m if m.killed else with_diff(m, mutmut(workdir, "show", m.name)) for m in mutants]


def run_session(
    session: Session, workdir: Path, names: Sequence[str], jobs: int, log: Path
) -> list[Mutant]:
    prepare(session, workdir)
    mutmut(workdir, "run", "--max-children", str(jobs), *names, log=log)
    return explained(workdir, results(workdir, session))


def run_named(session: Session, workdir: Path, names: Sequence[str], jobs: int) -> list[Mutant]:
    """Only the mutants `names` (explicit names, as the sample draws them), explained."""
    prepare(session, workdir)
    mutmut(workdir, "run", "--max-children", str(jobs), *names, log=workdir / "mutmut.log")
    wanted = set(names)
    return explained(workdir, [m for m in results(workdir, session) if m.name in wanted])


# -- the report --------------------------------------------------------------------------------


class Score(NamedTuple):
    path: str
    goal: float
    total: int
    killed: int
    equivalent: int

    @property
    def raw(self) -> float:
        return self.killed / self.total if self.total else 1.0

    @property
    def without_equivalents(self) -> float:
        counted = self.total - self.equivalent
        return self.killed / counted if counted else 1.0


def score(target: Target, mutants: list[Mutant], equivalents: list[Equivalent]) -> Score:
    mine = [m for m in mutants if any(fnmatch.fnmatchcase(m.name, p) for p in target.patterns())]
    alive = [m for m in mine if not m.killed]
    listed = [m for m in alive if equivalent_to(m, equivalents)]
    return Score(target.path, target.goal, len(mine), len(mine) - len(alive), len(listed))


def report(scores: list[Score], survivors: list[Mutant], stale: list[Equivalent]) -> str:
    lines = [
        f"{'file':<46} {'mutants':>7} {'killed':>6} {'equiv.':>6} {'raw':>7} "
        f"{'w/o equiv.':>10} {'goal':>5}"
    ]
    for s in scores:
        flag = "" if s.without_equivalents >= s.goal else "  BELOW GOAL"
        lines.append(
            f"{s.path:<46} {s.total:>7} {s.killed:>6} {s.equivalent:>6} {s.raw:>7.1%} "
            f"{s.without_equivalents:>10.1%} {s.goal:>5.0%}{flag}"
        )
    total = Score("all", 0, *(sum(x) for x in zip(*(s[2:] for s in scores), strict=True)))
    lines.append(
        f"{'all':<46} {total.total:>7} {total.killed:>6} {total.equivalent:>6} "
        f"{total.raw:>7.1%} {total.without_equivalents:>10.1%}"
    )
    if survivors:
        lines.append(f"\n{len(survivors)} survivors not listed as equivalent:")
        for m in survivors:
            lines.append(f"  {m.name} ({m.status})\n    - {m.line}\n    + {m.mutant}")
    if stale:
        lines.append(f"\n{len(stale)} equivalents.toml entries match no surviving mutant:")
        lines += [f"  {e.function}: {e.line!r} -> {e.mutant!r}" for e in stale]
    return "\n".join(lines)


# -- the sample --------------------------------------------------------------------------------


def mutant_names(session: Session, root: Path = ROOT) -> list[str]:
    """The names mutmut gives the session's mutants, found as mutmut finds them (its own
    mutation of each file as the session's copy holds it), without running anything."""
    names = []
    for target in session.targets:
        source = undecorated((root / target.path).read_text())
        generated = mutate_file_contents(target.path, source).mutant_names
        names += [
            f"{target.module}.{name}"
            for name in generated
            if any(fnmatch.fnmatchcase(f"{target.module}.{name}", p) for p in target.patterns())
        ]
    return names


def sample(seed: int = SAMPLE_SEED, count: int = SAMPLE_SIZE) -> tuple[Session, list[str]]:
    """`count` mutants drawn with `seed` from every session's, and a session over their files
    with the tests of the sessions they come from."""
    drawn = sorted(
        random.Random(seed).sample([(s, name) for s in SESSIONS for name in mutant_names(s)], count)
    )
    targets: dict[str, Target] = {}
    tests: dict[str, None] = {}
    for session, name in drawn:
        for target in session.targets:
            if any(fnmatch.fnmatchcase(name, p) for p in target.patterns()):
                # the whole file: the names say which mutants run
                targets[target.path] = target._replace(functions=())
        tests.update(dict.fromkeys(session.tests))
    sampled = Session("sample", tuple(targets.values()), tuple(tests))
    return sampled, [name for _, name in drawn]


# -- the command -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation.campaign", description=__doc__)
    parser.add_argument("--session", action="append", help="run only this session (repeatable)")
    parser.add_argument(
        "--again", action="store_true", help="re-test only the last run's survivors"
    )
    parser.add_argument(
        "--report", action="store_true", help="print the last run's scores, running nothing"
    )
    parser.add_argument(
        "--recheck-timeouts",
        action="store_true",
        help="run the last run's timeout mutants again outside mutmut's CPU limit, then report",
    )
    parser.add_argument("--sample", action="store_true", help="run the seeded sample only")
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED, help="the sample's seed")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    args = parser.parse_args(argv)

    problems = check_targets()
    if problems:
        print("the sessions no longer match the code:\n  " + "\n  ".join(problems))
        return 1
    equivalents = load_equivalents()
    if args.sample:
        return run_sample(*sample(args.seed), equivalents, args.jobs)

    chosen = [s for s in SESSIONS if not args.session or s.name in args.session]
    scores: list[Score] = []
    mutants: list[Mutant] = []
    WORKDIR.mkdir(exist_ok=True)
    for session in chosen:
        workdir = WORKDIR / session.name
        log = WORKDIR / f"{session.name}.log"
        started = time.monotonic()
        names: list[str] = []
        if args.report:
            pass
        elif args.recheck_timeouts:
            timeouts = [m.name for m in results(workdir, session) if m.status == "timeout"]
            print(f"session {session.name}: {len(timeouts)} timeouts run again", flush=True)
            recheck(session, workdir, timeouts, args.jobs)
        elif args.again:
            names = [m.name for m in results(workdir, session) if not m.killed]
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            log.unlink(missing_ok=True)
            names = [p for t in session.targets for p in t.patterns()]
        found = run_session(session, workdir, names, args.jobs, log) if names else []
        if args.again or args.report or args.recheck_timeouts:  # others keep their verdicts
            found = explained(workdir, results(workdir, session))
        print(f"session {session.name}: {len(found)} mutants in {time.monotonic() - started:.0f} s")
        mutants += found
        scores += [score(t, found, equivalents) for t in session.targets]
    alive = [m for m in mutants if not m.killed]
    survivors = [m for m in alive if equivalent_to(m, equivalents) is None]
    used = {equivalent_to(m, equivalents) for m in alive}
    chosen_modules = tuple(t.module + "." for s in chosen for t in s.targets)
    stale = [e for e in equivalents if e not in used and e.function.startswith(chosen_modules)]
    by_file: dict[str, Score] = {}
    for s in scores:  # a file some sessions share out: one line
        known = by_file.get(s.path)
        by_file[s.path] = (
            s
            if known is None
            else known._replace(
                total=known.total + s.total,
                killed=known.killed + s.killed,
                equivalent=known.equivalent + s.equivalent,
            )
        )
    merged = list(by_file.values())
    print(report(merged, survivors, stale))
    return 0 if all(s.without_equivalents >= s.goal for s in merged) else 1


def run_sample(session: Session, names: list[str], equivalents: list[Equivalent], jobs: int) -> int:
    """The sample in a throw-away copy: 1 when a sampled mutant survives unlisted."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutmut-sample-") as holder:
        workdir = Path(holder)
        found = run_named(session, workdir, names, jobs)
    lines = [f"sample of {len(names)} mutants (seeded), run in {time.monotonic() - started:.0f} s:"]
    failed = False
    for m in sorted(found):
        listed = None if m.killed else equivalent_to(m, equivalents)
        verdict = "killed" if m.killed else "equivalent" if listed else "SURVIVED"
        failed |= verdict == "SURVIVED"
        lines.append(f"  {verdict:<10} {m.name}")
        if verdict == "SURVIVED":
            lines.append(f"    - {m.line}\n    + {m.mutant}")
    missing = sorted(set(names) - {m.name for m in found})
    lines += [f"  NOT RUN    {name}" for name in missing]
    print("\n".join(lines))
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
