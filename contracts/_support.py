"""Shared machinery of the contract-fuzzing suite.

Each OpenAPI document is loaded from the app itself (`GET /openapi/{name}`) and every generated
request is sent in-process through schemathesis' ASGI transport: no socket, no server.

Environment:
    SANDBOX_FUZZ_EXAMPLES   fuzzed examples per operation and mode (default 20; `make fuzz`: 500)
    SANDBOX_FUZZ_SEED       an integer seed for the per-operation runs; unset, Hypothesis runs
                            derandomized (the same requests every run). The stateful runs are
                            always derandomized.
    SANDBOX_FUZZ_REPORT     a path: the session also writes its request counts there as JSON
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from schemathesis import Case, CheckContext, Response
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sandbox.app import create_app
from sandbox.routing import PrefixDispatcher
from sandbox.settings import Settings
from sandbox.store import TenantData
from sandbox.testing.example import EXAMPLE_FIXTURE

DEFAULT_EXAMPLES = 20
EXAMPLES = int(os.environ.get("SANDBOX_FUZZ_EXAMPLES") or DEFAULT_EXAMPLES)
SEED = os.environ.get("SANDBOX_FUZZ_SEED") or None
REPORT_PATH = os.environ.get("SANDBOX_FUZZ_REPORT") or None
STATEFUL_STEPS = 8

FIXTURE = EXAMPLE_FIXTURE
CUSTOMERS: list[dict[str, Any]] = FIXTURE["capillary"]["customers"]


def config() -> SchemathesisConfig:
    """Examples, coverage and fuzzing phases; positive and negative data; reproducible."""
    generation: dict[str, Any] = {
        "mode": "all",
        "max-examples": EXAMPLES,
        # No example database: a run replays nothing from an earlier one.
        "database": "none",
    }
    data: dict[str, Any] = {
        "generation": generation,
        "phases": {
            # Methods a path does not document are probed by test_contract_methods.py instead,
            # so one finding there does not hide every other finding of an operation's run.
            "coverage": {"unexpected-methods": []},
            # follow the documents' own links only: inferred ones chain unrelated operations
            # (and made Hypothesis report its data generation as flaky on long runs)
            "stateful": {"max-steps": STATEFUL_STEPS, "inference": {"algorithms": []}},
        },
        # Hypothesis health checks judge the generator, not the app; the fixture per operation is
        # deliberate (state carries across one operation's examples).
        "suppress-health-check": ["all"],
    }
    if SEED is not None:
        data["seed"] = int(SEED)
    else:
        generation["deterministic"] = True
    return SchemathesisConfig.from_dict(data)


def new_app() -> PrefixDispatcher:
    """A fresh in-memory app (data_dir None) holding only the demo tenant. Schemathesis'
    in-process client calls itself `testserver`: the control plane is told that host is its
    own (the Host guard is tested in tests/test_control_guard.py)."""
    return create_app(Settings(allowed_hosts=("testserver",)))


def load(app: PrefixDispatcher, document: str) -> Any:
    """The document as the app serves it, bound to the app for in-process calls."""
    return schemathesis.openapi.from_asgi(f"/openapi/{document}", app, config=config())


def operation_ids(schema: Any) -> dict[str, str]:
    """operation label ("POST /v2/customers") -> operationId."""
    return {
        operation.label: str(operation.definition.raw["operationId"])
        for operation in (result.ok() for result in schema.get_all_operations())
    }


@contextmanager
def client(app: PrefixDispatcher) -> Iterator[Any]:
    """A `requests` session into the app, on the same lifespan schemathesis starts."""
    with asgi.get_client(app) as session:
        yield session


def put_tenant(
    app: PrefixDispatcher, name: str, fixture: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Create or replace `name` from `fixture`; its credentials."""
    with client(app) as session:
        response = session.put(f"/_sandbox/tenants/{name}", json=fixture or FIXTURE)
    if response.status_code not in (200, 201):
        raise AssertionError(f"creating tenant {name}: {response.status_code} {response.text}")
    credentials: dict[str, Any] = response.json()["credentials"]
    return credentials


