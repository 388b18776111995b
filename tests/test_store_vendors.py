"""A data directory outlives the app's list of vendors and the names of its collections: a
vendor the app does not run keeps its data (dormant) through writes and compactions, and a
collection renamed since (Capillary's `requests`, now `change_requests`) still loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.catalog import Catalog
from sandbox.settings import Settings
from sandbox.store import Store
from sandbox.store.files import files_of
from sandbox.store.snapshot import read_snapshot
from sandbox.vendors import VENDORS, capillary

WITHOUT_CAPILLARY = [vendor for vendor in VENDORS if vendor is not capillary.VENDOR]
OTP = {"subject": "mobile:919000000002", "code": "123456", "expires_at": "2026-12-01T10:00:00Z"}


def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def open_store(settings: Settings) -> Store:
    """The store of the app's vendors' collections."""
    return Catalog.of(VENDORS).open_store(settings)


def seeded(tmp_path: Path) -> None:
    """A tenant with a Capillary customer in its snapshot and an OTP in its journal only
    (the OTPs' key is `subject`, not `id`)."""
    store = open_store(settings(tmp_path))
    store.put_tenant({"name": "t1"}, {"customers": [{"id": 1, "mobile": "919353491050"}]})
    tx = store.get("t1").begin()  # type: ignore[union-attr]
    tx.put("otps", OTP)
    tx.commit()
    store.close()


@pytest.mark.parametrize("compacted", [False, True], ids=["journal", "snapshot"])
def test_a_vendor_the_app_does_not_run_keeps_its_data(tmp_path: Path, compacted: bool) -> None:
    seeded(tmp_path)
    if compacted:  # the OTP moves from the journal into a snapshot first
        store = open_store(settings(tmp_path))
        store.get("t1").compact()  # type: ignore[union-attr]
        store.close()

    without = Catalog.of(WITHOUT_CAPILLARY).open_store(settings(tmp_path))
    data = without.get("t1")
    assert data is not None and "customers" not in data.collections
    tx = data.begin()
    tx.put("messages", {"id": "m1", "customer_id": "1"})
    tx.commit()
    data.compact()  # a snapshot written by an app without Capillary
    without.close()

    again = open_store(settings(tmp_path))
    restored = again.get("t1")
    assert restored is not None
    assert restored["customers"].by("mobile", "919353491050")["id"] == 1  # type: ignore[index]
    assert restored["otps"].get(OTP["subject"]) == OTP
    assert restored["messages"].get("m1") is not None
    again.close()


def test_a_dormant_collection_is_written_back_with_its_key(tmp_path: Path) -> None:
    seeded(tmp_path)
    without = Catalog.of(WITHOUT_CAPILLARY).open_store(settings(tmp_path))
    data = without.get("t1")
    assert data is not None
    data.compact()
    generation = files_of(data.backend).generation
    snapshot = read_snapshot(tmp_path / "tenants" / "t1" / f"snapshot.{generation}.json")
    without.close()
    assert snapshot["otps"] == [OTP]
    assert {"id": "otps", "key": "subject"} in snapshot["_keys"]


def test_a_collection_stored_under_its_former_name_loads(tmp_path: Path) -> None:
    seeded(tmp_path)
    store = open_store(settings(tmp_path))
    data = store.get("t1")
    assert data is not None
    journal = files_of(data.backend).journal
    assert journal is not None
    # what an earlier release journaled for a change request
    journal.append([["put", "requests", {"id": 7, "customer_id": "1", "status": "PENDING"}]])
    store.close()

    reopened = open_store(settings(tmp_path))
    data = reopened.get("t1")
    assert data is not None
    assert data["change_requests"].get(7) == {"id": 7, "customer_id": "1", "status": "PENDING"}
    assert [r["id"] for r in data["change_requests"].all_by("customer_id", "1")] == [7]
    data.compact()
    generation = files_of(data.backend).generation
    snapshot = read_snapshot(tmp_path / "tenants" / "t1" / f"snapshot.{generation}.json")
    reopened.close()
    assert "requests" not in snapshot and snapshot["change_requests"][0]["id"] == 7


# a store of one collection and one credential field, opened with no app: what it loaded
STORE_ALONE = """
import sys
from pathlib import Path

from sandbox.settings import Settings
from sandbox.store import CollectionSpec, Store

store = Store(Settings(data_dir=Path(sys.argv[1])), [CollectionSpec("pets")], ["pet_key"])
store.put_tenant({"name": "t1", "pet_key": "k1"}, {"pets": [{"id": 1}]})
assert store.find_by_credential("pet_key", "k1") is store.get("t1")
assert store.get("t1")["pets"].get(1) == {"id": 1}
print(" ".join(sorted(sys.modules)))
"""


def test_the_store_knows_collections_not_vendors(tmp_path: Path) -> None:
    """The store is given the collections it holds and the credential fields it indexes
    (`Store(settings, specs, credential_fields, listener)`): opening one, writing a tenant and
    finding it by a credential load no vendor, no vendor interface and no event bus."""
    ran = subprocess.run(
        [sys.executable, "-c", STORE_ALONE, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(ran.stdout.split())
    assert "sandbox.store.store" in loaded
    assert not loaded & {"sandbox.vendor", "sandbox.vendors", "sandbox.events", "sandbox.http"}
