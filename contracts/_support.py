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
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import negative_data_rejection

from contracts import leniency, strategies, watch
from sandbox import control
from sandbox.app import VENDORS, create_app
from sandbox.request_path import RequestPath
from sandbox.settings import Settings
from sandbox.store import Store
from sandbox.testing.example import EXAMPLE_FIXTURE

DEFAULT_EXAMPLES = 20
EXAMPLES = int(os.environ.get("SANDBOX_FUZZ_EXAMPLES") or DEFAULT_EXAMPLES)
SEED = os.environ.get("SANDBOX_FUZZ_SEED") or None
REPORT_PATH = os.environ.get("SANDBOX_FUZZ_REPORT") or None
STATEFUL_STEPS = 8

FIXTURE = EXAMPLE_FIXTURE
CUSTOMERS: list[dict[str, Any]] = FIXTURE["capillary"]["customers"]


def config() -> SchemathesisConfig:
    """Examples, coverage and fuzzing phases; positive and negative data; reproducible; the
    default checks with the allowed answers of contracts/leniency.py."""
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
        "operations": leniency.operations_config(),
    }
    if SEED is not None:
        data["seed"] = int(SEED)
    else:
        generation["deterministic"] = True
    return SchemathesisConfig.from_dict(data)


HANDLER_CALLS = watch.HandlerCalls()


def new_app() -> RequestPath:
    """A fresh in-memory app (data_dir None) holding only the demo tenant, its handlers
    counted (watch.HandlerCalls). Schemathesis' in-process client calls itself `testserver`:
    the control plane is told that host is its own (the Host guard is tested in
    tests/test_control_guard.py)."""
    return create_app(
        Settings(allowed_hosts=("testserver",)),
        vendors=[HANDLER_CALLS.counted(vendor) for vendor in VENDORS],
        control_vendor=HANDLER_CALLS.counted(control.VENDOR),
    )


def load(app: RequestPath, document: str, *, counted: bool = True) -> Any:
    """The document as the app serves it, bound to the app for in-process calls, its dates,
    date-times, integers and ids drawing their edges (contracts/strategies.py); with
    `counted`, every check's verdicts are counted (RequestLog.checks)."""
    strategies.register()
    schema = schemathesis.openapi.from_asgi(f"/openapi/{document}", app, config=config())
    if not counted:
        return schema

    def after_validate(context: Any, case: Case, response: Response, results: Any) -> None:
        for result in results:
            LOG.checks[(result.name, result.status.name.lower())] += 1

    schema.hook(after_validate)
    return schema


def operation_ids(schema: Any) -> dict[str, str]:
    """operation label ("POST /v2/customers") -> operationId."""
    return {
        operation.label: str(operation.definition.raw["operationId"])
        for operation in (result.ok() for result in schema.get_all_operations())
    }


@contextmanager
def client(app: RequestPath) -> Iterator[Any]:
    """A `requests` session into the app, on the same lifespan schemathesis starts."""
    with asgi.get_client(app) as session:
        yield session


def put_tenant(
    app: RequestPath, name: str, fixture: dict[str, Any] | None = None
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
    "capillary-v1.1-text": ('{"response": {"status": {"success", "code", "message"}}}', _v11),
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
    """Every 4xx answer is JSON in the vendor's own error envelope (docs/contract.md 2, 6)."""
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


# run with schemathesis' default checks (case.validate_response without `checks=`)
OWN_CHECKS = [
    vendor_error_envelope,
    leniency.documented_refusal,
    leniency.negative_data_rejection_per_item,
]
REPLACED_CHECKS = [negative_data_rejection]  # by leniency.negative_data_rejection_per_item


# ---------------------------------------------------------------- request accounting


WATCH_COUNTERS = (
    "refused",  # answered 4xx
    "refused_in_handler",  # of which the operation's handler ran (a business rule refused)
    "invalid_accepted",  # generated schema-invalid, answered 2xx (judged by the checks)
    "invalid_accepted_wrote",  # of which wrote state (the valid items of a per-item send)
    "failed",  # answered 5xx (a fault injected, a storage failure, or a bug)
    "state_changes",  # refused or failed requests after which the store had changed: failures
)


@dataclass
class RequestLog:
    """How many generated requests each run sent, by document, operation, mode and status,
    and what the state watch saw (WATCH_COUNTERS, per document)."""

    counts: Counter[tuple[str, str, str, str, int]] = field(default_factory=Counter)
    watched: dict[str, Counter[str]] = field(default_factory=dict)
    # (check, "success" | "failure") -> answers it judged; a check that does not apply to an
    # answer (a rejection check on a 2xx, say) passes it and is counted as a success
    checks: Counter[tuple[str, str]] = field(default_factory=Counter)

    def tally(self, document: str, counter: str) -> None:
        self.watched.setdefault(document, Counter())[counter] += 1

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
            "watched": {document: dict(counter) for document, counter in self.watched.items()},
            "checks": [[*key, count] for key, count in sorted(self.checks.items())],
        }

    def merge_rows(self, rows: dict[str, Any]) -> None:
        for *key, count in rows["counts"]:
            self.counts[(key[0], key[1], key[2], key[3], int(key[4]))] += int(count)
        for document, counter in rows["watched"].items():
            self.watched.setdefault(document, Counter()).update(counter)
        for name, status, count in rows["checks"]:
            self.checks[(name, status)] += int(count)

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
                    **{
                        name: self.watched.get(document, Counter())[name] for name in WATCH_COUNTERS
                    },
                }
                for document, totals in by_document.items()
            },
            "per_operation": {
                document: {name: dict(tally) for name, tally in sorted(ops.items())}
                for document, ops in operations.items()
            },
            "server_error_details": server_errors,
            "checks": {
                name: {
                    "answers": self.checks[(name, "success")] + self.checks[(name, "failure")],
                    "failed": self.checks[(name, "failure")],
                }
                for name in sorted({name for name, _ in self.checks})
            },
        }


