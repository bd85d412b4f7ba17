"""Medical record numbers: eight digits, the last a Luhn check digit.

Random rather than sequential, so an MRN says nothing about how many patients a practice has
or when someone registered; the check digit catches a mistyped or transposed digit before a
search runs.
"""

from __future__ import annotations

import secrets

from clinicdesk.core.luhn import luhn_check_digit, luhn_valid


def mrn_is_valid(value: str) -> bool:
    value = value.strip()
    return len(value) == 8 and value[0] != "0" and luhn_valid(value)


def mrn_new() -> str:
    """A fresh random MRN (uniqueness is the database's job: the caller retries on a clash)."""
    body = str(secrets.randbelow(9_000_000) + 1_000_000)
    return body + str(luhn_check_digit(body))
