"""Canaries: each gate of the contract suite fires on a deliberately broken app.

The fuzzing runs pass only if these gates can fail. Each test builds an app with one
control-plane handler broken on purpose, sends requests through the suite's own `send` and
`call_and_check`, and requires the gate to report the breakage:

- the state watch: a write that escapes the request's unit followed by a 4xx or a 5xx; a 4xx
  that deletes another tenant (and a write the request undoes passes);
- `negative_data_rejection`: an invalid body accepted (validation switched off);
- `positive_data_acceptance`: a valid request refused where no refusal is documented;
- `documented_refusal`: a valid request refused with a code the operation does not document;
- the handler count: a refusal by validation does not reach a handler, a business one does;
- `vendor_error_envelope`: a 400 outside the vendor's envelope; `not_a_server_error`: a bug;
- the boundary values (contracts/strategies.py): issue 23's 9999-12-31 bug, put back, fails
  the Symplify fuzzing of a block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis
import pytest
from schemathesis import Case
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.generation import GenerationMode
from schemathesis.openapi.checks import RejectedPositiveData

from contracts import _support
from sandbox import control
from sandbox.app import create_app
from sandbox.clock import epoch_ms
from sandbox.errors import ApiError, InvalidInput
from sandbox.http import Context, Handler, Reply
from sandbox.openapi import Operation
from sandbox.request_path import RequestPath
from sandbox.settings import Settings
from sandbox.vendors.symplify import contacts, tempblock

TENANT = "canary"
OTHER = "bystander"


@pytest.fixture(autouse=True)
def own_request_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """The canaries count their requests apart: the fuzz report is the real runs' alone."""
    monkeypatch.setattr(_support, "LOG", _support.RequestLog())


def broken_app(operation_id: str, broken: Callable[[Handler], Handler]) -> RequestPath:
    """An app whose control-plane handler for `operation_id` is `broken(real handler)`,
    every handler counted like the suite's own app."""
    handlers = dict(control.VENDOR.handlers)
    handlers[operation_id] = broken(handlers[operation_id])
    vendor = _support.HANDLER_CALLS.counted(replace(control.VENDOR, handlers=handlers))
    app = create_app(Settings(allowed_hosts=("testserver",)), control_vendor=vendor)
    for name in (TENANT, OTHER):
        _support.put_tenant(app, name)
    return app


def explicit(app: RequestPath, path: str, method: str, **parts: Any) -> Case:
    schema = _support.load(app, "sandbox.yaml", counted=False)
    operation = schema[path][method]
    case: Case = operation.Case(path_parameters={"tenant": TENANT}, **parts)
    return case


def failures_of(error: BaseException) -> list[BaseException]:
    return list(getattr(error, "exceptions", [error]))


def writes_then_fails(error: Exception) -> Callable[[Handler], Handler]:
    """A handler that writes past the request's unit (committed alone, as if the request
    were not atomic), then raises `error`."""

    def broken(real: Handler) -> Handler:
        def handler(ctx: Context) -> Any:
            data = ctx.store.get(TENANT)
            assert data is not None
            tx = data.begin()
            tx.put("meta", {"id": "written before the failure"})
            tx.commit(alone=True)
            raise error

        return handler

    return broken


@pytest.mark.parametrize(
    ("error", "status"),
    [(InvalidInput("refused after writing", field="body"), 400), (RuntimeError("a bug"), 500)],
)
def test_a_write_followed_by_a_refusal_or_a_failure_fails_the_run(
    error: Exception, status: int
) -> None:
    app = broken_app("putSettings", writes_then_fails(error))
    case = explicit(app, "/tenants/{tenant}/settings", "PUT", body={"outbox_retention": 50})
    with pytest.raises(
        _support.StateChangedOnError, match=f"{status} answer, yet tenant canary committed 1 write"
    ):
        _support.send("canary", case)


