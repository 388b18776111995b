"""A customer's two logs read back (`GET /v2/customers/{userId}/statusLog`,
`.../subscriptionStatusChangeLog`): an id no customer has is the same documented 404 on both,
and each read answers the log's newest LOG_PAGE entries, oldest first, reading no more of the
log than that page however long the log is (issue 24: every read O(page) in stored data)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from sandbox.store.collection import Collection
from sandbox.testing import Sandbox
from sandbox.testing.example import EXAMPLE_FIXTURE
from sandbox.vendors.capillary.customer_logs import LOG_PAGE

from .helpers import ACTIVE, OPTED_OUT, UNKNOWN_ID, Cap

STATUS_LOG = "/v2/customers/{}/statusLog"
CHANGE_LOG = "/v2/customers/{}/subscriptionStatusChangeLog"


# --- an unknown customer ----------------------------------------------------------------------
@pytest.mark.parametrize("path", [STATUS_LOG, CHANGE_LOG], ids=["statusLog", "changeLog"])
def test_an_id_no_customer_has_is_the_documented_404_on_both_logs(cap: Cap, path: str) -> None:
    """get-status-log lists 404 "Specified customer ID doesn't exist"; the change log's page
    lists none, and answers as the status log does."""
    before = cap.snapshot()
    response = cap.get(path.format(UNKNOWN_ID))
    assert response.status_code == 404, response.text
    assert response.json() == {
        "errors": [
            {
                "status": False,
                "code": 404,
                "message": "Specified customer ID doesn't exist: "
                f"no customer has the userId {UNKNOWN_ID}",
            }
        ],
        "warnings": [],
    }
    assert cap.snapshot() == before


# --- a long log is read a page at a time ------------------------------------------------------
def _status_entry(number: int) -> dict[str, Any]:
    label = ("Suspended", "Active")[number % 2]
    return {
        "id": 566_100_000 + number,
        "customer_id": str(WHO["statusLog"]),
        "label": label,
        "status": label.upper(),
        "prevLabel": ("Active", "Suspended")[number % 2],
        "reason": f"change {number}",
        "createdOn": f"2026-01-01T{number // 3600:02d}:{number // 60 % 60:02d}:{number % 60:02d}Z",
        "createdByUser": "till",
    }


def _change_entry(number: int) -> dict[str, Any]:
    return {
        "id": 20_100_000 + number,
        "customer_id": str(WHO["changeLog"]),
        "channel": "EMAIL",
        "priority": "BULK",
        "status": number % 2 == 0,
        "previous": number % 2 == 1,
        "reason": f"change {number}",
        "addedOn": "2026-01-01T10:00:00Z",
    }


# whose log: ACTIVE has a fixture label (its status log's first entry); OPTED_OUT declares
# three preferences (its change log's first entries)
WHO = {"statusLog": ACTIVE, "changeLog": OPTED_OUT}
LOGS = {
    "statusLog": ("status_log", STATUS_LOG, _status_entry),
    "changeLog": ("subscription_log", CHANGE_LOG, _change_entry),
}


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many documents each collection hands out through its index by customer; a walk of
    a whole collection fails the read."""
    handed: dict[str, int] = {}
    all_by, newest_by = Collection.all_by, Collection.newest_by

    def counting_all_by(self: Collection, index: str, value: Any) -> list[Any]:
        docs = all_by(self, index, value)
        handed[self.spec.name] = handed.get(self.spec.name, 0) + len(docs)
        return docs

    def counting_newest_by(self: Collection, index: str, value: Any) -> Iterator[Any]:
        for doc in newest_by(self, index, value):
            handed[self.spec.name] = handed.get(self.spec.name, 0) + 1
            yield doc

    def walked(self: Collection, *args: Any) -> Any:
        raise AssertionError(f"walked every document of {self.spec.name}")

    monkeypatch.setattr(Collection, "all_by", counting_all_by)
    monkeypatch.setattr(Collection, "newest_by", counting_newest_by)
    for name in ("values", "snapshot", "newest", "keys_by"):
        monkeypatch.setattr(Collection, name, walked)
    return handed


