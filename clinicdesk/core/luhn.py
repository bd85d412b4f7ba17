"""The Luhn check digit, and the identifiers that carry one (MRNs, NPIs).

One implementation for the practice's medical record numbers, providers' National Provider
Identifiers and, later, billing identifiers: a check digit catches every single mistyped digit
and most swaps of neighbouring digits before anything is looked up or sent to a payer.
"""

from __future__ import annotations

import re

# The NPI check digit is a Luhn digit computed as if the 10 digits were prefixed by 80840, the
# ISO card-issuer prefix of US health identifiers (CMS, "NPI check digit", 2007).
NPI_PREFIX = "80840"
NPI_SHAPE = re.compile(r"[0-9]{10}")


def luhn_check_digit(digits: str) -> int:
    """The Luhn digit that makes `digits` + it pass the Luhn check. `digits` holds digits only."""
    total = 0
    # Double every second digit from the right of the payload (the check digit will be rightmost).
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    """True when `number` is two or more digits whose last is the Luhn digit of the rest.

    Anything but ASCII digits (spaces, dashes, letters, other scripts' digits) is invalid: the
    caller strips formatting first.
    """
    if not isinstance(number, str) or len(number) < 2 or not number.isascii() or not number.isdigit():
        return False
    return luhn_check_digit(number[:-1]) == int(number[-1])


def npi_check_digit(first_nine: str) -> int:
    """The check digit of an NPI whose first nine digits are `first_nine`."""
    if not re.fullmatch(r"[0-9]{9}", first_nine):
        raise ValueError("an NPI starts with nine digits")
    return luhn_check_digit(NPI_PREFIX + first_nine)


def npi_valid(npi: str) -> bool:
    """True for ten digits whose last is the Luhn check digit over 80840 + the first nine.

    Spaces, dashes and letters make it invalid (the caller strips formatting first); so do
    9- or 11-digit numbers. The check digit catches every single wrong digit and most swaps
    of neighbours, not a made-up number that happens to be well formed.
    """
    if not isinstance(npi, str) or not NPI_SHAPE.fullmatch(npi):
        return False
    return npi_check_digit(npi[:9]) == int(npi[9])
