from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from clinicdesk.core import crypto
from clinicdesk.core.crypto import DecryptionError, blind_index, check_encryption_keys, decrypt, encrypt
from clinicdesk.core.tests.helpers import new_key

FIRST, SECOND = new_key(), new_key()
SSN = "078-05-1120"


@pytest.fixture(autouse=True)
def one_key():
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=f"k1:{FIRST}", CLINICDESK_BLIND_INDEX_KEY=new_key()):
        yield


def test_a_value_comes_back_as_it_went_in():
    for value in (SSN, "", "Zoë Ångström — 日本語", "x" * 10_000):
        assert decrypt(encrypt(value, context="t.person.ssn"), context="t.person.ssn") == value


def test_each_encryption_gives_a_new_token_that_never_contains_the_value():
    tokens = {encrypt(SSN, context="t.person.ssn") for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert token.startswith("v1.k1.")
        assert SSN not in token and "078051120" not in token


def test_the_newest_key_seals_and_every_key_in_the_ring_opens():
    old = encrypt(SSN, context="t.person.ssn")
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=f"k2:{SECOND},k1:{FIRST}"):
        new = encrypt(SSN, context="t.person.ssn")
        assert new.startswith("v1.k2.")
        assert crypto.token_key_id(new) == "k2" and crypto.current_key_id() == "k2"
        assert decrypt(old, context="t.person.ssn") == SSN == decrypt(new, context="t.person.ssn")


def test_a_token_under_a_key_no_longer_in_the_ring_fails_naming_the_key_and_column():
    token = encrypt(SSN, context="t.person.ssn")
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=f"k2:{SECOND}"), pytest.raises(DecryptionError) as info:
        decrypt(token, context="t.person.ssn")
    assert "'k1'" in str(info.value) and "t.person.ssn" in str(info.value)


def test_a_wrong_key_under_the_same_id_fails_instead_of_returning_garbage():
    token = encrypt(SSN, context="t.person.ssn")
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=f"k1:{SECOND}"), pytest.raises(DecryptionError) as info:
        decrypt(token, context="t.person.ssn")
    assert "'k1'" in str(info.value) and "t.person.ssn" in str(info.value)


def test_a_token_read_as_another_column_fails():
    token = encrypt(SSN, context="t.person.ssn")
    with pytest.raises(DecryptionError, match="t.person.note"):
        decrypt(token, context="t.person.note")


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # altered ciphertext or tag
        lambda t: t.replace("v1.k1.", "v1.k1.A", 1),  # shifted nonce
        lambda t: t[:12],  # truncated
        lambda t: t + "!",  # not base64url
    ],
)
def test_an_altered_token_fails(damage):
    token = encrypt(SSN, context="t.person.ssn")
    with pytest.raises(DecryptionError):
        decrypt(damage(token), context="t.person.ssn")


@pytest.mark.parametrize("stored", [SSN, "", "v2.k1.abc", "v1..abc", "v1.k1", None])
def test_something_that_is_not_a_token_fails_without_repeating_it(stored):
    with pytest.raises(DecryptionError) as info:
        decrypt(stored, context="t.person.ssn")
    assert SSN not in str(info.value)


def test_a_context_is_required():
    with pytest.raises(ValueError):
        encrypt(SSN, context="")


@pytest.mark.parametrize(
    ("keys", "complaint"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("k1:{a},,k2:{b}", "entry 2 is empty"),
        ("k1:{a},", "entry 2 is empty"),
        ("k1{a}", "entry 1 has no ':'"),
        ("k 1:{a}", "entry 1: key id"),
        ("k1.x:{a}", "entry 1: key id"),
        ("k1:{a},k1:{b}", "entry 2 ('k1'): key id is used twice"),
        ("k1:{a},K1:{b}", "entry 2 ('K1'): key id is used twice"),
        ("k1:{a},k2:not*base64", "entry 2 ('k2'): key is not valid base64url"),
        ("k1:{short}", "entry 1 ('k1'): key is 16 bytes"),
        ("k1:{long}", "entry 1 ('k1'): key is 48 bytes"),
    ],
)
def test_a_malformed_key_list_names_the_entry_but_not_the_key(keys, complaint):
    a, b, short, long = new_key(), new_key(), new_key(16), new_key(48)
    text = keys.format(a=a, b=b, short=short, long=long)
    with pytest.raises(ImproperlyConfigured) as info:
        crypto.parse_key_ring(text)
    message = str(info.value)
    assert complaint in message and "CLINICDESK_ENCRYPTION_KEYS" in message
    for secret in (a, b, short, long):
        assert secret not in message


def test_keys_without_padding_or_with_spaces_around_entries_are_accepted():
    a, b = new_key(), new_key()
    ring = crypto.parse_key_ring(f" k2:{a.rstrip('=')} , k1:{b} ")
    assert list(ring.keys) == ["k2", "k1"] and ring.current_id == "k2"
    assert ring.keys["k2"] == base64.urlsafe_b64decode(a)
    assert a not in repr(ring)


def test_a_settings_change_rebuilds_the_cached_ring():
    assert crypto.current_key_id() == "k1"
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=f"k7:{SECOND}"):
        assert crypto.current_key_id() == "k7"
    assert crypto.current_key_id() == "k1"


def test_a_malformed_key_setting_is_reported_by_the_system_check():
    assert check_encryption_keys() == []
    with override_settings(CLINICDESK_ENCRYPTION_KEYS="k1:tooshort", CLINICDESK_BLIND_INDEX_KEY=new_key(16)):
        errors = check_encryption_keys()
    assert [e.obj for e in errors] == ["CLINICDESK_ENCRYPTION_KEYS", "CLINICDESK_BLIND_INDEX_KEY"]
    assert all(e.id == "clinicdesk.E001" for e in errors)


def test_a_malformed_blind_index_key_is_refused_on_use():
    with override_settings(CLINICDESK_BLIND_INDEX_KEY="not a key"), pytest.raises(ImproperlyConfigured):
        blind_index(SSN, context="t.person.ssn")


def test_the_blind_index_matches_equal_values_after_normalisation():
    digest = blind_index(SSN, context="t.person.ssn", normalize="identifier")
    assert len(digest) == 64 and int(digest, 16) >= 0
    for spelling in ("078051120", " 078 05 1120 ", "078‐05‐1120"):
        assert blind_index(spelling, context="t.person.ssn", normalize="identifier") == digest
    assert blind_index("078-05-1121", context="t.person.ssn", normalize="identifier") != digest


def test_text_normalisation_ignores_case_and_surrounding_space_but_keeps_inner_dashes():
    digest = blind_index("Mary-Ann Smith", context="t.person.name")
    assert blind_index("  MARY-ANN SMITH ", context="t.person.name") == digest
    assert blind_index("MaryAnn Smith", context="t.person.name") != digest


def test_the_blind_index_accepts_a_normalising_function():
    def digits(value: str) -> str:
        return "".join(ch for ch in value if ch.isdigit())

    assert blind_index("(555) 010-0199", context="t.person.phone", normalize=digits) == blind_index(
        "555.010.0199", context="t.person.phone", normalize=digits
    )


def test_the_blind_index_differs_per_column_and_per_key():
    digest = blind_index(SSN, context="t.person.ssn")
    assert blind_index(SSN, context="t.guarantor.ssn") != digest
    with override_settings(CLINICDESK_BLIND_INDEX_KEY=new_key()):
        assert blind_index(SSN, context="t.person.ssn") != digest
