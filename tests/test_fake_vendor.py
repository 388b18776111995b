"""A vendor is one folder: a vendor that exists only in tests/fake_vendor/ is given to the app,
and routing, credentials, fixture load and reset, outbox, snapshot and faults work for it with
no file under sandbox/ naming it. And no module of the core names a vendor in its code."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_vendor import FAKE

from sandbox.app import VENDORS
from sandbox.testing import Sandbox, Tenant, in_process
from sandbox.testing.respx_routes import vendor_routes

NOTIFY = "/fake/v1/notify"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with in_process(vendors=[*VENDORS, FAKE]) as running:
        yield running


@pytest.fixture
def tenant(sandbox: Sandbox) -> Tenant:
    return sandbox.create_tenant({"fake": {"muted": ["muted@example.com"]}})


def notify(tenant: Tenant, to: str, **headers: str) -> Any:
    key = {"X-Fake-Key": tenant.credentials["fake"]["value"], **headers}
    return tenant.http.post(NOTIFY, json={"to": to, "text": "hello"}, headers=key)


def test_its_credential_is_issued_shown_and_checked(sandbox: Sandbox, tenant: Tenant) -> None:
    shown = tenant.credentials["fake"]
    assert shown["type"] == "header" and shown["name"] == "X-Fake-Key" and shown["value"]
    assert sandbox.tenant(tenant.name).credentials["fake"] == shown
    assert sandbox.tenant("demo").credentials["fake"]["value"] == "demo-fake-key"
    assert set(tenant.credentials) == {"capillary", "messangi", "symplify", "fake"}
    wrong = tenant.http.post(NOTIFY, json={"to": "a@example.com", "text": "x"}, headers={})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["message"] == "X-Fake-Key: unknown key"
    assert tenant.outbox() == []


def test_its_operation_is_routed_validated_and_recorded(tenant: Tenant) -> None:
    sent = notify(tenant, "friend@example.com")
    assert sent.status_code == 200, sent.text
    [message] = tenant.outbox()
    assert message["id"] == sent.json()["id"]
    assert (message["vendor"], message["operation"], message["status"]) == (
        "fake",
        "fakeNotify",
        "DELIVERED",
    )
    invalid = tenant.http.post(
        NOTIFY, json={"to": ""}, headers={"X-Fake-Key": tenant.credentials["fake"]["value"]}
    )
    assert invalid.status_code == 400
    assert invalid.json()["error"]["code"] == "INVALID_INPUT"
    assert tenant.http.get("/fake/v1/elsewhere").status_code == 404
    assert len(tenant.outbox()) == 1


def test_its_fixture_section_decides_and_survives_reset_and_snapshot(
    sandbox: Sandbox, tenant: Tenant
) -> None:
    assert notify(tenant, "muted@example.com").status_code == 200
    [suppressed] = tenant.outbox(status="SUPPRESSED")
    assert suppressed["reason"] == "SENDER_BLOCKLISTED"
    snapshot = tenant.snapshot()
    assert snapshot["fake"] == {"muted": ["muted@example.com"]}
    tenant.reset()
    assert tenant.outbox() == []
    assert notify(tenant, "muted@example.com").status_code == 200
    assert tenant.outbox(status="SUPPRESSED")[0]["to"] == "muted@example.com"
    copy = sandbox.create_tenant(snapshot)
    assert copy.credentials["fake"]["value"] != tenant.credentials["fake"]["value"]
    assert [m["reason"] for m in copy.outbox()] == ["SENDER_BLOCKLISTED"]
    assert notify(copy, "muted@example.com").status_code == 200
    assert [m["status"] for m in copy.outbox()] == ["SUPPRESSED", "SUPPRESSED"]


def test_an_unknown_fixture_key_is_still_refused(sandbox: Sandbox) -> None:
    answer = sandbox.http.put("/_sandbox/tenants/odd", json={"fake": {"loud": True}})
    assert answer.status_code == 400
    assert "loud" in answer.json()["error"]["message"]


def test_its_faults_apply(tenant: Tenant) -> None:
    tenant.set_fault("fakeNotify", 503, times=1)
    assert notify(tenant, "friend@example.com").status_code == 503
    assert notify(tenant, "friend@example.com").status_code == 200
    assert len(tenant.outbox()) == 1
    unknown = tenant.http.put(f"{tenant.control}/faults/noSuchOperation", json={"status": 500})
    assert unknown.status_code == 404
    assert (
        "capillary.yaml, messangi.yaml, symplify.yaml, fake.yaml"
        in (unknown.json()["error"]["message"])
    )


def test_its_real_host_is_routed_into_the_sandbox(sandbox: Sandbox, tenant: Tenant) -> None:
    key = {"X-Fake-Key": tenant.credentials["fake"]["value"]}
    with vendor_routes(sandbox, vendors=[FAKE]), httpx.Client() as client:
        sent = client.post(
            "https://api.fake.example/v1/notify",
            json={"to": "muted@example.com", "text": "hi"},
            headers=key,
        )
    assert sent.status_code == 200, sent.text
    assert [m["status"] for m in tenant.outbox()] == ["SUPPRESSED"]


def test_a_tenant_made_before_the_vendor_was_added_gains_its_credentials_on_reset(
    tmp_path: Path,
) -> None:
    with in_process(data_dir=tmp_path) as before:
        before.create_tenant({}, name="old")
    with in_process(vendors=[*VENDORS, FAKE], data_dir=tmp_path) as after:
        old = after.tenant("old")
        assert "fake" not in old.credentials and "capillary" in old.credentials
        old.reset()
        assert after.tenant("old").credentials["fake"]["value"]


def test_its_rate_limit_applies(tenant: Tenant) -> None:
    tenant.set_rate_limits(fake=2)
    statuses = [notify(tenant, "friend@example.com").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert tenant.settings()["rate_limits"] == {"fake": 2}


# ---------------------------------------------------------------- the core names no vendor
SANDBOX = Path(__file__).resolve().parents[1] / "sandbox"
VENDOR_NAME = re.compile(r"capillary|messangi|symplify|carma", re.IGNORECASE)
# modules that may: each vendor's own folder, and the testing helpers written for integrators
ALLOWED = ("vendors", "testing", "resources")


def names_in_code(path: Path) -> list[str]:
    """Vendor names in a module's code: its strings and names, not its comments or docstrings."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and VENDOR_NAME.search(node.value):
                found.append(f"{path.name}:{node.lineno} {node.value!r}")
        else:
            for name in _names_of(node):
                if VENDOR_NAME.search(name):
                    found.append(f"{path.name}:{getattr(node, 'lineno', '?')} {name}")
    return found


def _names_of(node: ast.AST) -> list[str]:
    """The identifiers a node spells: a name, an attribute, an import and its alias."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.alias):
        return [node.name, node.asname or ""]
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    return []


def test_the_check_sees_imports_names_and_strings(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        '"""Docstrings may say Capillary."""\n'
        "from sandbox.vendors.capillary import fixture as f\n"
        "import sandbox.vendors.symplify\n"
        "x = f.tables\n"
        "y = 'messangi'\n"
    )
    assert names_in_code(module) == [
        "module.py:2 sandbox.vendors.capillary",  # from ... import
        "module.py:3 sandbox.vendors.symplify",  # import
        "module.py:5 'messangi'",  # a string; the docstring is left alone
    ]


def test_no_core_module_names_a_vendor_in_its_code() -> None:
    offenders = {
        str(path.relative_to(SANDBOX)): found
        for path in sorted(SANDBOX.rglob("*.py"))
        if path.relative_to(SANDBOX).parts[0] not in ALLOWED and (found := names_in_code(path))
    }
    assert offenders == {}
