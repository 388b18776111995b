"""`make mutate` cannot rot: its sessions, breakages and equivalents match the code as it is,
and a seeded sample of its mutants runs here, through mutmut, and must be killed (or listed as
equivalent). docs/testing.md says how to run the whole campaign."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mutation import breakages, campaign


def test_every_session_names_files_functions_and_tests_that_exist() -> None:
    assert campaign.check_targets() == []


def test_every_breakage_still_finds_the_code_it_breaks() -> None:
    assert breakages.problems() == []


def test_every_equivalent_names_a_function_of_a_target() -> None:
    functions = {
        f"{t.module}.{name}"
        for s in campaign.SESSIONS
        for t in s.targets
        for name in campaign.functions_of(campaign.ROOT / t.path)
    }
    entries = campaign.load_equivalents()
    assert [e.function for e in entries if e.function not in functions] == []
    assert all(e.reason.strip() and e.line != e.mutant for e in entries)


def test_mutant_names_map_back_to_their_function() -> None:
    assert (
        campaign.function_of("sandbox.engine.rules.x__label_result__mutmut_3")
        == "sandbox.engine.rules._label_result"
    )
    assert (
        campaign.function_of("sandbox.store.journal.x\u01c1Journal\u01c1append__mutmut_15")
        == "sandbox.store.journal.Journal.append"
    )


def test_a_diff_becomes_the_lines_it_removes_and_adds() -> None:
    diff = (
        "--- sandbox/engine/rules.py\n+++ sandbox/engine/rules.py\n@@ -1,3 +1,3 @@\n"
        "     rule = 1\n-    if blocks:\n+    if not blocks:\n"
    )
    mutant = campaign.with_diff(
        campaign.Mutant("sandbox.engine.rules.x__label_result__mutmut_9", "survived"), diff
    )
    assert (mutant.function, mutant.line, mutant.mutant) == (
        "sandbox.engine.rules._label_result",
        "if blocks:",
        "if not blocks:",
    )
    listed = campaign.Equivalent(mutant.function, "if blocks:", "if not blocks:", "why")
    other = listed._replace(mutant="if blocks or True:")
    assert campaign.equivalent_to(mutant, [other, listed]) is listed
    assert campaign.equivalent_to(mutant, [other]) is None


def test_a_timeout_run_again_gets_the_verdict_its_tests_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mutmut's timeouts (a CPU limit) are run again with no CPU limit: a mutant whose tests
    fail is killed, one whose tests pass survived (it was counted killed), one that still runs
    at the wall limit stays a timeout; `results` then reports those verdicts."""
    (tmp_path / "mutants").mkdir()
    tests = tmp_path / "mutants" / "tests.py"  # stands for pytest over the session's tests
    tests.write_text(
        "import os, sys, time\n"
        "mutant = os.environ['MUTANT_UNDER_TEST']\n"
        "if mutant.endswith('hangs'):\n"
        "    time.sleep(300)\n"
        "sys.exit(1 if mutant.endswith('caught') else 0)\n"
    )
    monkeypatch.setattr(campaign, "RECHECK_COMMAND", [sys.executable])
    monkeypatch.setattr(campaign, "RECHECK_LIMIT", 3.0)
    session = campaign.Session("probe", (campaign.Target("sandbox/probe.py", 0.95),), (str(tests),))
    names = [
        "sandbox.probe.x_f__mutmut_caught",
        "sandbox.probe.x_f__mutmut_missed",
        "sandbox.probe.x_f__mutmut_hangs",
    ]
    verdicts = campaign.recheck(session, tmp_path, names, jobs=2)
    assert verdicts == {names[0]: "killed", names[1]: "survived", names[2]: "timeout"}
    said = "".join(f"{name}: timeout\n" for name in names) + "sandbox.probe.x_g__mutmut_1: killed\n"
    monkeypatch.setattr(campaign, "mutmut", lambda workdir, *args, log=None: said)
    found = {m.name: m for m in campaign.results(tmp_path, session)}
    assert [found[name].killed for name in names] == [True, False, True]
    assert found["sandbox.probe.x_g__mutmut_1"].status == "killed"


@pytest.mark.mutation
def test_the_seeded_sample_of_mutants_is_killed() -> None:
    """mutmut runs the sample (a few minutes): a survivor not listed as equivalent fails."""
    done = subprocess.run(
        [sys.executable, "-m", "mutation.campaign", "--sample"],
        cwd=campaign.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
