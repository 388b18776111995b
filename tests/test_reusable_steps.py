"""An outside project imports the Gherkin steps (`pytest_plugins = ["sandbox.testing.steps"]`)
and runs its own feature, the README's example among its scenarios, against an in-process
sandbox: the steps are a product, not only this repository's test code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FEATURE = '''Feature: Our notices respect every vendor's suppression
  Background:
    Given a Capillary tenant with the status labels
      | name      | status    | block_communications |
      | Suspended | SUSPENDED | true                 |
    And the customers
      | name  | id        | mobile       | email           | status_label |
      | Gopal | 565039505 | 919353491050 | gcr@example.com | Suspended    |
    And the Messangi blocklist
      | to            | from      | type |
      | +525500000000 | 141555549 | SMS  |
    And the Symplify account "1234" with the contacts
      | list | original_id | email                 |
      | 42   | 111         | lady_gaga@example.com |

  Scenario: A suspended customer gets no shipping SMS
    When the client sends POST /capillary/v2/communications/sendMessage?channel=sms
      """
      {"sms": [{"to": "919353491050", "body": "Your order has shipped"}]}
      """
    Then the answer is HTTP 200
    And the message is SUPPRESSED with reason CUSTOMER_STATUS_BLOCKED

  Scenario: A blocklisted number gets nothing from its sender
    When sender "141555549" sends an SMS message to "+52 55 0000 0000"
    Then the answer has data.status = "ACCEPTED"
    And the message is SUPPRESSED with reason SENDER_BLOCKLISTED

  Scenario: A temporary block ends by itself
    Given the tenant clock is frozen at "2020-01-31T12:00:00Z"
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-01-31"}
      """
    And the tenant clock advances 1 day
    And a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is DELIVERED with reason none
'''
TEST = """from pytest_bdd import scenarios

scenarios("notices.feature")
"""


def test_an_outside_project_runs_its_feature_with_the_steps(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["sandbox.testing.steps"]\n')
    (tmp_path / "notices.feature").write_text(FEATURE)
    (tmp_path / "test_notices.py").write_text(TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    environ = {k: v for k, v in os.environ.items() if k != "SANDBOX_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=environ,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout
