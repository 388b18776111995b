"""sandbox/normalise.py: how addresses are read and compared (issue 23 item 6), the calling
code table it reads national numbers with, and the indexes and outbox filter built on it,
including values stored by earlier releases."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox import normalise
from sandbox.calling_codes import COUNTRIES, MAIN_COUNTRY
from sandbox.outbox import recipient_key
from sandbox.store.collection import Collection
from sandbox.testing import Tenant
from sandbox.vendors.capillary.collections import CUSTOMERS
from sandbox.vendors.messangi.collections import BLOCKLIST, entry_key
from sandbox.vendors.symplify.collections import CONTACTS

INDIA = normalise.country("IN")


@pytest.mark.parametrize(
    ("written", "within", "digits"),
    [
        ("919353491050", None, "919353491050"),
        ("+91 93534 91050", None, "919353491050"),
        ("00919353491050", None, "919353491050"),
        ("0091-93534-91050", None, "919353491050"),
        ("+91 (0) 93534.91050", None, "919353491050"),
        ("(+91) 93534 91050", None, "919353491050"),
        ("+91\u202f93534\u2013910\u201150", None, "919353491050"),  # narrow space, dashes
        (919353491050, None, "919353491050"),  # a YAML number
        ("09353491050", INDIA, "919353491050"),
        ("0919353491050", INDIA, "919353491050"),
        ("09123456789", INDIA, "919123456789"),  # a national number that starts with 91
        ("919353491050", INDIA, "919353491050"),  # digits with the country code: as written
        ("0701234567", None, "0701234567"),  # no country to read it in: compared as written
        ("07700 900123", normalise.country("GB"), "447700900123"),
        ("011 44 7700 900123", normalise.country("US"), "447700900123"),
        ("1 (415) 555-2671", normalise.country("US"), "14155552671"),
        ("8 912 345-67-89", normalise.country("RU"), "79123456789"),
        ("89123456789", normalise.country("RU"), "79123456789"),  # no fast path past a trunk
        ("06 30 123 4567", normalise.country("HU"), "36301234567"),
        ("0011 91 93534 91050", normalise.country("AU"), "919353491050"),
        ("06 1234 5678", normalise.country("IT"), "390612345678"),  # Italy keeps its 0
    ],
)
def test_a_phone_number_is_read_to_its_digits_with_the_country_code(
    written: Any, within: normalise.Country | None, digits: str
) -> None:
    assert normalise.read_phone(written, "to", within) == digits
    assert normalise.phone(digits) == digits  # the normal form is its own key


@given(
    prefix=st.sampled_from(["", "0", "00", "1", "8", "06", "91", "011"]),
    rest=st.text(alphabet="0123456789", min_size=0, max_size=15),
    within=st.sampled_from([None, "IN", "US", "RU", "HU", "IT", "GB"]),
)
def test_the_fast_path_for_plain_digits_reads_as_the_full_reading_does(
    prefix: str, rest: str, within: str | None
) -> None:
    digits = prefix + rest
    country = normalise.country(within) if within else None
    expected, problem = normalise._digits(digits, country)
    if problem is not None:
        with pytest.raises(normalise.Unreadable):
            normalise.read_phone(digits, "to", country)
    else:
        assert normalise.read_phone(digits, "to", country) == expected


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("", "no digits"),
        ("+", "no digits"),
        ("+91 93534\u200b91050", "U+200B (ZERO WIDTH SPACE)"),
        ("\ufeff919353491050", "U+FEFF"),
        ("9193534910SO", "'S'"),
        ("+0919353491050", "no country code starts with 0"),
        ("00 091 93534 91050", "no country code starts with 0"),
        ("+91 93534", "7 digits"),
        ("+91 93534 91050 12345", "17 digits"),
        ("٩١٩٣٥٣٤٩١٠٥٠", "'٩'"),  # Arabic-Indic digits
    ],
)
def test_a_phone_number_that_cannot_be_read_names_the_field_and_why(written: str, why: str) -> None:
    with pytest.raises(normalise.Unreadable) as refused:
        normalise.read_phone(written, "sms[0].to", INDIA)
    assert refused.value.field == "sms[0].to"
    assert refused.value.http_status == 400
    assert refused.value.message.startswith("sms[0].to: ")
    assert why in refused.value.message


@pytest.mark.parametrize(
    ("written", "stored", "key"),
    [
        ("Gcr@Example.COM", "Gcr@Example.COM", "gcr@example.com"),
        ("  gcr@example.com  ", "gcr@example.com", "gcr@example.com"),
        ("gcr@example.com.", "gcr@example.com", "gcr@example.com"),
        ("Gopal Rao <GCR@example.com>", "GCR@example.com", "gcr@example.com"),
        ('"Rao, Gopal" < gcr@example.com. >', "gcr@example.com", "gcr@example.com"),
        ("<gcr@example.com>", "gcr@example.com", "gcr@example.com"),
        ("user@xn--bcher-kva.de", "user@xn--bcher-kva.de", "user@bücher.de"),
        ("user@Bücher.de", "user@Bücher.de", "user@bücher.de"),
        ("straße@faß.de", "straße@faß.de", "straße@faß.de"),  # lower(), not casefold(): ß stays
    ],
)
def test_an_email_address_is_read_and_keyed(written: str, stored: str, key: str) -> None:
    assert normalise.read_email(written, "to") == stored
    assert normalise.email(written) == key
    assert normalise.email(stored) == key
    assert normalise.email(key) is key  # the normal form is its own key, the same object


@pytest.mark.parametrize(
    "invisible",
    [
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u00ad",
        "\u200e",
        "\u202a",
        "\u202e",
        "\u2066",
        "\u2069",
        "\x00",
        "\x1b",
        "\x7f",
        "\u0085",
        "\u00a0",
        "\u3000",
    ],
)
@pytest.mark.parametrize(
    "where",
    ["gcr{}@example.com", "{}gcr@example.com", "gcr@example.com{}", "Gopal <gcr@exa{}mple.com>"],
)
def test_an_email_address_with_an_invisible_character_is_refused(
    invisible: str, where: str
) -> None:
    written = where.format(invisible)
    if invisible.isspace() and written.strip() != written:  # a blank at an end: trimmed
        assert normalise.read_email(written, "email") == "gcr@example.com"
        return
    with pytest.raises(normalise.Unreadable) as refused:
        normalise.read_email(written, "email")
    assert f"U+{ord(invisible):04X}" in refused.value.message
    assert refused.value.field == "email"


@pytest.mark.parametrize(
    "written",
    [
        "",
        "gcr",
        "gcr@",
        "@example.com",
        "gcr@example",
        "gcr@@example.com",
        "a b@example.com",
        "gcr@example..com",
        "gcr@example.com..",
        "a@b.com, c@d.com",
        "<a@b.com> <c@d.com>",
        "gcr@example.com>",
        "Name <>",
    ],
)
def test_what_is_not_one_address_is_refused(written: str) -> None:
    with pytest.raises(normalise.Unreadable):
        normalise.read_email(written, "to")


def test_a_sender_is_trimmed_and_a_blank_or_invisible_one_refused() -> None:
    assert normalise.read_sender("  528811\t", "from") == "528811"
    assert normalise.read_sender(528811, "from") == "528811"
    for bad in ("", "   ", "5288\u200b11", "shop\u202e"):
        with pytest.raises(normalise.Unreadable) as refused:
            normalise.read_sender(bad, "from")
        assert refused.value.field == "from"


def test_a_country_is_named_by_its_iso_code_or_its_calling_code() -> None:
    assert normalise.country("IN") == normalise.country("in") == normalise.country(91)
    assert normalise.country("+91") == INDIA
    assert normalise.Country("IN", "91", "0", ("00",), (10,)) == INDIA
    assert normalise.country("1").code == "US"  # type: ignore[union-attr]
    assert normalise.country("44").code == "GB"  # type: ignore[union-attr]
    assert normalise.country("7").code == "RU"  # type: ignore[union-attr]
    for nothing in ("XX", "India", "999", "", "0"):
        assert normalise.country(nothing) is None


def test_which_countries_have_a_trunk_prefix() -> None:
    """The table says which trunk prefix each country's national numbers start with: 0 in
    most of Europe, Asia and Africa, 1 in the NANP, 8 in Russia and its neighbours, 06 in
    Hungary, none in Spain, Italy, Mexico, the Nordics but Finland..."""
    trunks: dict[str, set[str]] = {}
    for code, (_, trunk, _, _) in COUNTRIES.items():
        trunks.setdefault(trunk, set()).add(code)
    assert {"IN", "GB", "DE", "FR", "AU", "JP", "CN", "BR", "ZA", "NG"} <= trunks["0"]
    assert {"US", "CA", "JM", "PR"} <= trunks["1"]
    assert trunks["8"] == {"RU", "KZ", "BY", "TM"}
    assert trunks["06"] == {"HU"}
    assert {"ES", "IT", "MX", "NO", "DK", "SG", "HK"} <= trunks[""]
    assert set(trunks) == {"", "0", "1", "8", "06"}


def test_the_calling_code_table_is_what_libphonenumber_says() -> None:
    """sandbox/calling_codes.py is generated from phonenumbers' metadata (a dev dependency:
    importing it at run time costs ~0.15 s, docs/architecture.md); when phonenumbers
    changes, this prints the table to paste."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    expected: dict[str, tuple[str, str, str, tuple[int, ...]]] = {}
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        meta = PhoneMetadata.metadata_for_region(region)
        literal = re.fullmatch(r"[0-9]+", meta.international_prefix or "")
        international = (
            meta.international_prefix if literal else meta.preferred_international_prefix
        )
        mobile = tuple(n for n in meta.mobile.possible_length if n > 0) if meta.mobile else ()
        general = tuple(n for n in meta.general_desc.possible_length if n > 0)
        prefix = international if re.fullmatch(r"[0-9]*", international or "") else ""
        expected[region] = (
            str(meta.country_code),
            meta.national_prefix or "",
            prefix or "",
            mobile or general,
        )
    shared = {
        calling: phonenumbers.region_code_for_country_code(int(calling))
        for calling in {c for c, *_ in expected.values()}
        if sum(c == calling for c, *_ in expected.values()) > 1
    }
    table = "\n".join(f'    "{k}": {v!r},' for k, v in expected.items())
    assert expected == COUNTRIES, f"regenerate sandbox/calling_codes.py:\n{table}"
    assert shared == MAIN_COUNTRY