@contextmanager
def _declaring(sandbox: Sandbox, collection: str, entries: list[dict[str, Any]]) -> Iterator[Cap]:
    """A client of a tenant of the example fixture whose `capillary.<collection>` declares
    `entries`."""
    document = copy.deepcopy(EXAMPLE_FIXTURE)
    document["capillary"][collection] = entries
    tenant = sandbox.create_tenant(document)
    try:
        yield Cap(sandbox.http, tenant, tenant.capillary_auth())
    finally:
        tenant.delete()


def _read(sandbox: Sandbox, log: str, length: int, counted: dict[str, int]) -> list[Any]:
    """The customer's log of `length` entries as read, and how many documents of it the read
    was handed (counted[collection])."""
    collection, path, entry = LOGS[log]
    with _declaring(sandbox, collection, [entry(number) for number in range(length)]) as cap:
        counted.clear()
        response = cap.get(path.format(WHO[log]))
        assert response.status_code == 200, response.text
        data: list[Any] = response.json()["data"]
        return data


@pytest.mark.parametrize("log", LOGS)
def test_a_long_log_answers_its_newest_page_oldest_first(
    sandbox: Sandbox, log: str, counted: dict[str, int]
) -> None:
    data = _read(sandbox, log, 3 * LOG_PAGE, counted)
    assert [entry["reason"] for entry in data] == [
        f"change {number}" for number in range(2 * LOG_PAGE, 3 * LOG_PAGE)
    ]
    if log == "statusLog":  # the newest is the active one, and only it
        assert [entry["isActive"] for entry in data] == [False] * (LOG_PAGE - 1) + [True]


@pytest.mark.parametrize("log", LOGS)
def test_a_read_is_handed_no_more_of_the_log_than_its_page(
    sandbox: Sandbox, log: str, counted: dict[str, int]
) -> None:
    """The same documents read for a log of a page, of ten pages: the read does not depend
    on the log's length."""
    collection = LOGS[log][0]
    handed = []
    for length in (LOG_PAGE, 10 * LOG_PAGE):
        data = _read(sandbox, log, length, counted)
        assert len(data) == LOG_PAGE
        assert "fixture" not in {entry["reason"] for entry in data}  # older than the page
        handed.append(counted.get(collection, 0))
    assert handed == [LOG_PAGE, LOG_PAGE]


@pytest.mark.parametrize("log", LOGS)
def test_a_log_shorter_than_a_page_starts_with_what_the_fixture_declared(
    sandbox: Sandbox, log: str, counted: dict[str, int]
) -> None:
    """The fixture's label (status log) or declared preferences (change log) come first, as
    the entries older than any logged: the page is the newest LOG_PAGE of them all."""
    data = _read(sandbox, log, LOG_PAGE - 1, counted)
    assert len(data) == LOG_PAGE
    assert data[0]["reason"] == "fixture"
    assert [entry["reason"] for entry in data[1:]] == [
        f"change {number}" for number in range(LOG_PAGE - 1)
    ]


def test_a_declared_status_entry_with_only_its_required_fields_reads_back(
    sandbox: Sandbox,
) -> None:
    """prevLabel, reason and createdByUser are optional in a fixture's status log: an entry
    without them reads as strings, as Capillary's example types them (it was a 500)."""
    declared = {
        "id": 566_100_001,
        "customer_id": str(ACTIVE),
        "label": "Suspended",
        "status": "SUSPENDED",
        "createdOn": "2026-01-05T09:00:00Z",
    }
    with _declaring(sandbox, "status_log", [declared]) as cap:
        [entry] = cap.status_log(ACTIVE)  # what the fixture's label was is not known
        assert (entry["label"], entry["reason"], entry["createdByUser"]) == ("Suspended", "", "")
        assert "prevLabel" not in entry and entry["isActive"] is True