LOG = RequestLog()


class UnhandledError(AssertionError):
    """The app raised instead of answering: a server would have answered 500."""


class StateChangedOnError(AssertionError):
    """A refused (4xx) or failed (5xx) request changed the store: it must change nothing."""


def send(document: str, case: Case, **kwargs: Any) -> Response:
    """Send the case in-process, count it, and watch the whole store across it (watch.py):
    a refused (4xx) or failed (5xx) request after which any tenant changed is a failure
    (CONTRACT section 13: a request answered 5xx, or refused as a whole, changed nothing).
    Schema-invalid requests answered 2xx are counted here and judged by the checks that
    follow. An exception the app raised counts as a 500."""
    store: Store = case.operation.app.store
    before, handled = watch.fingerprint(store), HANDLER_CALLS.calls
    try:
        response = case.call(**kwargs)
    except Exception as exc:
        # Starlette's ServerErrorMiddleware answers 500 and re-raises into the in-process client.
        LOG.record_status(document, case, 500)
        LOG.tally(document, "failed")
        changes = watch.differences(before, watch.fingerprint(store))
        if changes:
            LOG.tally(document, "state_changes")
            raise StateChangedOnError(
                f"500 ({type(exc).__name__}: {exc}), yet {'; '.join(changes)}\n"
                f"{case.as_curl_command()}"
            ) from exc
        raise UnhandledError(f"500: {type(exc).__name__}: {exc}\n{case.as_curl_command()}") from exc
    LOG.record(document, case, response)
    changes = watch.differences(before, watch.fingerprint(store))
    status, invalid = response.status_code, mode_of(case) == "negative"
    if 400 <= status < 500:
        LOG.tally(document, "refused")
        if HANDLER_CALLS.calls != handled:
            LOG.tally(document, "refused_in_handler")
    elif status >= 500:
        LOG.tally(document, "failed")
    else:
        if invalid and 200 <= status < 300:
            # judged by negative_data_rejection_per_item: as sent, the request was valid
            # (schemathesis' own exemptions), or a per-item send acted on its valid items
            LOG.tally(document, "invalid_accepted")
            if changes:
                LOG.tally(document, "invalid_accepted_wrote")
        changes = []
    if changes:
        LOG.tally(document, "state_changes")
        raise StateChangedOnError(
            f"{status} answer, yet {'; '.join(changes)}\n{case.as_curl_command()}"
        )
    return response


def call_and_check(document: str, case: Case) -> Response:
    """Send the case in-process, count it and watch the store, then run schemathesis' default
    checks and the project's own on the answer."""
    response = send(document, case)
    case.validate_response(response, additional_checks=OWN_CHECKS, excluded_checks=REPLACED_CHECKS)
    return response


class OperationTenants:
    """One tenant per fuzzed operation of a document, so every operation starts from the
    FIXTURE in any order and on any xdist worker.

    The tenants are created at import: schemathesis builds the examples and coverage cases
    (auth included) while pytest collects, before any fixture runs. Replacing a tenant keeps its
    credentials, so `reset` gives an operation's run the fixture again with the same ones.
    While a stateful run is under way, every operation is sent as its one tenant instead.
    """

    def __init__(self, app: RequestPath, schema: Any, document: str, prefix: str) -> None:
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

    def of(self, case: Case) -> dict[str, Any]:
        """The vendor credentials a case is sent with."""
        return self.stateful or self.credentials[case.operation.definition.raw["operationId"]]

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
            return send(tenants.document, case, **kwargs)

        def validate_response(
            self, response: Any, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                additional_checks=OWN_CHECKS,
                excluded_checks=REPLACED_CHECKS,
                transport_kwargs=kwargs or None,
            )

    assert Workflow.root_rules, f"no operation of {list(operations)} can start a scenario"
    tenants.stateful.update(put_tenant(tenants.app, tenant)[tenants.vendor])
    try:
        Workflow.run(settings=stateful_settings())
    finally:
        tenants.stateful.clear()


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
