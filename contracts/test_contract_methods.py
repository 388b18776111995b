"""Methods a path does not document: `405` in the path's own error envelope, with `Allow`.

Schemathesis' coverage phase sends these probes inside each operation's run, where the first
failing probe would hide every other finding of that operation; here each (document, method)
pair is one test over every path of the document instead.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from contracts import _support

pytestmark = pytest.mark.contract

# schemathesis' default set of unexpected methods (config: phases.coverage.unexpected-methods)
METHODS = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "TRACE", "QUERY"]
DOCUMENTS = {
    "capillary": "/capillary",
    "messangi": "/messangi",
    "symplify": "/symplify",
    "sandbox": "/_sandbox",
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace", "query"}

APP = _support.new_app()
CREDENTIALS = _support.put_tenant(APP, "fuzz-methods")
SPECS: dict[str, dict[str, Any]] = {
    name: yaml.safe_load((_support.Settings().openapi_dir / f"{name}.yaml").read_text())
    for name in DOCUMENTS
}


def concrete(path: str) -> str:
    """A path with its parameters filled in: the fuzz tenant, or 1 for ids."""
    return re.sub(r"\{([^}]+)\}", lambda m: "fuzz-methods" if m.group(1) == "tenant" else "1", path)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_undocumented_method(document: str, method: str) -> None:
    spec = SPECS[document]
    headers = {
        "capillary": _support.basic_auth(CREDENTIALS["capillary"]),
        "messangi": {"Authorization": CREDENTIALS["messangi"]["value"]},
        "symplify": {"X-Carma-Authentication-Token": CREDENTIALS["symplify"]["value"]},
    }.get(document, {})
    problems: list[str] = []
    with _support.client(APP) as session:
        for path, item in spec["paths"].items():
            documented = {m.upper(): op for m, op in item.items() if m in HTTP_METHODS}
            if method in documented:
                continue
            url = DOCUMENTS[document] + concrete(path)
            response = session.request(method, url, headers=headers, json={})
            _support.LOG.count(
                document,
                "(undocumented methods)",
                "unexpected-method",
                "negative",
                response.status_code,
            )
            where = f"{method} {url}"
            if response.status_code != 405:
                problems.append(f"{where}: {response.status_code}, expected 405")
                continue
            envelopes = sorted({_support.envelope_of(op, spec) for op in documented.values()})
            found = [
                _support.envelope_problem(
                    405, response.headers.get("content-type", ""), response.content, envelope
                )
                for envelope in envelopes
            ]
            problems.extend(f"{where}: {problem}" for problem in found if problem)
            allow = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
            expected = set(documented) | ({"HEAD"} if "GET" in documented else set())
            if not any(found) and not set(documented) <= allow <= expected:
                problems.append(f"{where}: Allow {sorted(allow)}, expected {sorted(documented)}")
    shown = "\n".join(problems[:8]) + (
        f"\n... and {len(problems) - 8} more" if len(problems) > 8 else ""
    )
    assert not problems, f"{len(problems)} undocumented-method answers break the contract:\n{shown}"
