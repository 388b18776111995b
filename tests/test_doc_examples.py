"""Every fenced example of the project's documents runs and prints what its document shows
(tests/doc_examples.py has the rules); and the runner fails where it should: documents made
wrong on purpose in a temporary directory."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from doc_examples import (
    ROOT,
    DocumentError,
    ExampleFailed,
    Outcome,
    Runner,
    documents,
    examples,
    lines_match,
    mismatches,
    parse_shown,
)

DOCUMENTS = documents()
OUTBOX = "curl -s 'http://127.0.0.1:8000/_sandbox/tenants/demo/outbox?limit=1'"
SEND = (
    "curl -s -u demo_till:demo-password "
    "'http://127.0.0.1:8000/capillary/v2/communications/sendMessage?channel=sms' "
    """-d '{"sms": [{"to": "919353491050", "body": "Hi"}]}'"""
)


def run_document(path: Path) -> list[Outcome]:
    """As `make docs-check` runs a document: a runner (and a server) of its own."""
    with ExitStack() as stack:
        return Runner(stack).run_document(path)


def run(tmp_path: Path, text: str) -> list[Outcome]:
    document = tmp_path / "doc.md"
    document.write_text(text, encoding="utf-8")
    return run_document(document)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_example_runs_and_prints_what_its_document_shows(path: Path) -> None:
    run_document(path)


def test_the_documents_are_the_checkouts_markdown() -> None:
    names = {str(path.relative_to(ROOT)) for path in DOCUMENTS}
    assert {"README.md", "docs/guide.md", "docs/testing.md", "bench/README.md"} <= names
    assert not any(name.startswith((".venv", "build/")) for name in names)


def test_symplify_pages_import_leaves_the_contact_the_readme_blocks(tmp_path: Path) -> None:
    """A reader who tries docs/vendors/symplify.md's import on the demo tenant can still run
    the README's temporary block, which finds contact 111 by her e-mail address."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("The demo tenant's Symplify") : readme.index("An integrator")]
    (tmp_path / "readme.md").write_text(block, encoding="utf-8")
    with ExitStack() as stack:
        runner = Runner(stack)
        runner.run_document(ROOT / "docs" / "vendors" / "symplify.md")
        assert [o.result for o in runner.run_document(tmp_path / "readme.md")] == ["ran"]


def test_the_readme_quick_start_runs_rather_than_being_marked() -> None:
    readme = examples(ROOT / "README.md")
    ran = [example for example in readme if example.not_run is None]
    assert {"shell", "console", "python"} <= {example.kind for example in ran}
    assert any(example.shown for example in ran), "the outbox answer is checked"


# --- the canaries: documents wrong on purpose ---------------------------------------------


def test_a_wrong_shown_answer_fails_naming_the_line_and_the_value(tmp_path: Path) -> None:
    text = f"# Doc\n\n```sh\n{SEND} >/dev/null\n{OUTBOX}\n```\n\n"
    shown = '```json\n{{"items": [{{"status": "{}", ...}}], "total": 1}}\n```\n'
    assert [o.result for o in run(tmp_path, text + shown.format("SUPPRESSED"))] == ["ran"]
    with pytest.raises(
        ExampleFailed, match=r"(?s)doc\.md:3: .*\$\.items\[0\]\.status: shown 'DELIVERED'"
    ):
        run(tmp_path, text + shown.format("DELIVERED"))


