"""What a Symplify send is decided on, read back whole: each decision step (rule, outcome and
detail) of a list send and of a what-if, the list ids and blockUntil forms a block takes, and the
message's fields. (Each of these let a mutant of the code live.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.testing import Sandbox

from .helpers import ACCOUNT, ANN, GAGA, TEMPBLOCK, TOM, Sym, dto, error

NO_CUSTOMERS = [
    {
        "rule": "customer_status_block",
        "outcome": "not_applicable",
        "detail": "symplify has no customer status labels",
    },
    {
        "rule": "sender_blocklist",
        "outcome": "not_applicable",
        "detail": "symplify has no sender blocklist",
    },
]


def step(rule: str, outcome: str, detail: str) -> dict[str, str]:
    return {"rule": rule, "outcome": outcome, "detail": detail}


def sent(sym: Sym, list_id: int = 42) -> dict[str, dict[str, Any]]:
    """to -> the outbox message of each contact one list send reached."""
    response = sym.send(list_id)
    assert response.status_code == 200, response.text
    control = sym.tenant.control
    [request] = sym.http.get(f"{control}/requests", params={"limit": 1}).json()["items"]
    messages = [sym.http.get(f"{control}/outbox/{i}").json() for i in request["message_ids"]]
    return {m["to"]: m for m in messages}


def test_every_step_of_a_list_send_is_told(sym: Sym) -> None:
    assert sym.block(until="2020-02-01").status_code == 200  # Lady Gaga on list 42
    unsubscribed = sym.call("POST", f"/{ACCOUNT}/lists/42/contacts", _opted_out())
    assert unsubscribed.status_code < 300, unsubscribed.text
    messages = sent(sym)
    blocked, free, opted_out = messages[GAGA], messages[TOM], messages["opted.out@example.com"]
    assert (blocked["status"], blocked["reason"]) == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")
    assert blocked["decision"] == [
        *NO_CUSTOMERS,
        step(
            "contact_temp_block",
            "suppress",
            "contact is blocked until the end of 2020-02-01 (list 42)",
        ),
        step("subscription_opt_out", "pass", "contact has not opted out of EMAIL"),
    ]
    assert (free["status"], free["reason"]) == ("DELIVERED", None)
    assert free["decision"] == [
        *NO_CUSTOMERS,
        step("contact_temp_block", "pass", "contact has no temporary block"),
        step("subscription_opt_out", "pass", "contact has not opted out of EMAIL"),
    ]
    assert (opted_out["status"], opted_out["reason"]) == ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT")
    assert opted_out["decision"][2:] == [
        step("contact_temp_block", "pass", "contact has no temporary block"),
        step("subscription_opt_out", "suppress", "contact is unsubscribed: opted out of EMAIL"),
    ]
    # Symplify sends name no sender
    assert {m["from"] for m in messages.values()} == {None}


def _opted_out() -> dict[str, Any]:
    return {"originalId": "444", "emailAddress": "opted.out@example.com", "unsubscribed": True}


def test_a_block_on_every_list_names_its_scope_and_ends_with_its_day(sym: Sym) -> None:
    assert sym.block(list_id="-1", until="2020-01-15").status_code == 200
    assert sent(sym, 43)["Lady_Gaga@example.com"]["decision"][2] == step(
        "contact_temp_block",
        "suppress",
        "contact is blocked until the end of 2020-01-15 (all lists)",
    )
    sym.tenant.set_clock(now="2020-01-16T00:00:00Z", frozen=True)
    assert sent(sym, 43)["Lady_Gaga@example.com"]["decision"][2] == step(
        "contact_temp_block", "pass", "temporary block ended at 2020-01-16T00:00Z"
    )


def test_a_trigger_that_ignores_opt_outs_says_so(sym: Sym) -> None:
    changed = sym.call(
        "PUT", f"/{ACCOUNT}/lists/42/contacts/333/update", {"mobileUnsubscribed": True}
    )
    assert changed.status_code < 300, changed.text
    response = sym.call(
        "POST",
        f"/{ACCOUNT}/triggers/8/messages",
        {"originalId": "333", "properties": {"code": "123456"}},
    )
    assert response.status_code < 300, response.text
    [message] = sym.tenant.outbox()
    assert (message["to"], message["status"]) == (ANN, "DELIVERED")
    assert message["decision"][3] == step(
        "subscription_opt_out",
        "bypass",
        "the send ignores opt-outs (contact is mobileUnsubscribed)",
    )


def test_what_if_for_an_address_not_on_the_list(sym: Sym) -> None:
    response = sym.http.post(
        f"{sym.tenant.control}/explain",
        json={
            "vendor": "symplify",
            "channel": "EMAIL",
            "to": "nobody@example.com",
            "list_id": "1234/42",
        },
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["status"], answer["reason"]) == ("DELIVERED", None)
    assert answer["decision"] == [
        *NO_CUSTOMERS,
        step("contact_temp_block", "pass", "contact has no temporary block"),
        step("subscription_opt_out", "pass", "contact has not opted out of EMAIL"),
    ]


# --- list ids and days a block takes --------------------------------------------------------
@pytest.fixture
def first_list(sandbox: Sandbox) -> Iterator[Sym]:
    """An account whose list has the lowest id there is, 1."""
    tenant = sandbox.create_tenant(
        {
            "symplify": {
                "accounts": [
                    {
                        "customer_id": ACCOUNT,
                        "lists": [{"id": 1, "contacts": [{"original_id": "111", "email": GAGA}]}],
                    }
                ]
            }
        }
    )
    tenant.set_clock(now="2020-01-15T09:00:00Z", frozen=True)
    yield Sym(sandbox.http, tenant)
    tenant.delete()


def test_list_one_is_a_list_id(first_list: Sym) -> None:
    response = first_list.block(list_id="1")
    assert response.status_code == 200, response.text
    assert [c["blockedOn"] for c in response.json()["contacts"]] == ["list 1"]
    assert error(first_list.block(list_id="0"), 400) == "listId"


@pytest.mark.parametrize(
    "until",
    [
        "20200201",  # ISO 8601's basic form, which Python's date.fromisoformat takes
        "2020-W05-6",  # an ISO week date, the same
        "2020/02/01",
    ],
)
def test_block_until_takes_a_day_as_yyyy_mm_dd_only(sym: Sym, until: str) -> None:
    response = sym.call("PUT", TEMPBLOCK, dto(until=until))
    assert error(response, 400) == "blockUntil"
    # told the form it takes, not that the day does not exist
    assert until in response.json()["error"] and "YYYY-MM-DD" in response.json()["error"]
    assert sym.status().json()["blocked"] is False


@pytest.mark.parametrize("until", ["20200201", "2020-W05-6"])
def test_a_fixture_block_takes_a_day_as_yyyy_mm_dd_only(sandbox: Sandbox, until: str) -> None:
    document = {
        "symplify": {
            "accounts": [
                {
                    "customer_id": ACCOUNT,
                    "lists": [
                        {
                            "id": 42,
                            "contacts": [
                                {"original_id": "1", "email": GAGA, "temp_block": {"until": until}}
                            ],
                        }
                    ],
                }
            ]
        }
    }
    response = sandbox.http.put("/_sandbox/tenants/t-mutation-block-until", json=document)
    if response.status_code < 300:
        sandbox.http.delete("/_sandbox/tenants/t-mutation-block-until")
    assert response.status_code == 400, response.text
    assert "temp_block.until" in response.json()["error"]["field"]


def test_a_post_with_a_date_says_how_to_block(sym: Sym) -> None:
    response = sym.call("POST", TEMPBLOCK, dto(until="2020-03-01"))
    assert error(response, 400) == "blockUntil"
    assert response.json()["error"] == (
        "blockUntil: POST releases a block and takes an empty blockUntil; block with PUT"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"list_id": "-1", "value": "999"},
            "searchValue: no contact with originalId '999' on any list of account 1234",
        ),
        (
            {"find_by": "EMAILADRESS", "value": "nobody@example.com"},
            "searchValue: no contact with e-mail address 'nobody@example.com' on list 42 of "
            "account 1234",
        ),
    ],
)
def test_a_search_that_finds_nobody_says_what_it_looked_for(
    sym: Sym, fields: dict[str, Any], message: str
) -> None:
    response = sym.block(**fields)
    assert error(response, 404) == "searchValue"
    assert response.json()["error"] == message


@pytest.mark.parametrize("until", [..., ""], ids=["absent", "empty"])
def test_a_block_without_a_day_says_how_to_release_instead(sym: Sym, until: Any) -> None:
    response = sym.call("PUT", TEMPBLOCK, dto(until=until))
    assert error(response, 400) == "blockUntil"
    assert response.json()["error"] == (
        "blockUntil: a day (YYYY-MM-DD) is required to block; to release a block, POST the DTO "
        "with an empty blockUntil"
    )


def test_an_opt_out_outlasts_a_block(sym: Sym) -> None:
    """A contact both blocked and opted out: the block suppresses while it lasts, the opt-out
    after it ends."""
    assert sym.block(until="2020-01-15").status_code == 200
    changed = sym.call("PUT", f"/{ACCOUNT}/lists/42/contacts/111/update", {"unsubscribed": True})
    assert changed.status_code == 200, changed.text
    blocked = sent(sym)[GAGA]
    assert (blocked["reason"], blocked["decision"][3]) == (
        "CONTACT_TEMP_BLOCKED",
        step("subscription_opt_out", "suppress", "contact is unsubscribed: opted out of EMAIL"),
    )
    sym.tenant.set_clock(now="2020-01-16T00:00:00Z", frozen=True)
    after = sent(sym)[GAGA]
    assert (after["status"], after["reason"]) == ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT")
    assert after["decision"][2:] == [
        step("contact_temp_block", "pass", "temporary block ended at 2020-01-16T00:00Z"),
        step("subscription_opt_out", "suppress", "contact is unsubscribed: opted out of EMAIL"),
    ]