def basic_auth(capillary: dict[str, Any]) -> dict[str, str]:
    """The Authorization header of a tenant's Capillary credentials."""
    token = base64.b64encode(f"{capillary['username']}:{capillary['password']}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def tenant_name(prefix: str, operation_id: str) -> str:
    """One tenant per fuzzed operation: every operation starts from the fixture, in any order."""
    return f"{prefix}-{operation_id}".lower()[:64]


def pick(value: Any, salt: str, share: int) -> bool:
    """A deterministic `1 - 1/share` part of generated values: True for those to remap."""
    return zlib.crc32(f"{salt}:{value!r}".encode()) % share != 0


def choose(value: Any, options: Sequence[Any]) -> Any:
    """One of `options`, always the same for the same generated value."""
    return options[zlib.crc32(repr(value).encode()) % len(options)]


def mode_of(case: Case) -> str:
    return case.meta.generation.mode.value if case.meta is not None else "explicit"


def phase_of(case: Case) -> str:
    return case.meta.phase.name.value if case.meta is not None else "explicit"


def is_positive_at(case: Case, location: str) -> bool:
    """Whether the component at `location` (path, query, header, body) is schema-valid data."""
    if case.meta is None:
        return True
    for loc, info in case.meta.components.items():
        if loc.value == location:
            return not info.mode.is_negative
    return True


# ---------------------------------------------------------------- the vendor error envelopes


def envelope_of(definition: dict[str, Any], document: dict[str, Any]) -> str:
    """Which error envelope an operation answers in (`x-sandbox-envelope`, else the document's)."""
    return str(
        definition.get("x-sandbox-envelope") or document.get("x-sandbox-envelope", "sandbox")
    )


def _is_messages(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(item, dict) and "code" in item and "message" in item for item in value)
    )


def _v2(body: Any) -> bool:
    return isinstance(body, dict) and _is_messages(body.get("errors"))


def _v11(body: Any) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("response"), dict):
        return False
    status = body["response"].get("status")
    return isinstance(status, dict) and {"success", "code", "message"} <= status.keys()


def _oauth(body: Any) -> bool:
    return isinstance(body, dict) and body.get("data") is None and _is_messages(body.get("errors"))


def _sandbox(body: Any) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
    )


def _per_item_failure(body: Any) -> bool:
    """sendMessage / sendWechat: every item failed, each with its own `errors` (documented 400)."""
    if not isinstance(body, dict) or not isinstance(body.get("status"), dict):
        return False
    lists = [v for k, v in body.items() if k != "status" and isinstance(v, list)]
    return bool(lists) and all(
        isinstance(item, dict) and _is_messages(item.get("errors"))
        for items in lists
        for item in items
    )


def _otp_rejected(body: Any) -> bool:
    """validateOtp: a wrong or expired code is `{"entity": false}` (Capillary's own 400)."""
    return isinstance(body, dict) and body.get("entity") is False and "warnings" in body


def _symplify(body: Any) -> bool:
    """`{"error": "...", "status": N[, "field": "..."]}`."""
    return (
        isinstance(body, dict)
        and isinstance(body.get("error"), str)
        and isinstance(body.get("status"), int)
    )


def _messangi(body: Any) -> bool:
    """`{"meta": {"timestamp", "transactionId", "explain"}, "data": null}`."""
    meta = body.get("meta") if isinstance(body, dict) else None
    return (
        isinstance(meta, dict)
        and isinstance(meta.get("timestamp"), int)
        and isinstance(meta.get("transactionId"), str)
        and isinstance(meta.get("explain"), str)
        and body.get("data", "absent") is None
    )


ENVELOPES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "capillary-v2": ('{"errors": [{"code", "message"}, ...]}', _v2),
    "capillary-v1.1": ('{"response": {"status": {"success", "code", "message"}}}', _v11),
    "capillary-oauth": ('{"data": null, "errors": [{"code", "message"}, ...]}', _oauth),
    "sandbox": ('{"error": {"code", "message"}}', _sandbox),
    "messangi": ('{"meta": {"timestamp", "transactionId", "explain"}, "data": null}', _messangi),
    "symplify": ('{"error": "...", "status": N}', _symplify),
}
# Documented 400 bodies that are the vendor's own answer rather than its error envelope.
ALTERNATIVES: dict[str, Callable[[Any], bool]] = {
    "sendMessage": _per_item_failure,
    "sendWechat": _per_item_failure,
    "validateOtp": _otp_rejected,
}


def envelope_problem(
    status: int, content_type: str, content: bytes, envelope: str, operation_id: str = ""
) -> str | None:
    """Why a 4xx answer is not JSON in `envelope`, or None when it is."""
    shape, matches = ENVELOPES.get(envelope, ENVELOPES["sandbox"])
    if "json" not in content_type.lower():
        return (
            f"{status} answered as {content_type or 'no Content-Type'}, not JSON in the "
            f"{envelope} envelope {shape}: {content[:200]!r}"
        )
    try:
        body = json.loads(content or b"")
    except ValueError:
        return f"{status} body is not JSON: {content[:200]!r}"
    if matches(body):
        return None
    alternative = ALTERNATIVES.get(operation_id)
    if alternative is not None and status == 400 and alternative(body):
        return None
    text = content[:300].decode(errors="replace")
    return f"{status} body is not in the {envelope} envelope {shape}: {text}"


