"""What a blocklist entry added through the API holds, as the tenant's snapshot reads it back:
where it came from (API, not FIXTURE, as Messangi's UI shows it) and the serial its id and the
tenant's sequence carry on from the fixture's. (Each of these let a mutant of the code live.)"""

from __future__ import annotations

from typing import Any

from .helpers import FREE, OTHER_SENDER, Msg, entry


def snapshot(msg: Msg) -> dict[str, Any]:
    response = msg.http.get(f"{msg.tenant.control}/snapshot")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_an_api_entry_is_numbered_after_the_fixtures_and_says_where_it_came_from(
    msg: Msg,
) -> None:
    msg.tenant.set_clock(now="2026-11-23T10:00:00Z", frozen=True)
    added = msg.add(entry(FREE, OTHER_SENDER))
    assert added.status_code == 200, added.text
    seconds = 1_795_428_000  # 2026-11-23T10:00:00Z
    # the fixture's two entries are serials 1 and 2
    assert added.json()["data"]["id"] == f"{seconds:08x}{3:016x}"
    document = snapshot(msg)
    [mine] = [e for e in document["messangi"]["blocklist"] if e["to"] == FREE]
    assert (mine["id"], mine["source"], mine["from"]) == (
        added.json()["data"]["id"],
        "API",
        OTHER_SENDER,
    )
    assert {e["source"] for e in document["messangi"]["blocklist"] if e["to"] != FREE} == {
        "FIXTURE"
    }
    assert document["sequences"]["messangi_subscriber"] == 3