def test_the_readme_quick_start_fails_when_its_shown_outbox_is_wrong(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme[readme.index("Send the same SMS") : readme.index("The customer's")]
    delivered = '"status": "DELIVERED", "reason": null'
    assert quick_start.count(delivered) == 1
    assert [o.result for o in run(tmp_path, quick_start)] == ["ran", "ran"]
    wrong = quick_start.replace(delivered, '"status": "SUPPRESSED", "reason": null')
    with pytest.raises(ExampleFailed, match=r"\$\.items\[0\]\.status: shown 'SUPPRESSED'"):
        run(tmp_path, wrong)


def test_a_wrong_answer_in_a_comment_fails(tmp_path: Path) -> None:
    text = f'```sh\n{OUTBOX}\n# {{"items": [], "total": TOTAL}}\n{OUTBOX}\n```\n'
    assert run(tmp_path, text.replace("TOTAL", "0"))[0].result == "ran"
    with pytest.raises(ExampleFailed, match=r"\$\.total: shown 3, got 0"):
        run(tmp_path, text.replace("TOTAL", "3"))


def test_an_error_answer_the_document_shows_is_checked_instead(tmp_path: Path) -> None:
    faults = "localhost:8000/_sandbox/tenants/nobody/faults/sendMessage"
    text = f"""```sh\ncurl -s -X PUT {faults} -d '{{"status": 503}}'\n```\n"""
    shown = '```json\n{"error": {"code": "NOT_FOUND", "field": "FIELD"}}\n```\n'
    assert run(tmp_path, text + shown.replace("FIELD", "tenant"))[0].result == "ran"
    with pytest.raises(ExampleFailed, match=r"\$\.error\.field: shown 'operationId'"):
        run(tmp_path, text + shown.replace("FIELD", "operationId"))


def test_a_shown_answer_that_is_not_json_is_named(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"doc\.md:1: the shown output is not JSON"):
        run(tmp_path, f"```sh\n{OUTBOX}\n# [optional] the outbox\n```\n")


def test_an_http_error_fails_the_example(tmp_path: Path) -> None:
    faults = "localhost:8000/_sandbox/tenants/nobody/faults/sendMessage"
    text = f"```sh\ncurl -s -X PUT {faults} -d '{{\"status\": 503}}'\n```\n"
    with pytest.raises(ExampleFailed, match=r"(?s)exit code 22 .*no tenant named 'nobody'"):
        run(tmp_path, text)


def test_console_output_is_compared_line_by_line(tmp_path: Path) -> None:
    assert run(tmp_path, "```console\n$ comms-sandbox tenants\ndemo\n```\n")
    with pytest.raises(ExampleFailed, match="printed\ndemo\n\nwhere the document shows\nshop"):
        run(tmp_path, "```console\n$ comms-sandbox tenants\nshop\n```\n")


def test_a_json_fence_after_a_console_example_shows_its_last_output(tmp_path: Path) -> None:
    text = "```console\n$ comms-sandbox tenants --json\n```\n```json\n[TENANT]\n```\n"
    assert run(tmp_path, text.replace("TENANT", '"demo"'))[0].result == "ran"
    with pytest.raises(ExampleFailed, match=r"\$\[0\]: shown 'shop', got 'demo'"):
        run(tmp_path, text.replace("TENANT", '"shop"'))


@pytest.mark.parametrize(
    ("shown", "printed", "matches"),
    [
        (["a", "...", "z"], ["a", "b", "c", "z"], True),
        (["a", "...", "z"], ["a", "z"], True),
        (["a", "...", "z"], ["a", "b"], False),
        (["2026-12-01T09:35:26.235Z  #1"], ["2031-01-01T00:00:00.001Z  #1"], True),
        (["2026-12-01T09:35:26.235Z  #1"], ["2031-01-01T00:00:00.001Z  #2"], False),
        (["a"], ["a", "b"], False),
    ],
)
def test_shown_lines_match_with_elided_lines_and_any_time(
    shown: list[str], printed: list[str], matches: bool
) -> None:
    assert lines_match(shown, printed) is matches


def test_a_failing_pytest_example_fails(tmp_path: Path) -> None:
    test = (
        "```python\nimport my_app\n\n"
        '@pytest.mark.comms_sandbox(fixture="fixtures/shop.yaml")\n'
        "def test_shipping(comms_sandbox):\n"
        '    my_app.send_shipping_sms("919353491050", base_url="https://eu.api.capillarytech.com",\n'
        "                             auth=comms_sandbox.tenant.capillary_auth())\n"
        '    comms_sandbox.tenant.assert_{}(to="919353491050")\n```\n'
    )
    passing = "import pytest\n" + test.format("suppressed").replace("```python\n", "")
    assert run(tmp_path, "```python\n" + passing)[0].result == "ran"
    with pytest.raises(ExampleFailed, match="NameError: name 'pytest' is not defined"):
        run(tmp_path, test.format("suppressed"))
    with pytest.raises(ExampleFailed, match="expected a delivered message"):
        run(tmp_path, "```python\n" + passing.replace("suppressed", "delivered"))


def test_a_fixture_that_does_not_load_fails(tmp_path: Path) -> None:
    fixture = '```yaml\ncapillary:\n  customers:\n    - {{{}: "919353491050"}}\n```\n'
    assert run(tmp_path, fixture.format("mobile"))[0].example.kind == "fixture"
    with pytest.raises(ExampleFailed, match=r"400 .*capillary\.customers\[0\]\.mobil"):
        run(tmp_path, fixture.format("mobil"))
    assert run(tmp_path, "```yaml\njobs: {}\n```\n") == []  # data, not a fixture


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("```\nls\n```\n", r"language '\(none\)' is neither an example"),
        ("```ruby\nputs 1\n```\n", "language 'ruby'"),
        ("    indented code\n", "an indented code block"),
        ("<!-- not run: -->\n```sh\nls\n```\n", "`not run` needs its reason"),
        ("<!-- not run: why -->\n\nprose\n\n```sh\nls\n```\n", "must stand right before a fence"),
        ("```sh\nls\n```\n<!-- not run: why -->\n", "stands before no fence"),
    ],
)
def test_a_fence_the_runner_cannot_classify_stops_it(text: str, error: str, tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError, match=error):
        examples(document)


