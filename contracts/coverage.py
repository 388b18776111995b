"""Per vendor, which documented operations are implemented, fuzzed and exercised by scenarios.

    python -m contracts.coverage        # after `make test` (or `make coverage`, which runs it)

Implemented: the operation has a handler (the app refuses to start otherwise). Fuzzed: the
last contract run (.trace/fuzz.json) sent it requests, and how many were answered 2xx.
Scenarios: how many Gherkin scenarios of the last features run (.trace/scenarios.json)
called it, from each scenario's request log.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from sandbox import CONTROL_PREFIX, control
from sandbox.app import VENDORS

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / ".trace" / "fuzz.json"
SCENARIOS = ROOT / ".trace" / "scenarios.json"
DOCUMENTS = {vendor.name: vendor for vendor in (*VENDORS, control.VENDOR)}
PREFIXES = {**{name: name for name in DOCUMENTS}, control.VENDOR.name: CONTROL_PREFIX[1:]}
METHODS = ("get", "put", "post", "delete", "patch")


def operations(document: str) -> list[tuple[str, str, str, bool]]:
    """(operationId, method, path, assumed) of each operation of a document, in its order."""
    spec = yaml.safe_load((ROOT / "openapi" / f"{document}.yaml").read_text())
    return [
        (op["operationId"], method.upper(), path, bool(op.get("x-sandbox-assumed")))
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _load(path: Path) -> Any:
    if not path.exists():
        print(f"no {path.relative_to(ROOT)}: run `make test` first", file=sys.stderr)
        return None
    return json.loads(path.read_text())


def report(fuzz: dict[str, Any], scenarios: list[dict[str, Any]]) -> str:
    called: Counter[str] = Counter(op for row in scenarios for op in row["operations"])
    lines = []
    for document, vendor in DOCUMENTS.items():
        fuzzed = fuzz["per_operation"].get(document, {})
        control_plane = vendor is control.VENDOR  # scenarios' journals hold vendor calls only
        rows = []
        for operation_id, method, path, assumed in operations(document):
            counts = fuzzed.get(operation_id, {})
            in_scenarios = called[f"{vendor.name}:{operation_id}"]
            rows.append(
                (
                    operation_id + (" *" if assumed else ""),
                    f"{method} /{PREFIXES[document]}{path}",
                    "yes" if operation_id in vendor.handlers else "NO",
                    f"{counts.get('requests', 0)} ({counts.get('2xx', 0)} 2xx)",
                    "-" if control_plane else str(in_scenarios),
                )
            )
        implemented = sum(1 for r in rows if r[2] == "yes")
        with_fuzz = sum(1 for op, *_ in operations(document) if fuzzed.get(op, {}).get("2xx"))
        with_scenarios = sum(1 for r in rows if r[4] not in ("0", "-"))
        title = (
            f"{document}: {len(rows)} operations, {implemented} implemented, {with_fuzz} fuzzed "
            f"with a 2xx answer"
            + ("" if control_plane else f", {with_scenarios} called by scenarios")
        )
        header = ("operation (* assumed)", "method and path", "handler", "fuzzed", "scenarios")
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
        lines += ["", title]
        lines += [
            "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))
            for r in [header, *rows]
        ]
    lines.insert(
        0,
        f"last contract run: {fuzz['requests']} generated requests, {fuzz['server_errors']} "
        f"answered 5xx; last features run: {len(scenarios)} scenarios",
    )
    return "\n".join(lines)


def main() -> int:
    fuzz, scenarios = _load(FUZZ), _load(SCENARIOS)
    if fuzz is None or scenarios is None:
        return 2
    print(report(fuzz, scenarios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
