"""How the tenant directories beside this file were written: by the sandbox of an earlier
release, in its own storage format, each under the commit that wrote it. From the
repository's root, for a commit C:

    mkdir /tmp/old && git archive C | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old .venv/bin/python tests/data/tenants/make.py tests/data/tenants/C

The tenant `national` holds a blocked Capillary customer whose mobile the fixture wrote as a
national number (`09353491050`), which releases before issue 23 stored as its digits.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from sandbox.testing import in_process

NATIONAL = {
    "capillary": {
        "status_labels": [{"name": "Off", "block_communications": True}],
        "customers": [{"id": 1, "mobile": "09353491050", "status_label": "Off"}],
    }
}


def main(target: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        with in_process(data_dir=Path(scratch)) as sandbox:
            sandbox.create_tenant(NATIONAL, name="national")
        shutil.copytree(Path(scratch) / "tenants" / "national", target / "national")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