def test_a_value_in_normal_form_is_its_own_key_and_the_same_object() -> None:
    """Indexes share the stored string instead of holding a copy."""
    digits, address, external = "919353491050", "gcr@example.com", "EXT-1"
    assert normalise.phone(digits) is digits
    assert normalise.email(address) is address
    assert normalise.text(external) is external
    assert normalise.phone("+919353491050") == digits


# --- values stored by earlier releases ---------------------------------------------------------
def test_customers_stored_under_an_earlier_normal_form_are_found_by_every_spelling() -> None:
    """An earlier release kept a mobile's digits as written (`00919353491050`) and an
    e-mail as written: a snapshot or journal of it loads into indexes of today's keys."""
    customers = Collection(CUSTOMERS)
    customers.load({"id": 1, "mobile": "00919353491050", "email": "GCR@Example.com."})
    customers.load({"id": 2, "mobile": "+52 55 0000 0000", "email": "Tom <tom@example.com>"})
    for spelling in ("919353491050", "+91 93534 91050", "0091 93534 91050"):
        assert customers.by("mobile", normalise.read_phone(spelling, "m"))["id"] == 1  # type: ignore[index]
    assert customers.by("email", "gcr@example.com")["id"] == 1  # type: ignore[index]
    assert customers.by("mobile", "525500000000")["id"] == 2  # type: ignore[index]
    assert customers.by("email", "TOM@example.com.")["id"] == 2  # type: ignore[index]


