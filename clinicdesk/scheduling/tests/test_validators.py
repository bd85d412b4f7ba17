from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicdesk.core.luhn import npi_check_digit, npi_valid
from clinicdesk.scheduling.validators import color_problem, npi_problem, taxonomy_problem, time_zone_problem

# 1234567893 is the worked example of the CMS check-digit paper; the others are published NPIs.
KNOWN_VALID = ["1234567893", "1245319599", "1003000126", "1679576722"]


@pytest.mark.parametrize("npi", KNOWN_VALID)
def test_known_npis_pass_the_check_digit(npi):
    assert npi_valid(npi)
    assert npi_problem(npi) is None


@pytest.mark.parametrize(
    "npi", ["1234567890", "1234567894", "2134567893", "123456789", "12345678930", "12345 7893", ""]
)
def test_mistyped_or_misshapen_npis_fail(npi):
    assert not npi_valid(npi)
    assert npi_problem(npi)


def test_the_check_digit_of_the_cms_example_is_3():
    # CMS: 80840 + 123456789 -> Luhn sum 67 -> check digit 3.
    assert npi_check_digit("123456789") == 3


@given(st.from_regex(r"[0-9]{9}", fullmatch=True), st.integers(0, 9), st.integers(1, 9))
def test_any_single_wrong_digit_is_caught(first_nine, position, shift):
    npi = first_nine + str(npi_check_digit(first_nine))
    assert npi_valid(npi)
    wrong = npi[:position] + str((int(npi[position]) + shift) % 10) + npi[position + 1 :]
    assert not npi_valid(wrong)


@pytest.mark.parametrize("code", ["207Q00000X", "363LF0000X", "2084N0400X", "163W00000X"])
def test_taxonomy_codes_in_nucc_form_pass(code):
    assert taxonomy_problem(code) is None


@pytest.mark.parametrize("code", ["207Q00000", "207Q00000Y", "207q00000x", "ABCQ00000X", "207Q000000X"])
def test_taxonomy_codes_out_of_form_fail(code):
    assert taxonomy_problem(code)


@pytest.mark.parametrize("name", ["America/New_York", "America/Chicago", "Pacific/Honolulu", "UTC"])
def test_iana_time_zones_pass(name):
    assert time_zone_problem(name) is None


@pytest.mark.parametrize("name", ["Eastern", "America/Nowhere", "", "../../etc/passwd", "EST5EDT ", "EST", "MST"])
def test_other_time_zone_names_fail(name):
    assert time_zone_problem(name)


def test_colours_are_hash_and_six_hex_digits():
    assert color_problem("#1f77B4") is None
    for bad in ("1F77B4", "#1F77B", "#GGGGGG", "red", "#1F77B4 "):
        assert color_problem(bad)
