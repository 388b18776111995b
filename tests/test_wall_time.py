"""Time comes from the tenant's clock: only sandbox/clock.py reads the wall clock, so freezing
or advancing a tenant's clock moves everything that depends on time (OTP expiry, tokens,
temporary blocks, interaction times, Messangi's meta.timestamp)."""

from __future__ import annotations

import re
from pathlib import Path

import sandbox

WALL_TIME = re.compile(
    r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|time\.time\(|time\.time_ns\(|"
    r"time\.localtime\(|time\.gmtime\("
)
# wall_now() itself is the clock module's; these use it where no tenant exists yet
WALL_NOW_USERS = {
    "sandbox/http.py": "a request before it reached a tenant",
    "sandbox/control/tenants.py": "the moment a tenant is created from its fixture",
    "sandbox/vendors/messangi/envelope.py": "the timestamp of an error before authentication",
}


def test_only_the_clock_module_reads_wall_time() -> None:
    root = Path(sandbox.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        name = f"sandbox/{path.relative_to(root)}"
        text = path.read_text()
        found = WALL_TIME.search(text)
        if name != "sandbox/clock.py" and found is not None:
            offenders.append(f"{name}: {found.group(0)}")
        if "wall_now" in text and name not in {"sandbox/clock.py", *WALL_NOW_USERS}:
            offenders.append(f"{name}: wall_now")
    assert offenders == []
