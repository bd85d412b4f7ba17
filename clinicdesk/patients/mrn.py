"""Medical record numbers: eight digits, the last a Luhn check digit.

Random rather than sequential, so an MRN says nothing about how many patients a practice has
or when someone registered; the check digit catches a mistyped or transposed digit before a
search runs.
"""

from __future__ import annotations

import secrets


def luhn_digit(digits: str) -> str:
    """The Luhn check digit for a string of digits."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def mrn_is_valid(value: str) -> bool:
    value = value.strip()
    return len(value) == 8 and value.isdigit() and value[0] != "0" and luhn_digit(value[:-1]) == value[-1]


def mrn_new() -> str:
    """A fresh random MRN (uniqueness is the database's job: the caller retries on a clash)."""
    body = str(secrets.randbelow(9_000_000) + 1_000_000)
    return body + luhn_digit(body)
