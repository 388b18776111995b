"""How the snapshots beside this file were taken: by the sandbox of an earlier release, each named
after its commit. From the repository's root, for a commit C:

    mkdir /tmp/old && git archive C | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old .venv/bin/python tests/data/snapshots/make.py tests/data/snapshots/C.json

The tenant is the example one after a send, a new customer, a label change, a goodwill and a
change request, an OTP, a Messangi entry, a Symplify block, a fault and a rate limit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sandbox.testing import in_process
from sandbox.testing.example import EXAMPLE_FIXTURE


def main(target: Path) -> None:
    with in_process() as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE, name="old")
        http, auth = sandbox.http, tenant.capillary_auth()
        calls = [
            ("POST", "/capillary/v2/communications/sendMessage", None, auth,
             {"sms": [{"to": "919988221100", "body": "hi"}, {"to": "919353491050", "body": "no"}]}),
            ("POST", "/capillary/v2/customers", None, auth,
             {"profiles": [{"identifiers": [{"type": "mobile", "value": "919000000042"}]}]}),
            ("PUT", "/capillary/v2/customers/lookup/status",
             {"source": "INSTORE", "identifierName": "mobile", "identifierValue": "919988221100"},
             auth, {"reason": "x", "label": "Suspended"}),
            ("POST", "/capillary/v2/customer/565039506/goodwillRequest", None, auth,
             {"baseType": "POINTS", "points": 10}),
            ("POST", "/capillary/v2/customer/565039506/changeRequest", None, auth,
             {"baseType": "EMAIL", "newValue": "tom2@example.com"}),
            ("POST", "/capillary/v2/otp/generate", None, auth,
             {"entityType": "MOBILE", "entityValue": "919988221100", "action": "REGISTRATION",
              "channels": [{"type": "SMS"}]}),
            ("POST", "/messangi/subscribers", None, tenant.messangi_auth(),
             {"to": "+14155550100", "type": "SMS", "from": "528811", "reason": "STOP"}),
            ("PUT", "/symplify/1234/lists/contacts/tempblock", None, tenant.symplify_auth(),
             {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111",
              "blockUntil": "2030-01-02"}),
        ]  # fmt: skip
        for method, path, params, headers, body in calls:
            answer = http.request(method, path, params=params, json=body, headers=headers)
            assert answer.is_success, answer.text
        tenant.set_fault("sendMessage", 503, times=2)
        tenant.settings(rate_limits={"capillary": 100})
        target.write_text(json.dumps(tenant.snapshot(), indent=1, sort_keys=True))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
