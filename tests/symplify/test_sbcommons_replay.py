"""sbcommons' SymplifyClient (PyPI `sbcommons` 1.2.5, MIT: `sbcommons/crm/symplify/client.py`
and `sbcommons/crm/client.py`) against a live sandbox, with nothing changed but its base URL:
its import calls made as it makes them, over a `requests` session on a real socket.

What the client does, and this replica does the same way (research 7c):

- `_build_base_header`: the session's headers are `Accept: application/json` and
  `X-Carma-Authentication-Token`; URLs are `{BASE_URL}{customer_id}/{endpoint}` with BASE_URL
  `http://www.carmamail.com:80/rest/` (here the sandbox's `/symplify/`).
- `create_import`: `POST lists/{list_id}/imports` with `json={"delimiter": f"{ord(delimiter)}",
  "encoding": "UTF8", "type": import_type, "identityColumn": "originalId"}`; reads `["id"]`.
- `post_list_async`: `session.headers["Content-Type"] = "text/csv"`, then
  `POST lists/{list_id}/recipients/{import_id}` with `data=<bytes>`; reads `["batchId"]`.
- `check_batch_status`: `session.headers["Content-Type"] = "application/json"` (left on a GET
  with no body), `GET batches/{batch_id}`; reads `["status"]`.
- `post_list_sync`: polls `check_batch_status` until FINISHED or ERROR, sleeping `rate_limit`
  (60 s) between looks: a batch not finished at the first look costs a minute.
- `clean_list`: a REPLACE of the bytes `originalId`.
- `CrmClient._request`: any status but 200, 201 or 202 raises (after retrying a 429).
- `SymplifyParser.parse`: the header row of attribute names joined by the delimiter ('|' by
  default), then one row per record, joined by '\\n' with no newline after the last; a value has
  the delimiter removed, and None becomes ''.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from live_server import server

from sandbox.testing import Sandbox, Tenant

from .helpers import ACCOUNT, FIXTURE


class Rejected(Exception):
    """What CrmClient._request raises for an answer it does not accept."""


@dataclass
class SymplifyClientReplica:
    """SymplifyClient's import calls, as the client makes them (see the module docstring)."""

    base_url: str  # the client's BASE_URL: ".../rest/" for real, ".../symplify/" here
    token: str
    customer_id: str
    list_id: int
    delimiter: str = "|"
    session: requests.Session = field(default_factory=requests.Session)
    looks: int = 0  # check_batch_status calls: each after the first would cost 60 s

    def __post_init__(self) -> None:
        self.session.headers = requests.structures.CaseInsensitiveDict(  # type: ignore[assignment]
            {"Accept": "application/json", "X-Carma-Authentication-Token": self.token}
        )

    def _url(self, endpoint: str) -> str:
        return f"{self.base_url}{self.customer_id}/{endpoint}"

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, url, **kwargs)
        if response.status_code not in {200, 201, 202}:
            raise Rejected(f"{response.status_code}: {response.text}")
        return response

    def create_import(self, import_type: str = "ADD") -> Any:
        payload = {
            "delimiter": f"{ord(self.delimiter)}",
            "encoding": "UTF8",
            "type": import_type,
            "identityColumn": "originalId",
        }
        url = self._url(f"lists/{self.list_id}/imports")
        return self._request("POST", url, json=payload).json()["id"]

    def post_list_async(self, import_type: str, list_data: bytes) -> Any:
        import_id = self.create_import(import_type=import_type)
        url = self._url(f"lists/{self.list_id}/recipients/{import_id}")
        self.session.headers["Content-Type"] = "text/csv"
        return self._request("POST", url, data=list_data).json()["batchId"]

    def check_batch_status(self, batch_id: Any) -> Any:
        self.looks += 1
        self.session.headers["Content-Type"] = "application/json"
        return self._request("GET", self._url(f"batches/{batch_id}")).json()["status"]

    def post_list_sync(self, list_data: bytes, import_type: str = "ADD") -> bool:
        batch_id = self.post_list_async(import_type, list_data)
        status = self.check_batch_status(batch_id)
        while status not in {"FINISHED", "ERROR"}:
            if self.looks > 3:  # the real client sleeps 60 s here, every time
                raise AssertionError(f"the batch is still {status!r} after {self.looks} looks")
            status = self.check_batch_status(batch_id)
        return bool(status == "FINISHED")

    def clean_list(self) -> bool:
        return self.post_list_sync(b"originalId", import_type="REPLACE")


def parse(header: list[str], rows: list[list[Any]], delimiter: str = "|") -> bytes:
    """SymplifyParser.parse with every column a string (TranslationEntry STRING)."""

    def cell(value: Any) -> str:
        return "" if value is None else str(value).replace(delimiter, "")

    lines = [delimiter.join(header), *(delimiter.join(cell(v) for v in row) for row in rows)]
    return "\n".join(lines).encode("utf-8")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data: Path = tmp_path_factory.mktemp("sbcommons")
    with server(data) as (_, client):
        yield str(client.base_url).rstrip("/")


@pytest.fixture
def tenant(live: str) -> Iterator[Tenant]:
    with httpx.Client(base_url=live) as http:
        made = Sandbox(http).create_tenant(FIXTURE)
        yield made
        made.delete()


def client_for(live: str, tenant: Tenant, **options: Any) -> SymplifyClientReplica:
    token = tenant.symplify_auth()["X-Carma-Authentication-Token"]
    return SymplifyClientReplica(f"{live}/symplify/", token, ACCOUNT, 42, **options)


def contacts(live: str, tenant: Tenant) -> dict[str, dict[str, Any]]:
    page = requests.get(
        f"{live}/symplify/{ACCOUNT}/lists/42/contacts/all", headers=tenant.symplify_auth()
    )
    assert page.status_code == 200, page.text
    return {c["originalId"]: c for c in page.json()}


def test_post_list_sync_succeeds_at_the_first_look_and_the_contacts_land(
    live: str, tenant: Tenant
) -> None:
    client = client_for(live, tenant)
    data = parse(
        ["originalId", "emailAddress", "firstName", "signup_date"],
        [
            ["111", "gaga@example.org", "Lady|Gaga", "2020-01-01"],  # '|' removed by the parser
            ["801", "new@example.com", None, "2020-02-02"],
        ],
    )
    assert client.post_list_sync(data) is True
    assert client.looks == 1  # FINISHED at once: the real client would not sleep
    listed = contacts(live, tenant)
    assert listed["111"]["emailAddress"] == "gaga@example.org"
    assert listed["111"]["firstName"] == "LadyGaga"
    assert listed["801"]["properties"] == {"signup_date": "2020-02-02"}
    assert "firstName" not in listed["801"]
    assert set(listed) == {"111", "222", "333", "801"}


def test_a_file_of_bad_rows_only_is_a_failed_job_not_an_exception(
    live: str, tenant: Tenant
) -> None:
    client = client_for(live, tenant, delimiter=";")
    data = parse(["originalId", "emailAddress"], [["901", "not-an-address"]], delimiter=";")
    assert client.post_list_sync(data) is False  # ERROR: the client's "job failed"
    assert "901" not in contacts(live, tenant)


def test_clean_list_empties_the_list(live: str, tenant: Tenant) -> None:
    client = client_for(live, tenant)
    assert client.clean_list() is True
    assert contacts(live, tenant) == {}


def test_a_wrong_token_is_raised_as_the_client_raises_any_refusal(
    live: str, tenant: Tenant
) -> None:
    client = client_for(live, tenant)
    client.session.headers["X-Carma-Authentication-Token"] = "wrong"
    with pytest.raises(Rejected, match="401"):
        client.create_import()