def test_a_write_the_request_undoes_passes_the_watch() -> None:
    """The same handler writing in the request's own unit: the refusal undoes the write."""

    def writes_then_refuses(real: Handler) -> Handler:
        def handler(ctx: Context) -> Any:
            real(ctx)  # the settings are stored, in the request's unit
            raise InvalidInput("refused after writing", field="body")

        return handler

    app = broken_app("putSettings", writes_then_refuses)
    case = explicit(app, "/tenants/{tenant}/settings", "PUT", body={"outbox_retention": 50})
    assert _support.send("canary", case).status_code == 400


def test_a_refusal_that_deletes_another_tenant_fails_the_run() -> None:
    def deletes_a_bystander(real: Handler) -> Handler:
        def handler(ctx: Context) -> Any:
            ctx.store.delete_tenant(OTHER)
            raise InvalidInput("refused", field="tenant")

        return handler

    app = broken_app("getClock", deletes_a_bystander)
    case = explicit(app, "/tenants/{tenant}/clock", "GET")
    with pytest.raises(_support.StateChangedOnError, match="tenant bystander deleted"):
        _support.send("canary", case)


def test_an_accepted_invalid_body_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def accepts_anything(real: Handler) -> Handler:
        return lambda ctx: Reply({"now": "2026-01-01T00:00:00.000Z", "frozen": True})

    app = broken_app("advanceClock", accepts_anything)
    monkeypatch.setattr(Operation, "validate_body", lambda self, body: {})  # validation off
    operation = _support.load(app, "sandbox.yaml", counted=False)[
        "/tenants/{tenant}/clock/advance"
    ]["POST"]
    fired: list[str] = []

    @hypothesis.given(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    @hypothesis.settings(max_examples=25, database=None, deadline=None, derandomize=True)
    def send_invalid(case: Case) -> None:
        case.path_parameters = {"tenant": TENANT}
        try:
            _support.call_and_check("canary", case)
        except BaseException as error:  # a FailureGroup of the checks that failed
            fired.extend(type(f).__name__ for f in failures_of(error))

    send_invalid()
    assert AcceptedNegativeData.__name__ in fired, fired


@pytest.mark.parametrize(
    ("operation_id", "path", "body", "expected"),
    [
        # putFault documents no refusal of valid data: positive_data_acceptance fires
        (
            "putFault",
            "/tenants/{tenant}/faults/{operationId}",
            {"status": 503},
            RejectedPositiveData,
        ),
        # putClock documents INVALID_INPUT only: a refusal with another code fails
        ("putClock", "/tenants/{tenant}/clock", {"now": "2026-01-01T00:00:00Z"}, AssertionError),
    ],
)
def test_a_valid_request_refused_without_a_documented_reason_fails_the_run(
    operation_id: str, path: str, body: dict[str, Any], expected: type[BaseException]
) -> None:
    class Undocumented(ApiError):
        code = "NOT_DOCUMENTED"

    def refuses(real: Handler) -> Handler:
        def handler(ctx: Context) -> Any:
            raise Undocumented("refused for no documented reason")

        return handler

    app = broken_app(operation_id, refuses)
    schema = _support.load(app, "sandbox.yaml", counted=False)
    operation = schema[path]["PUT"]
    fired: list[BaseException] = []

    @hypothesis.given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @hypothesis.settings(max_examples=5, database=None, deadline=None, derandomize=True)
    def send_valid(case: Case) -> None:
        given = {"tenant": TENANT, "operationId": "sendMessage"}
        case.path_parameters = {k: v for k, v in given.items() if f"{{{k}}}" in path}
        case.body = body
        try:
            _support.call_and_check("canary", case)
        except BaseException as error:
            fired.extend(failures_of(error))

    send_valid()
    assert any(type(f) is expected or isinstance(f, expected) for f in fired), fired
    if expected is AssertionError:
        assert any("NOT_DOCUMENTED" in str(f) for f in fired), fired


def test_the_report_tells_refusals_by_validation_from_refusals_by_a_handler() -> None:
    app = broken_app("getClock", lambda real: real)
    before = _support.HANDLER_CALLS.calls
    invalid = explicit(app, "/tenants/{tenant}/clock", "PUT", body={"now": 5})
    assert _support.send("canary", invalid).status_code == 400
    assert _support.HANDLER_CALLS.calls == before  # refused by validation
    out_of_range = explicit(
        app, "/tenants/{tenant}/clock", "PUT", body={"now": "9999-01-01T00:00:00Z"}
    )
    assert _support.send("canary", out_of_range).status_code == 400
    assert _support.HANDLER_CALLS.calls == before + 1  # refused by the handler


def test_a_refusal_outside_the_vendor_envelope_fails_the_run() -> None:
    def refuses_in_another_envelope(real: Handler) -> Handler:
        return lambda ctx: Reply({"message": "no"}, status=400)

    app = broken_app("getClock", refuses_in_another_envelope)
    case = explicit(app, "/tenants/{tenant}/clock", "GET")
    with pytest.raises(BaseException) as raised:
        _support.call_and_check("canary", case)
    assert any("not in the sandbox envelope" in str(f) for f in failures_of(raised.value))


def test_a_handler_that_raises_fails_the_run() -> None:
    def raises(real: Handler) -> Handler:
        def handler(ctx: Context) -> Any:
            raise RuntimeError("a bug")

        return handler

    app = broken_app("getClock", raises)
    case = explicit(app, "/tenants/{tenant}/clock", "GET")
    with pytest.raises(BaseException) as raised:
        _support.call_and_check("canary", case)
    fired = [type(f).__name__ for f in failures_of(raised.value)]
    assert "ServerError" in fired, fired  # not_a_server_error


def test_the_9999_bug_fails_the_fuzz_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 23's Symplify bug, put back: a block's end computed through a datetime, which
    overflows past 9999-12-31 (PUT tempblock answered 500). Fuzzing the block with the
    suite's boundary values (contracts/strategies.py) finds it; with the fix, it passes."""
    assert _fuzz_the_block() == []

    def end_by_datetime(until: str) -> int:  # the code before the fix
        start = datetime.combine(contacts.day(until), datetime.min.time(), UTC)
        return epoch_ms(start + timedelta(days=1)) - 1

    monkeypatch.setattr(contacts, "block_end_ms", end_by_datetime)
    monkeypatch.setattr(tempblock, "block_end_ms", end_by_datetime)
    fired = _fuzz_the_block()
    assert "ServerError" in fired, fired  # not_a_server_error: PUT answered 500


def _fuzz_the_block() -> list[str]:
    """The failures of 50 generated valid blocks of the fixture's contact (as the suite's
    Symplify run aims them), by name."""
    app = _support.new_app()
    credentials = _support.put_tenant(app, TENANT)["symplify"]
    schema = _support.load(app, "symplify.yaml", counted=False)
    operation = schema["/{customerid}/lists/contacts/tempblock"]["PUT"]
    account = _support.FIXTURE["symplify"]["accounts"][0]
    contact = account["lists"][0]["contacts"][0]
    fired: list[str] = []

    @hypothesis.given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @hypothesis.settings(max_examples=50, database=None, deadline=None, derandomize=True)
    def send_valid(case: Case) -> None:
        case.path_parameters = {"customerid": str(account["customer_id"])}
        case.headers = {
            **(case.headers or {}),
            "X-Carma-Authentication-Token": credentials["value"],
        }
        case.body = {
            **case.body,
            "findBy": "ORIGINALID",
            "listId": str(account["lists"][0]["id"]),
            "searchValue": contact["original_id"],
        }
        try:
            _support.call_and_check("canary", case)
        except BaseException as error:
            fired.extend(type(f).__name__ for f in failures_of(error))

    send_valid()
    return fired