def vendor_error_envelope(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx answer is JSON in the vendor's own error envelope (CONTRACT.md sections 2, 6)."""
    if not 400 <= response.status_code < 500:
        return None
    problem = envelope_problem(
        response.status_code,
        response.headers.get("content-type", [""])[0],
        response.content,
        envelope_of(case.operation.definition.raw, case.operation.schema.raw_schema),
        str(case.operation.definition.raw.get("operationId", "")),
    )
    if problem is not None:
        raise AssertionError(problem)
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    vendor_error_envelope,
]


# ---------------------------------------------------------------- request accounting


@dataclass
class RequestLog:
    """How many generated requests each run sent, by document, operation, mode and status."""

    counts: Counter[tuple[str, str, str, str, int]] = field(default_factory=Counter)
    # per document: 4xx answers whose tenant was watched, and those after which it had changed
    refusals: Counter[str] = field(default_factory=Counter)
    state_changes: Counter[str] = field(default_factory=Counter)

    def record(self, document: str, case: Case, response: Response) -> None:
        self.record_status(document, case, response.status_code)

    def record_status(self, document: str, case: Case, status: int) -> None:
        operation = str(case.operation.definition.raw.get("operationId", case.operation.label))
        self.count(document, operation, phase_of(case), mode_of(case), status)

    def count(self, document: str, operation: str, phase: str, mode: str, status: int) -> None:
        self.counts[(document, operation, phase, mode, status)] += 1

    def as_rows(self) -> dict[str, Any]:
        return {
            "counts": [[*key, count] for key, count in sorted(self.counts.items())],
            "refusals": dict(self.refusals),
            "state_changes": dict(self.state_changes),
        }

    def merge_rows(self, rows: dict[str, Any]) -> None:
        for *key, count in rows["counts"]:
            self.counts[(key[0], key[1], key[2], key[3], int(key[4]))] += int(count)
        self.refusals.update(rows["refusals"])
        self.state_changes.update(rows["state_changes"])

    def per_operation(self) -> list[str]:
        """One line per operation: requests by mode and status (shown with -v)."""
        table: dict[tuple[str, str], Counter[str]] = {}
        for (document, operation, _phase, mode, status), count in self.counts.items():
            table.setdefault((document, operation), Counter())[f"{mode} {status}"] += count
        return [
            f"{document} {operation}: "
            + ", ".join(f"{key} x{value}" for key, value in sorted(counter.items()))
            for (document, operation), counter in sorted(table.items())
        ]

    def summary(self) -> dict[str, Any]:
        by_document: dict[str, Counter[str]] = {}
        server_errors: list[dict[str, Any]] = []
        operations: dict[str, dict[str, Counter[str]]] = {}
        for (document, operation, phase, mode, status), count in sorted(self.counts.items()):
            totals = by_document.setdefault(document, Counter())
            if phase != "unexpected-method":
                tally = operations.setdefault(document, {}).setdefault(operation, Counter())
                tally["requests"] += count
                tally[f"{status // 100}xx"] += count
            totals["requests"] += count
            totals[mode] += count
            totals[f"phase:{phase}"] += count
            totals[f"{status // 100}xx"] += count
            if status >= 500:
                server_errors.append(
                    {"document": document, "operation": operation, "status": status, "n": count}
                )
        return {
            "examples_per_operation": EXAMPLES,
            "seed": SEED if SEED is not None else "derandomized",
            "requests": sum(self.counts.values()),
            "server_errors": sum(e["n"] for e in server_errors),
            "documents": {
                document: {
                    "operations": len(operations.get(document, ())),
                    **dict(totals),
                    "refused_4xx_watched": self.refusals[document],
                    "state_changed_on_4xx": self.state_changes[document],
                }
                for document, totals in by_document.items()
            },
            "per_operation": {
                document: {name: dict(tally) for name, tally in sorted(ops.items())}
                for document, ops in operations.items()
            },
            "server_error_details": server_errors,
        }


LOG = RequestLog()


class UnhandledError(AssertionError):
    """The app raised instead of answering: a server would have answered 500."""


class StateChangedOnError(AssertionError):
    """A request answered 4xx changed the tenant's state: a refused request must change nothing."""


