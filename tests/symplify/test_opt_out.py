"""A contact's own opt-out (ContactDTO `unsubscribed` for e-mail, `mobileUnsubscribed` for
SMS, issue 16): a list send records it SUPPRESSED with SUBSCRIPTION_OPTED_OUT and the trace
names the flag; the other channel still reaches the contact; a temporary block comes first."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sandbox.testing import Sandbox

from .helpers import ACCOUNT, ANN, FIXTURE, GAGA, TOM, Sym, error


def opted_out(**flags: bool) -> dict[str, Any]:
    """The helpers' fixture with Gaga (list 42) and Ann carrying the given flags."""
    fixture = copy.deepcopy(FIXTURE)
    for contact in fixture["symplify"]["accounts"][0]["lists"][0]["contacts"]:
        if contact["original_id"] in {"111", "333"}:
            contact.update(flags)
    return fixture


@pytest.fixture
def flagged(sandbox: Sandbox) -> Any:
    made: list[Any] = []

    def make(**flags: bool) -> Sym:
        tenant = sandbox.create_tenant(opted_out(**flags))
        tenant.set_clock(now="2020-01-15T09:00:00Z", frozen=True)
        made.append(tenant)
        return Sym(sandbox.http, tenant)

    yield make
    for tenant in made:
        tenant.delete()


def trace_of(sym: Sym, to: str) -> dict[str, tuple[str, str]]:
    [message] = sym.tenant.outbox(to=to)
    return {step["rule"]: (step["outcome"], step["detail"]) for step in message["decision"]}


def test_an_unsubscribed_contact_gets_no_email_and_the_trace_says_which_flag(flagged) -> None:  # type: ignore[no-untyped-def]
    sym = flagged(unsubscribed=True)
    assert sym.delivered() == {
        GAGA: ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT"),
        TOM: ("DELIVERED", None),
    }
    assert trace_of(sym, GAGA)["subscription_opt_out"] == (
        "suppress",
        "contact is unsubscribed: opted out of EMAIL",
    )
    assert trace_of(sym, TOM)["subscription_opt_out"][0] == "pass"


def test_mobile_unsubscribed_stops_sms_only(flagged) -> None:  # type: ignore[no-untyped-def]
    sym = flagged(mobile_unsubscribed=True)
    assert sym.delivered(channel="SMS", subject=None) == {
        ANN: ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT")
    }
    assert "mobileUnsubscribed" in trace_of(sym, ANN)["subscription_opt_out"][1]
    assert sym.delivered()[GAGA] == ("DELIVERED", None)  # e-mail is another channel


def test_a_temporary_block_comes_before_the_opt_out(flagged) -> None:  # type: ignore[no-untyped-def]
    sym = flagged(unsubscribed=True)
    assert sym.block(until="2020-01-20").status_code == 200
    assert sym.delivered()[GAGA] == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")


def test_the_contact_dto_shows_the_flags_and_a_new_contact_may_carry_them(flagged) -> None:  # type: ignore[no-untyped-def]
    sym = flagged(unsubscribed=True)
    gaga = sym.call("GET", f"/{ACCOUNT}/lists/42/contacts/111").json()
    assert (gaga["unsubscribed"], gaga["mobileUnsubscribed"]) == (True, False)
    added = sym.call(
        "POST",
        f"/{ACCOUNT}/lists/42/contacts",
        {"originalId": "444", "mobileNumber": "+46700000444", "mobileUnsubscribed": True},
    )
    assert added.status_code == 200, added.text
    assert (added.json()["unsubscribed"], added.json()["mobileUnsubscribed"]) == (False, True)
    sent = sym.delivered(channel="SMS", subject=None)
    assert sent["+46700000444"] == ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT")


def test_the_flags_survive_a_snapshot(flagged, sandbox: Sandbox) -> None:  # type: ignore[no-untyped-def]
    sym = flagged(unsubscribed=True, mobile_unsubscribed=True)
    snapshot = sym.http.get(f"{sym.tenant.control}/snapshot").json()
    contacts = snapshot["symplify"]["accounts"][0]["lists"][0]["contacts"]
    gaga = next(c for c in contacts if c["original_id"] == "111")
    assert gaga["unsubscribed"] is True and gaga["mobile_unsubscribed"] is True
    copy_of = sandbox.create_tenant(snapshot)
    try:
        again = Sym(sandbox.http, copy_of)
        assert again.delivered()[GAGA] == ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT")
    finally:
        copy_of.delete()


def test_explain_sees_the_opt_out(flagged) -> None:  # type: ignore[no-untyped-def]
    sym = flagged(unsubscribed=True)
    answer = sym.http.post(
        f"{sym.tenant.control}/explain",
        json={"vendor": "symplify", "channel": "EMAIL", "to": GAGA, "list_id": "1234/42"},
    ).json()
    assert (answer["status"], answer["reason"]) == ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT")


def update(sym: Sym, original: str, body: dict[str, Any], list_id: int = 42) -> Any:
    return sym.call(
        "PUT", f"/{ACCOUNT}/lists/{list_id}/contacts/{original}/update", body, force="true"
    )


def test_a_contact_update_changes_its_flags_and_addresses(sym: Sym) -> None:
    answer = update(sym, "111", {"originalId": "111", "unsubscribed": True, "firstName": "Lady"})
    assert answer.status_code == 200, answer.text
    dto = answer.json()
    assert (dto["unsubscribed"], dto["firstName"], dto["emailAddress"]) == (True, "Lady", GAGA)
    assert sym.delivered()[GAGA] == ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT")
    # the DTO it read, sent back with the flag cleared: read-only fields are ignored
    back = {**dto, "unsubscribed": False}
    assert update(sym, "111", back).json()["unsubscribed"] is False
    assert sym.delivered()[GAGA] == ("DELIVERED", None)
    moved = update(sym, "333", {"mobileNumber": None, "emailAddress": "ann@example.com"}).json()
    assert "mobileNumber" not in moved and moved["emailAddress"] == "ann@example.com"
    assert "ann@example.com" in sym.delivered()


@pytest.mark.parametrize(
    ("original", "body", "status", "field"),
    [
        ("999", {"unsubscribed": True}, 404, "originalId"),
        ("111", {"originalId": "112"}, 400, "originalId"),
        ("111", {"emailAddress": "not-an-address"}, 400, "emailAddress"),
        ("111", {"mobileNumber": "12"}, 400, "mobileNumber"),
        ("111", {"unsubscribed": "yes"}, 400, "unsubscribed"),
    ],
)
def test_a_bad_contact_update_is_refused_naming_the_field_and_changes_nothing(
    sym: Sym, original: str, body: dict[str, Any], status: int, field: str
) -> None:
    before = sym.call("GET", f"/{ACCOUNT}/lists/42/contacts/111").json()
    answer = update(sym, original, body)
    assert error(answer, status) == field
    assert sym.call("GET", f"/{ACCOUNT}/lists/42/contacts/111").json() == before
