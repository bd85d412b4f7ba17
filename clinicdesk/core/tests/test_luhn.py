"""One Luhn check for every identifier that carries one (MRNs, NPIs)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicdesk.core.luhn import luhn_check_digit, luhn_valid
from clinicdesk.patients.mrn import mrn_is_valid, mrn_new


def test_the_textbook_example_passes_and_its_neighbours_fail():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710") and not luhn_valid("79927398731")
    assert luhn_check_digit("7992739871") == 3


@pytest.mark.parametrize("value", ["", "7", "7992 7398 713", "7992-7398-713", "٧٩٩٢٧٣٩٨٧١٣", "abc"])
def test_anything_but_ascii_digits_fails(value):
    assert not luhn_valid(value)


@given(st.from_regex(r"[0-9]{5,14}", fullmatch=True), st.data())
def test_every_single_wrong_digit_is_caught(payload, data):
    number = payload + str(luhn_check_digit(payload))
    assert luhn_valid(number)
    position = data.draw(st.integers(0, len(number) - 1))
    shift = data.draw(st.integers(1, 9))
    wrong = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert not luhn_valid(wrong)


def test_new_mrns_carry_the_same_check_digit():
    for _ in range(200):
        mrn = mrn_new()
        assert mrn_is_valid(mrn) and luhn_valid(mrn) and len(mrn) == 8