def send(document: str, case: Case, watch: TenantData | None = None, **kwargs: Any) -> Response:
    """Send the case in-process and count it; an exception the app raised counts as a 500.
    With `watch`, a 4xx answer after which that tenant committed a write is a failure."""
    before = watch.commits if watch is not None else 0
    try:
        response = case.call(**kwargs)
    except Exception as exc:
        # Starlette's ServerErrorMiddleware answers 500 and re-raises into the in-process client.
        LOG.record_status(document, case, 500)
        raise UnhandledError(f"500: {type(exc).__name__}: {exc}\n{case.as_curl_command()}") from exc
    LOG.record(document, case, response)
    if watch is not None and 400 <= response.status_code < 500:
        LOG.refusals[document] += 1
        if watch.commits != before:
            LOG.state_changes[document] += 1
            raise StateChangedOnError(
                f"{response.status_code} answer, yet the tenant committed "
                f"{watch.commits - before} write(s)\n{case.as_curl_command()}"
            )
    return response


def call_and_check(document: str, case: Case, watch: TenantData | None = None) -> Response:
    """Send the case in-process, count it, then run every check on the answer."""
    response = send(document, case, watch)
    case.validate_response(response, checks=CHECKS)
    return response


class OperationTenants:
    """One tenant per fuzzed operation of a document, so every operation starts from the
    FIXTURE in any order and on any xdist worker.

    The tenants are created at import: schemathesis builds the examples and coverage cases
    (auth included) while pytest collects, before any fixture runs. Replacing a tenant keeps its
    credentials, so `reset` gives an operation's run the fixture again with the same ones.
    While a stateful run is under way, every operation is sent as its one tenant instead.
    """

    def __init__(self, app: PrefixDispatcher, schema: Any, document: str, prefix: str) -> None:
        self.app = app
        self.schema = schema
        self.document = document  # also the vendor: its credentials and its request counts
        self.vendor = document
        self.labels = operation_ids(schema)
        self.names = {op: tenant_name(prefix, op) for op in self.labels.values()}
        self.credentials: dict[str, dict[str, Any]] = {
            op: put_tenant(app, name)[document] for op, name in self.names.items()
        }
        self.stateful: dict[str, Any] = {}
        self.stateful_tenant: str | None = None

    def of(self, case: Case) -> dict[str, Any]:
        """The vendor credentials a case is sent with."""
        return self.stateful or self.credentials[case.operation.definition.raw["operationId"]]

    def data_of(self, case: Case) -> TenantData:
        """The state of the tenant a case is sent as (watched for changes on a refusal)."""
        name = self.stateful_tenant or self.names[case.operation.definition.raw["operationId"]]
        data = self.app.store.get(name)
        assert data is not None, f"no tenant {name}"
        return data

    def reset(self, operation_label: str) -> dict[str, Any]:
        """The operation's tenant, back to the FIXTURE (same credentials)."""
        operation_id = self.labels[operation_label]
        credentials = put_tenant(self.app, self.names[operation_id])
        assert credentials[self.vendor] == self.credentials[operation_id]
        return credentials


Step = Callable[[Case], None]


def run_links(
    tenants: OperationTenants,
    operations: Sequence[str],
    tenant: str,
    first: Step,
    later: Step | None = None,
) -> None:
    """SANDBOX_FUZZ_EXAMPLES scenarios over `operations`, following the document's links, as one
    tenant reset before each scenario. `first` aims a scenario's first call (no link fills it);
    `later` shapes the others."""
    machine = tenants.schema.include(operation_id=list(operations)).as_state_machine()

    class Workflow(machine):  # type: ignore[valid-type, misc]
        def setup(self) -> None:
            put_tenant(tenants.app, tenant)

        def step(self, input: Any) -> Any:
            if input.transition is None:
                first(input.case)
            elif later is not None and is_positive_at(input.case, "body"):
                later(input.case)
            return super().step(input)

        def call(self, case: Case, **kwargs: Any) -> Any:
            return send(tenants.document, case, tenants.data_of(case), **kwargs)

        def validate_response(
            self, response: Any, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    assert Workflow.root_rules, f"no operation of {list(operations)} can start a scenario"
    tenants.stateful.update(put_tenant(tenants.app, tenant)[tenants.vendor])
    tenants.stateful_tenant = tenant
    try:
        Workflow.run(settings=stateful_settings())
    finally:
        tenants.stateful.clear()
        tenants.stateful_tenant = None


def stateful_settings() -> hypothesis.settings:
    """Scenario count and length for the link-following runs; always derandomized."""
    return hypothesis.settings(
        max_examples=EXAMPLES,
        stateful_step_count=STATEFUL_STEPS,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
