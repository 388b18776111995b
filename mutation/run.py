"""`make mutate`: proves the suites catch what they claim to. Each mutant is one deliberate
breakage of the engine, a handler or the store; it is applied to a copy of the working tree,
the suites that guard that behaviour run against the copy, and the mutant counts as killed
when they fail. An unmutated copy runs first and must pass, so a kill is the mutant's doing,
not the copy's. Prints each mutant's fate and the kill rate; exits 1 if any survived.

    python -m mutants.run [--only NAME] [--suites features,tests]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = (
    "pyproject.toml",
    "README.md",
    "sandbox",
    "openapi",
    "fixtures",
    "features",
    "tests",
    "contracts",
)


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str
    file: str
    original: str
    replacement: str
    suites: tuple[str, ...] = ("features", "tests")


MUTANTS = (
    Mutant(
        "no-block-rule",
        "a status label with Block communications no longer suppresses",
        "sandbox/engine/rules.py",
        "    if blocks:\n        return RuleResult(\n            rule, Outcome.SUPPRESS,",
        "    if False:\n        return RuleResult(\n            rule, Outcome.SUPPRESS,",
    ),
    Mutant(
        "otp-obeys-opt-outs",
        "OTPs are suppressed by subscription opt-outs like any message",
        "sandbox/engine/rules.py",
        "    otp = intent.category is Category.OTP\n",
        "    otp = False\n",
    ),
    Mutant(
        "blocklist-ignores-sender",
        "a blocklist entry of one sender stops every sender's messages",
        "sandbox/vendors/messangi/blocklist.py",
        '    return f"{channel}\\n{recipient}\\n{sender}"',
        '    return f"{channel}\\n{recipient}\\n"',
    ),
    Mutant(
        "block-ends-a-day-early",
        "a temporary block ends at the start of its blockUntil day, not its end",
        "sandbox/engine/rules.py",
        "    if facts.now.date() <= until:",
        "    if facts.now.date() < until:",
    ),
    Mutant(
        "accepts-tans",
        "the v2 subscription API accepts the seed's misspelt priority TANS",
        "openapi/capillary.yaml",
        "x-sandbox-error-code: 1101}\n        priority: {type: string, enum: [BULK, TRANS], ",
        "x-sandbox-error-code: 1101}\n        priority: {type: string, enum: [BULK, TRANS, TANS], ",
    ),
    Mutant(
        "no-journal-write",
        "acknowledged writes are applied in memory but never journaled",
        "sandbox/store/tenant.py",
        "        if self.journal is not None:\n            self.journal.append(ops)",
        "        if self.journal is not None:\n            pass",
    ),
)


CONTROL = Mutant("control", "no change at all: the suites must pass", "", "", "")


def apply(mutant: Mutant, tree: Path) -> None:
    if mutant is CONTROL:
        return
    path = tree / mutant.file
    text = path.read_text()
    if text.count(mutant.original) != 1:
        raise SystemExit(f"{mutant.name}: the original text is not in {mutant.file} exactly once")
    path.write_text(text.replace(mutant.original, mutant.replacement))


def copy_tree(target: Path) -> None:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, target / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(source, target / name)


def run(mutant: Mutant, suites: tuple[str, ...]) -> tuple[bool, float, str]:
    """(killed, seconds, the first failure's line)."""
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as holder:
        tree = Path(holder)
        copy_tree(tree)
        apply(mutant, tree)
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-x",
                "-q",
                "-n",
                "auto",
                "-p",
                "no:cacheprovider",
                *suites,
            ],
            cwd=tree,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "HOME": str(tree)},
            check=False,
        )
        seconds = time.monotonic() - started
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    return done.returncode != 0, seconds, failed[0] if failed else done.stdout.strip()[-200:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutants.run", description=__doc__)
    parser.add_argument("--only", action="append", help="run only this mutant (repeatable)")
    parser.add_argument("--suites", help="comma-separated test paths (default: each mutant's)")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    suites = tuple(args.suites.split(",")) if args.suites else ("features", "tests")
    failed, seconds, evidence = run(CONTROL, suites)
    print(f"{'FAILED  ' if failed else 'passed  '} {'control':26} {seconds:5.0f} s  {CONTROL.what}")
    if failed:
        print(f"         {evidence}\nthe unmutated copy fails: no kill would mean anything")
        return 2
    killed = 0
    for mutant in chosen:
        suites = tuple(args.suites.split(",")) if args.suites else mutant.suites
        dead, seconds, evidence = run(mutant, suites)
        killed += dead
        print(
            f"{'killed  ' if dead else 'SURVIVED'} {mutant.name:26} {seconds:5.0f} s  {mutant.what}"
        )
        print(f"         {evidence}")
    print(f"kill rate: {killed}/{len(chosen)}")
    return 0 if killed == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