def test_an_example_marked_not_run_is_reported_with_its_reason(tmp_path: Path) -> None:
    text = "<!-- not run: needs docker -->\n```sh\ndocker run x\n```\n"
    [outcome] = run(tmp_path, text)
    assert (outcome.result, outcome.detail) == ("not run", "needs docker")


# --- shown JSON against the answer -------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "actual"),
    [
        ('{"a": 1, ...}', {"a": 1, "b": 2}),
        ('{"a": 1}', {"a": 1, "b": 2}),  # an object shows the keys that matter
        ('{"decision": [...]}', {"decision": [1, 2]}),
        ('{"items": [{"id": "1"}, ...]}', {"items": [{"id": "1"}, {"id": "2"}]}),
        ('[..., {"id": "1"}]', [{"id": "3"}, {"id": "1"}]),
        ('{"id": "...", "value": "Bearer ..."}', {"id": "x", "value": "Bearer abc"}),
        ('{"at": "2026-12-01T09:35:26.235Z"}', {"at": "2031-01-02T03:04:05Z"}),
        ('{"a": ..., "b": "a, ... b"}', {"a": {"x": [1]}, "b": "a, ... b"}),
    ],
)
def test_shown_json_matches_with_the_documents_elisions(shown: str, actual: object) -> None:
    assert mismatches(parse_shown(shown), actual) == []


@pytest.mark.parametrize(
    ("shown", "actual", "why"),
    [
        ('{"a": 1}', {"b": 1}, "$.a: shown, but missing"),
        ('{"items": [1]}', {"items": [1, 2]}, "$.items: shown 1 items, got 2"),
        ('{"id": "1"}', {"id": 1}, "$.id: shown '1', got 1"),
        ('{"ok": 1}', {"ok": True}, "$.ok: shown 1, got true"),
        ('{"v": "Bearer ..."}', {"v": "Basic x"}, "$.v: shown 'Bearer ...'"),
        ('{"at": "2026-12-01T09:35:26Z"}', {"at": "yesterday"}, "$.at: shown"),
        ("[1, ...]", [], "$: shown at least 1 items, got 0"),
    ],
)
def test_shown_json_that_differs_is_named(shown: str, actual: object, why: str) -> None:
    assert any(line.startswith(why) for line in mismatches(parse_shown(shown), actual))
