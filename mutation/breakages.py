"""Named breakages: what mutmut does not mutate. mutmut changes code inside functions only;
the suppression core also decides through module-level tables and constants (the rule order,
subscription keys, id counters, the date pattern, the journal's header) and through the OpenAPI
documents. Each breakage here changes one of those, in a copy of the checkout, and the tests of
the session that covers its file must then fail.

    python -m mutation.breakages [--only NAME]

An unmutated run of each session's tests passes first, so a kill is the breakage's doing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from mutation.campaign import ROOT, SESSIONS, WORKDIR, Session
from mutation.stage import copies_of, sync


class Breakage(NamedTuple):
    name: str
    what: str  # what a user would see
    file: str
    original: str  # exactly once in `file`
    replacement: str
    session: str  # whose tests must catch it


BREAKAGES = (
    Breakage(
        "rules-out-of-order",
        "a blocked customer who also opted out is reported as opted out, not blocked",
        "sandbox/engine/rules.py",
        "    (customer_status_block, Reason.CUSTOMER_STATUS_BLOCKED),\n"
        "    (sender_blocklist, Reason.SENDER_BLOCKLISTED),\n"
        "    (contact_temp_block, Reason.CONTACT_TEMP_BLOCKED),\n"
        "    (subscription_opt_out, Reason.SUBSCRIPTION_OPTED_OUT),\n",
        "    (subscription_opt_out, Reason.SUBSCRIPTION_OPTED_OUT),\n"
        "    (sender_blocklist, Reason.SENDER_BLOCKLISTED),\n"
        "    (contact_temp_block, Reason.CONTACT_TEMP_BLOCKED),\n"
        "    (customer_status_block, Reason.CUSTOMER_STATUS_BLOCKED),\n",
        "engine",
    ),
    Breakage(
        "wrong-reason",
        "a blocklisted recipient is reported with the temporary block's reason",
        "sandbox/engine/rules.py",
        "    (sender_blocklist, Reason.SENDER_BLOCKLISTED),",
        "    (sender_blocklist, Reason.CONTACT_TEMP_BLOCKED),",
        "engine",
    ),
    Breakage(
        "sms-preferences-unread",
        "an SMS opt-out is never read: opted-out customers get promotional SMS",
        "sandbox/engine/rules.py",
        'SUBSCRIPTION_CHANNEL = {Channel.SMS: "MOBILE", Channel.EMAIL: "EMAIL"}',
        'SUBSCRIPTION_CHANNEL = {Channel.SMS: "SMS", Channel.EMAIL: "EMAIL"}',
        "engine",
    ),
    Breakage(
        "preference-key-spelt-differently",
        "no subscription preference is ever found: every opt-out is ignored",
        "sandbox/engine/rules.py",
        '    (channel, priority): f"{subscription}:{priority}"',
        '    (channel, priority): f"{subscription}/{priority}"',
        "engine",
    ),
    Breakage(
        "opt-outs-ignored-by-default",
        "every Symplify send ignores contact opt-outs, as if each were a trigger's ignoreOptOut",
        "sandbox/engine/model.py",
        "    ignore_opt_out: bool = False",
        "    ignore_opt_out: bool = True",
        "engine",
    ),
    Breakage(
        "outcome-spelt-differently",
        "decision traces say 'suppressed' where the contract says 'suppress'",
        "sandbox/engine/model.py",
        '    SUPPRESS = "suppress"',
        '    SUPPRESS = "suppressed"',
        "engine",
    ),
    Breakage(
        "capillary-without-subscriptions",
        "Capillary ignores every subscription opt-out",
        "sandbox/vendors/capillary/messaging.py",
        "CONCEPTS = frozenset({Concept.CUSTOMERS, Concept.SUBSCRIPTIONS})",
        "CONCEPTS = frozenset({Concept.CUSTOMERS})",
        "capillary",
    ),
    Breakage(
        "status-log-ids-restart",
        "status changes are numbered from 1, not as Capillary numbers them",
        "sandbox/vendors/capillary/status.py",
        "STATUS_LOG_IDS_START = 566_000_001",
        "STATUS_LOG_IDS_START = 1",
        "capillary",
    ),
    Breakage(
        "subscription-ids-restart",
        "subscription changes are numbered from 1, not as Capillary numbers them",
        "sandbox/vendors/capillary/subscription_log.py",
        "IDS_START = 20_000_001",
        "IDS_START = 1",
        "capillary",
    ),
    Breakage(
        "notification-on-the-other-channel",
        "an SMS opt-out is confirmed by e-mail and an e-mail one by SMS",
        "sandbox/vendors/capillary/subscriptions.py",
        'notify_on = subscription_channels.BY_NAME[body["channel"]].sends',
        "notify_on = subscription_channels.BY_NAME["
        '"EMAIL" if body["channel"] == "MOBILE" else "MOBILE"].sends',
        "capillary",
    ),
    Breakage(
        "accepts-tans",
        "the v2 subscription API accepts the seed's misspelt priority TANS",
        "openapi/capillary.yaml",
        "x-sandbox-error-code: 1101}\n        priority: {type: string, enum: [BULK, TRANS], ",
        "x-sandbox-error-code: 1101}\n        priority: {type: string, enum: [BULK, TRANS, TANS], ",
        "capillary",
    ),
    Breakage(
        "every-list-is-list-minus-two",
        "a temporary block on every list (listId -1) is refused",
        "sandbox/vendors/symplify/tempblock.py",
        "ANY_LIST = -1",
        "ANY_LIST = -2",
        "symplify",
    ),
    Breakage(
        "block-until-any-form",
        "blockUntil '20200201' (ISO's basic form) blocks a contact instead of being refused",
        "sandbox/vendors/symplify/tempblock.py",
        '_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # (fullmatch)',
        '_DATE = re.compile(r".*")  # (fullmatch)',
        "symplify",
    ),
    Breakage(
        "symplify-without-temporary-blocks",
        "Symplify's traces say it has no temporary blocks",
        "sandbox/vendors/symplify/sends.py",
        "CONCEPTS = frozenset({Concept.TEMPORARY_BLOCKS, Concept.CONTACT_OPT_OUTS})",
        "CONCEPTS = frozenset({Concept.CONTACT_OPT_OUTS})",
        "symplify",
    ),
    Breakage(
        "opt-out-flags-swapped",
        "a contact opted out of e-mail stops getting SMS instead",
        "sandbox/vendors/symplify/flags.py",
        '        Channel.EMAIL,\n        "unsubscribed",\n        "opt_out_date",\n'
        '        "optOutDate",\n        "opted out of e-mail",\n    ),\n    Flag(\n'
        '        "mobile_unsubscribed",\n        "mobileUnsubscribed",\n        Channel.SMS,',
        '        Channel.SMS,\n        "unsubscribed",\n        "opt_out_date",\n'
        '        "optOutDate",\n        "opted out of e-mail",\n    ),\n    Flag(\n'
        '        "mobile_unsubscribed",\n        "mobileUnsubscribed",\n        Channel.EMAIL,',
        "symplify",
    ),
    Breakage(
        "journal-header-changed",
        "journals written by this release no longer start with the format 2 header",
        "sandbox/store/journal.py",
        """HEADER = b'{"comms-sandbox":"journal","format":2}\\n'""",
        """HEADER = b'{"comms-sandbox":"journal","format":2} \\n'""",
        "journal",
    ),
)


def problems(root: Path = ROOT) -> list[str]:
    """Breakages whose original text is no longer in their file exactly once (it moved: the
    breakage would test nothing), or that name no session."""
    found = []
    sessions = {s.name for s in SESSIONS}
    for b in BREAKAGES:
        count = (root / b.file).read_text().count(b.original)
        if count != 1:
            found.append(f"{b.name}: its original text is in {b.file} {count} times, not once")
        if b.original == b.replacement:
            found.append(f"{b.name}: its replacement changes nothing")
        if b.session not in sessions:
            found.append(f"{b.name}: no session {b.session}")
    return found


def run_tests(tree: Path, session: Session) -> tuple[bool, float, str]:
    """(passed, seconds, the first failure) of the session's tests run in `tree`: child
    processes (servers some tests start) import the copy too."""
    started = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *session.tests],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    evidence = failed[0] if failed else done.stdout.strip()[-200:]
    return done.returncode == 0, time.monotonic() - started, evidence


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation.breakages", description=__doc__)
    parser.add_argument("--only", action="append", help="run only this breakage (repeatable)")
    args = parser.parse_args(argv)
    found = problems()
    if found:
        print("\n".join(found))
        return 1
    chosen = [b for b in BREAKAGES if not args.only or b.name in args.only]
    tree = WORKDIR / "breakages"
    sync(ROOT, tree)
    sessions = {s.name: s for s in SESSIONS}
    survived = 0
    for name in dict.fromkeys(b.session for b in chosen):
        passed, seconds, evidence = run_tests(tree, sessions[name])
        print(f"{'passed  ' if passed else 'FAILED  '} {'control: ' + name:36} {seconds:5.0f} s")
        if not passed:
            print(f"         {evidence}\nthe unmutated copy fails: no kill would mean anything")
            return 2
        for b in (b for b in chosen if b.session == name):
            paths = [tree / copy for copy in copies_of(ROOT, b.file)]
            text = paths[0].read_text()
            for path in paths:
                path.write_text(text.replace(b.original, b.replacement))
            try:
                passed, seconds, evidence = run_tests(tree, sessions[name])
            finally:
                for path in paths:
                    path.write_text(text)
            survived += passed
            print(f"{'SURVIVED' if passed else 'killed  '} {b.name:36} {seconds:5.0f} s  {b.what}")
            if not passed:
                print(f"         {evidence}")
    print(f"named breakages: {len(chosen) - survived}/{len(chosen)} killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
