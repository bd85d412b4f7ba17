"""The quick path for US phone numbers gives exactly what phonenumbers gives."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinicdesk.patients.services import _us_phone_e164, phone_e164


def by_phonenumbers(text: str) -> str | None:
    try:
        parsed = phonenumbers.parse(text.strip(), "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# Digits with the punctuation people type, sometimes behind +1 or 1.
typed = st.builds(
    lambda prefix, digits, seps: prefix + "".join(d + s for d, s in zip(digits, seps, strict=False)),
    st.sampled_from(["", "+1", "+1 ", "1-", "1 ", "+", "(", " "]),
    st.text(alphabet="0123456789", min_size=8, max_size=12),
    st.lists(st.sampled_from(["", "", "", " ", "-", ".", "(", ")", ") "]), min_size=12, max_size=12),
)


@settings(max_examples=3000, deadline=None)
@given(typed)
def test_the_quick_path_agrees_with_phonenumbers_whenever_it_answers(text):
    expected = by_phonenumbers(text)
    quick = _us_phone_e164(text)
    if quick is not None:
        assert quick == expected
    if expected is None:
        with pytest.raises(ValueError):
            phone_e164(text)
    else:
        assert phone_e164(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(518) 555-0101", "+15185550101"),
        ("518.555.0101", "+15185550101"),
        ("+1 518 555 0101", "+15185550101"),
        ("1-518-555-0101", "+15185550101"),
        ("(416) 555-0199", "+14165550199"),  # Canada: not a US number, found by the full path
        ("1-800-FLOWERS", "+18003569377"),  # letters: the full path
    ],
)
def test_common_ways_of_writing_a_number(text, expected):
    assert phone_e164(text) == expected


@pytest.mark.parametrize("text", ["(518) 555-01", "(018) 555-0101", "555-0101", "hello"])
def test_numbers_that_are_not_numbers_are_refused(text):
    with pytest.raises(ValueError, match="phone number"):
        phone_e164(text)
