"""Runs the fenced examples of the project's Markdown documents, checking the output each
shows (issue 23, item 9). docs/testing.md ("Documents that run") states the rules; in short:

- `sh`/`bash`/`shell` fences run in bash (`-e -o pipefail`, curl made to fail on an HTTP
  error the document does not show) against a fresh server per document, in document
  order, the documents' `127.0.0.1:8000` rewritten to that server. A `json` fence right
  after one shows what its last command prints; a `# {...}` comment on a line of its own
  shows what the commands before it print (their last JSON value). `console` fences run
  each `$ ` command and compare what it prints with the lines under it.
- `python` fences that define `test_` functions run with pytest as a file of their own in a
  temporary project (tests/doc_project/: the `my_app` they test, `fixtures/shop.yaml`);
  other Python runs as a script with `SANDBOX_URL` set.
- A `yaml` fence whose keys are all sections of a fixture document (`Fixture` in
  openapi/sandbox.yaml) is one: it must create a tenant (201) on the document's server.
- Other `json`, `yaml`, `toml`, `text` and `gherkin` fences are data. Any other fence, or one with
  no language, stops the run unless `<!-- not run: REASON -->` stands right before it.

Shown JSON is compared by structure: an object shows the keys that matter (others may be
present), a list shows all its items unless `...` stands for some, `...` alone stands for
any value and inside a string for any text, and a time written as an ISO 8601 UTC instant
stands for any such instant. Shown text is compared line by line, trailing spaces and
times alike, `...` alone on a line standing for any lines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Collection, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from live_server import server
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
PROJECT = Path(__file__).resolve().parent / "doc_project"
SHELL = frozenset({"sh", "bash", "shell"})
PYTHON = frozenset({"python", "py"})
DATA = frozenset({"json", "yaml", "toml", "text", "gherkin"})
NOT_RUN = re.compile(r"<!--\s*not run:(?P<reason>.*?)-->\s*\Z", re.DOTALL)
DOC_ADDRESS = re.compile(r"\b(127\.0\.0\.1|localhost):8000\b")
OUTPUT_COMMENT = re.compile(r"^[ \t]*#[ \t]?(?P<json>[\[{].*)$")
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
TIMEOUT = 60
# curl answers 0 on an HTTP error unless asked: an example answered 4xx or 5xx is a broken
# one, unless its document shows that answer (the shown answer is then checked instead)
PRELUDE = 'curl() { command curl --fail-with-body "$@"; }\n'
CURL_HTTP_ERROR = 22

Kind = Literal["shell", "console", "python", "fixture"]


class DocumentError(AssertionError):
    """A document the runner cannot read: a fence it cannot classify, a bad directive."""


class ExampleFailed(AssertionError):
    """An example that did not run, or printed other than what its document shows."""


@dataclass(frozen=True)
class Example:
    path: Path
    where: str  # the document and the line of the opening fence: `README.md:92`
    kind: Kind
    source: str
    shown: str | None  # the output its document shows in a json fence right after it
    not_run: str | None  # the reason its document gives for not running it

    @property
    def line(self) -> int:
        return int(self.where.rsplit(":", 1)[1])


def documents(root: Path = ROOT) -> list[Path]:
    """Every Markdown file of the checkout that git does not ignore, tracked or new (a tool's
    copy of the tree, such as mutmut's `mutants/`, is ignored); without git, every one
    outside hidden directories."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.md"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        listed = [str(path.relative_to(root)) for path in root.rglob("*.md")]
        listed = [name for name in listed if not any(p.startswith(".") for p in Path(name).parts)]
    return sorted(root / name for name in set(listed) if name and (root / name).is_file())


def examples(path: Path) -> list[Example]:
    """The document's examples in order; a fence the runner cannot classify is an error."""
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    found: list[Example] = []
    reason: str | None = None
    shown_at = -1  # the index of a json fence that shows the output of the example before it
    for index, token in enumerate(tokens):
        where = f"{_name(path)}:{token.map[0] + 1 if token.map else 0}"
        if reason is not None and token.type != "fence":
            raise DocumentError(f"{where}: a `not run` comment must stand right before a fence")
        if token.type == "html_block" and (directive := NOT_RUN.match(token.content.strip())):
            reason = directive["reason"].strip()
            if not reason:
                raise DocumentError(f"{where}: `not run` needs its reason")
        elif token.type == "code_block":
            raise DocumentError(f"{where}: an indented code block: fence it with a language")
        elif token.type == "fence" and index != shown_at:
            language = token.info.split()[0].lower() if token.info.strip() else ""
            kind = _kind(language, token.content)
            if kind is None and reason is None:
                if language not in DATA:
                    raise DocumentError(
                        f"{where}: a fence of language {language or '(none)'!r} is neither an "
                        "example (sh, bash, console, python) nor data (json, yaml, toml, text, "
                        "gherkin); name its language, or say why it does not run: "
                        "<!-- not run: REASON -->"
                    )
                continue
            shown = _json_after(tokens, index) if kind in {"shell", "console"} else None
            shown_at = index + 1 if shown is not None else shown_at
            # a fence marked not run is never run: its kind is only a label
            found.append(Example(path, where, kind or "shell", token.content, shown, reason))
            reason = None
    if reason is not None:
        raise DocumentError(f"{_name(path)}: a `not run` comment at the end stands before no fence")
    return found


def _json_after(tokens: list[Any], index: int) -> str | None:
    """A json fence right after the example, nothing between: the output it shows."""
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    if following is None or following.type != "fence":
        return None
    return str(following.content) if following.info.strip().lower() == "json" else None


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _kind(language: str, source: str) -> Kind | None:
    if language in SHELL:
        return "shell"
    if language == "console":
        return "console"
    if language in PYTHON:
        return "python"
    if language == "yaml" and _is_fixture(source):
        return "fixture"
    return None


def _is_fixture(source: str) -> bool:
    try:
        document = yaml.safe_load(source)
    except yaml.YAMLError:
        return False
    return isinstance(document, dict) and bool(document) and set(document) <= fixture_sections()


@cache
def fixture_sections() -> frozenset[str]:
    spec = yaml.safe_load((ROOT / "openapi" / "sandbox.yaml").read_text(encoding="utf-8"))
    return frozenset(spec["components"]["schemas"]["Fixture"]["properties"])


# --- shown output -------------------------------------------------------------------------

ELIDED = "\x00..."  # what a bare `...` in shown JSON becomes while it is parsed


def parse_shown(text: str) -> Any:
    """Shown JSON with its elisions: `...` as a value, an array item or an object member."""
    out: list[str] = []
    stack: list[str] = []
    key_next = False
    i = 0
    in_string = False
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(text[i + 1])
                i += 1
            elif char == '"':
                in_string = False
        elif text.startswith("...", i):
            member = bool(stack) and stack[-1] == "{" and key_next
            out.append('"\\u0000...": null' if member else '"\\u0000..."')
            i += 2
        else:
            out.append(char)
            if char == '"':
                in_string = True
            elif char in "{[":
                stack.append(char)
                key_next = char == "{"
            elif char in "}]":
                stack.pop()
            elif char == ",":
                key_next = bool(stack) and stack[-1] == "{"
            elif char == ":":
                key_next = False
        i += 1
    try:
        return json.loads("".join(out))
    except json.JSONDecodeError as error:
        raise DocumentError(f"the shown output is not JSON (with `...`): {error}") from None


def mismatches(shown: Any, actual: Any, where: str = "$") -> list[str]:
    """Where `actual` differs from what the document shows, as `path: why` lines."""
    if shown == ELIDED:
        return []
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{where}: shown an object, got {_brief(actual)}"]
        found = []
        for key, value in shown.items():
            if key == ELIDED:
                continue
            if key not in actual:
                found.append(f"{where}.{key}: shown, but missing (keys: {sorted(actual)})")
            else:
                found += mismatches(value, actual[key], f"{where}.{key}")
        return found
    if isinstance(shown, list):
        return _list_mismatches(shown, actual, where)
    if isinstance(shown, str) and isinstance(actual, str) and text_matches(shown, actual):
        return []
    if type(shown) is type(actual) and shown == actual:
        return []
    return [f"{where}: shown {_brief(shown)}, got {_brief(actual)}"]


def _list_mismatches(shown: list[Any], actual: Any, where: str) -> list[str]:
    if not isinstance(actual, list):
        return [f"{where}: shown a list, got {_brief(actual)}"]
    if ELIDED not in shown:
        if len(shown) != len(actual):
            return [f"{where}: shown {len(shown)} items, got {len(actual)}: {_brief(actual)}"]
        pairs = list(zip(shown, actual, strict=True))
        indexes = list(range(len(shown)))
    else:
        cut = shown.index(ELIDED)
        head, tail = shown[:cut], shown[cut + 1 :]
        if ELIDED in tail:
            raise DocumentError(f"{where}: at most one `...` among a list's items")
        if len(actual) < len(head) + len(tail):
            return [f"{where}: shown at least {len(head) + len(tail)} items, got {len(actual)}"]
        rest = len(actual) - len(tail)
        pairs = list(zip(head, actual, strict=False)) + list(zip(tail, actual[rest:], strict=True))
        indexes = list(range(len(head))) + list(range(rest, len(actual)))
    found = []
    for index, (item, got) in zip(indexes, pairs, strict=True):
        found += mismatches(item, got, f"{where}[{index}]")
    return found


def text_matches(shown: str, actual: str) -> bool:
    """A shown string or line: `...` any text, an ISO 8601 UTC instant any instant."""
    pattern, at = [], 0
    for instant in INSTANT.finditer(shown):
        pattern += [_literal(shown[at : instant.start()]), INSTANT.pattern]
        at = instant.end()
    pattern.append(_literal(shown[at:]))
    return re.fullmatch("".join(pattern), actual, re.DOTALL) is not None


def _literal(text: str) -> str:
    return ".*".join(re.escape(part) for part in text.split("..."))


def _brief(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 300 else text[:300] + "..."


def json_values(text: str) -> list[Any]:
    """The JSON values a command printed one after another (curl adds no newline)."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return values
        value, at = decoder.raw_decode(text, at)
        values.append(value)


def lines_match(shown: list[str], actual: list[str]) -> bool:
    """Shown lines against printed ones: `...` alone on a line stands for any lines."""
    if not shown:
        return not actual
    if shown[0].strip() == "...":
        return any(lines_match(shown[1:], actual[at:]) for at in range(len(actual) + 1))
    return bool(actual) and text_matches(shown[0], actual[0]) and lines_match(shown[1:], actual[1:])


# --- running ------------------------------------------------------------------------------


@dataclass
class Outcome:
    example: Example
    result: Literal["ran", "not run"]
    detail: str


class Runner:
    """Runs one document's examples in order; a server is started at its first shell example
    and serves the rest of the document."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._base: str | None = None
        self._work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="docs-")))

    def run_document(self, path: Path) -> list[Outcome]:
        outcomes = []
        for example in examples(path):
            if example.not_run is not None:
                outcomes.append(Outcome(example, "not run", example.not_run))
                continue
            self.run(example)
            outcomes.append(Outcome(example, "ran", ""))
        return outcomes

    def run(self, example: Example) -> None:
        if example.kind == "python":
            self._python(example)
        elif example.kind == "fixture":
            self._fixture(example)
        elif example.kind == "console":
            self._console(example)
        else:
            self._shell(example)

    @property
    def base(self) -> str:
        if self._base is None:
            data = self._work / "data"
            _, client = self._stack.enter_context(
                server(data, command=[str(Path(sys.executable).parent / "comms-sandbox")])
            )
            self._base = str(client.base_url).rstrip("/")
        return self._base

    def _env(self, *, served: bool = True) -> dict[str, str]:
        """The environment of a child: the installed package's commands first on PATH, and
        `SANDBOX_URL` naming the document's server (a pytest example runs in-process)."""
        keep = {k: v for k, v in os.environ.items() if k not in {"SANDBOX_URL", "PYTHONPATH"}}
        keep["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{keep.get('PATH', '')}"
        keep["PYTHONDONTWRITEBYTECODE"] = "1"
        return keep | {"SANDBOX_URL": self.base} if served else keep

    def _here(self, text: str) -> str:
        """The documents' address, `127.0.0.1:8000`, made the document's server's."""
        port = self.base.rsplit(":", 1)[1]
        return DOC_ADDRESS.sub(lambda address: f"{address[1]}:{port}", text)

    def _sh(self, example: Example, script: str, *, answer_shown: bool = False) -> str:
        """Runs a piece of the example in bash from the checkout; what it printed."""
        bash = ["bash", "-e", "-o", "pipefail", "-c", PRELUDE + self._here(script)]
        codes = {0, CURL_HTTP_ERROR} if answer_shown else {0}
        return _child(example, bash, cwd=ROOT, env=self._env(), codes=codes)

    def _shell(self, example: Example) -> None:
        for script, shown in shell_steps(example):
            printed = self._sh(example, script, answer_shown=shown is not None)
            if shown is not None:
                check_json(example, script, shown, printed)

    def _console(self, example: Example) -> None:
        steps = list(console_steps(example))
        command, printed = "", ""
        for step, (command, shown) in enumerate(steps, 1):
            json_shown = shown[0].lstrip().startswith(("{", "[")) if shown else False
            last_shown = step == len(steps) and example.shown is not None
            printed = self._sh(example, command, answer_shown=json_shown or last_shown)
            if json_shown:
                check_json(example, command, "\n".join(shown), printed)
                continue
            got = printed.rstrip("\n").split("\n") if printed.strip() else []
            if shown and not lines_match([s.rstrip() for s in shown], [g.rstrip() for g in got]):
                raise ExampleFailed(
                    f"{example.where}: `{command.strip()}` printed\n{printed}\n"
                    "where the document shows\n" + "\n".join(shown)
                )
        if example.shown is not None:  # a json fence after it: the last command's output
            check_json(example, command, example.shown, printed)

    def _fixture(self, example: Example) -> None:
        """The document loads as a tenant of its own, then is gone again."""
        tenant = f"{self.base}/_sandbox/tenants/doc-fixture-{example.line}"
        headers = {"Content-Type": "application/yaml"}
        answer = httpx.put(tenant, content=example.source.encode(), headers=headers, timeout=30)
        if answer.status_code != 201:
            raise ExampleFailed(
                f"{example.where}: the fixture does not load: {answer.status_code} {answer.text}"
            )
        httpx.delete(tenant, timeout=30).raise_for_status()

    def _python(self, example: Example) -> None:
        folder = self._work / f"python-{example.line}"
        shutil.copytree(PROJECT, folder)
        if re.search(r"^\s*(async\s+)?def test_", example.source, re.MULTILINE):
            module = folder / f"test_doc_{example.line}.py"
            module.write_text(example.source, encoding="utf-8")
            # only the plugin, as where nothing but comms-sandbox[testing] is installed
            pytest = [sys.executable, "-m", "pytest", "-q", "-p", "sandbox.testing.plugin"]
            env = self._env(served=False) | {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
            _child(example, [*pytest, module.name], cwd=folder, env=env)
        else:
            module = folder / f"doc_{example.line}.py"
            module.write_text(self._here(example.source), encoding="utf-8")
            _child(example, [sys.executable, module.name], cwd=folder, env=self._env())


def _child(
    example: Example,
    command: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    codes: Collection[int] = (0,),
) -> str:
    """Runs a command of the example; what it printed, or the failure with what it said."""
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise ExampleFailed(f"{example.where}: still running after {TIMEOUT} s") from None
    if done.returncode not in codes:
        raise ExampleFailed(
            f"{example.where}: exit code {done.returncode} from\n{command[-1].strip()}\n"
            f"stdout: {done.stdout[-4000:]}\nstderr: {done.stderr[-2000:]}"
        )
    return done.stdout


def check_json(example: Example, script: str, shown: str, printed: str) -> None:
    try:
        expected = parse_shown(shown)
    except DocumentError as error:
        raise DocumentError(f"{example.where}: {error}") from None
    try:
        values = json_values(printed)
    except json.JSONDecodeError:
        values = []
    if not values:
        raise ExampleFailed(
            f"{example.where}: the document shows JSON, the commands printed\n{printed}"
        )
    found = mismatches(expected, values[-1])
    if found:
        raise ExampleFailed(
            f"{example.where}: what\n{script.strip()}\nprinted differs from what the "
            "document shows:\n" + "\n".join(found)
        )


def shell_steps(example: Example) -> Iterator[tuple[str, str | None]]:
    """The example cut at each `# {...}` line: (script, the JSON shown after it)."""
    lines = example.source.splitlines(keepends=True)
    script: list[str] = []
    i = 0
    while i < len(lines):
        output = OUTPUT_COMMENT.match(lines[i])
        if output is None:
            script.append(lines[i])
            i += 1
            continue
        shown = output["json"]
        i += 1
        while i < len(lines) and lines[i].lstrip().startswith("#"):  # JSON over more lines
            shown += "\n" + lines[i].lstrip()[1:]
            i += 1
        yield "".join(script), shown
        script = []
    if "".join(script).strip():
        yield "".join(script), example.shown
    elif example.shown is not None:
        raise DocumentError(f"{example.where}: a json fence follows no command")


def console_steps(example: Example) -> Iterator[tuple[str, list[str]]]:
    """Each `$ ` command (with its `\\` continuation lines) and the lines shown under it."""
    command: list[str] = []
    shown: list[str] = []
    continued = False
    for line in example.source.splitlines():
        if continued:
            command.append(line)
            continued = line.endswith("\\")
        elif line.startswith("$ "):
            if command:
                yield "\n".join(command), shown
            command, shown = [line[2:]], []
            continued = line.endswith("\\")
        elif command:
            shown.append(line)
        elif line.strip():
            raise DocumentError(f"{example.where}: a console example starts with `$ `")
    if command:
        yield "\n".join(command), shown