def test_blocklist_entries_stored_under_an_earlier_key_are_found_by_todays() -> None:
    """An entry written by an earlier release carries its own `key` (`+` and the digits as
    written, the sender as sent): the index computes today's from its fields."""
    entries = Collection(BLOCKLIST)
    entries.load(
        {
            "id": "a",
            "key": "SMS\n+00525500000000\n 528811 ",
            "to": "0052 55 0000 0000",
            "reason": "UNSUBSCRIBED",
            "type": "SMS",
            "from": " 528811 ",
            "source": "API",
            "date": "2026-01-01T00:00:00Z",
        }
    )
    entries.load(
        {
            "id": "b",
            "key": "EMAIL\nann@example.com.\nnews",
            "to": "Ann@Example.com.",
            "reason": "UNSUBSCRIBED",
            "type": "EMAIL",
            "from": "news",
            "source": "API",
            "date": "2026-01-01T00:00:00Z",
        }
    )
    assert entries.by("key", entry_key("SMS", "528811", "525500000000"))["id"] == "a"  # type: ignore[index]
    assert entries.by("key", entry_key("EMAIL", "news", "ann@example.com"))["id"] == "b"  # type: ignore[index]


def test_contacts_are_indexed_by_their_address_key() -> None:
    contacts = Collection(CONTACTS)
    contacts.load(
        {
            "id": 1,
            "account": "1234",
            "list_id": 42,
            "original_id": "1",
            "email": "Ann <Ann@Example.com.>",
            "mobile": "0046 70 123 45 67",
        }
    )
    assert [c["id"] for c in contacts.all_by("email", ("1234", "ann@example.com"))] == [1]
    assert [c["id"] for c in contacts.all_by("mobile", ("1234", "46701234567"))] == [1]


@pytest.mark.parametrize(
    ("stored", "filtered"),
    [
        ("919353491050", "0091 93534 91050"),
        ("+525500000000", "0052 (55) 0000-0000"),
        ("gcr@example.com", "Gopal <GCR@Example.com.>"),
    ],
)
def test_the_outbox_to_filter_is_the_same_recipient_however_written(
    stored: str, filtered: str
) -> None:
    assert recipient_key(stored) == recipient_key(filtered)


def test_the_outbox_finds_a_message_by_another_spelling_of_its_recipient(
    tenant: Tenant,
) -> None:
    sent = tenant.http.post(
        "/capillary/v2/communications/sendMessage?channel=sms",
        json={"sms": [{"to": "0919353491050", "body": "hi"}]},
        headers=tenant.capillary_auth(),
    )
    assert sent.status_code == 200, sent.text
    for spelling in ("+91 93534 91050", "0091-93534-91050", "919353491050"):
        [message] = tenant.outbox(to=spelling)
        assert message["customer_id"] == "565039505"
