from hypothesis import given
from hypothesis import strategies as st

from clinicdesk.core.luhn import luhn_check_digit
from clinicdesk.patients.mrn import mrn_is_valid, mrn_new


def test_a_new_mrn_is_eight_digits_with_a_valid_check_digit():
    for _ in range(200):
        mrn = mrn_new()
        assert len(mrn) == 8 and mrn.isdigit() and mrn[0] != "0" and mrn_is_valid(mrn)


def test_the_luhn_digit_matches_a_known_value():
    assert luhn_check_digit("7992739871") == 3


@given(st.integers(1_000_000, 9_999_999), st.integers(0, 6), st.integers(1, 9))
def test_any_single_digit_typo_is_caught(body, position, delta):
    mrn = str(body) + str(luhn_check_digit(str(body)))
    digit = (int(mrn[position]) + delta) % 10
    typo = mrn[:position] + str(digit) + mrn[position + 1 :]
    assert not mrn_is_valid(typo) or typo == mrn


def test_malformed_mrns_are_not_valid():
    for text in ("", "1234567", "123456789", "0000000", "abcdefgh", "12345-67"):
        assert not mrn_is_valid(text)
