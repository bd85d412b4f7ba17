"""Pure checks of the identifiers and codes a practice setup holds. No Django models here.

Each `*_problem` function returns None when the value is fine, or a sentence for the office
manager saying what is wrong; the services put that sentence next to the field.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# The NPI check digit is a Luhn digit computed as if the 10 digits were prefixed by 80840, the
# ISO card-issuer prefix of US health identifiers (CMS, "NPI check digit", 2007).
NPI_PREFIX = "80840"
NPI_SHAPE = re.compile(r"[0-9]{10}")
# NUCC Health Care Provider Taxonomy: 3 digits, 6 letters or digits, and a final X (207Q00000X).
TAXONOMY_SHAPE = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")
COLOR_SHAPE = re.compile(r"#[0-9A-Fa-f]{6}")
COUNTRY_SHAPE = re.compile(r"[A-Z]{2}")
# The database constraints use the same shapes, spelled for SQL regex matching.
NPI_SQL_REGEX = r"^[0-9]{10}$"
COLOR_SQL_REGEX = r"^#[0-9A-Fa-f]{6}$"


def luhn_check_digit(digits: str) -> int:
    """The Luhn digit that makes `digits` + it pass the Luhn check."""
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


def npi_problem(npi: str) -> str | None:
    if not NPI_SHAPE.fullmatch(npi):
        return "An NPI has exactly 10 digits, e.g. 1234567893."
    if not npi_valid(npi):
        return "This NPI fails its check digit: one digit is probably mistyped. Compare it with the NPPES record."
    return None


def taxonomy_problem(code: str) -> str | None:
    if not TAXONOMY_SHAPE.fullmatch(code):
        return "A taxonomy code has 10 characters ending in X, e.g. 207Q00000X (family medicine)."
    return None


def color_problem(color: str) -> str | None:
    if not COLOR_SHAPE.fullmatch(color):
        return "Give the colour as # and six hexadecimal digits, e.g. #1F77B4."
    return None


def time_zone_problem(name: str) -> str | None:
    """None for an IANA zone name this machine knows (America/New_York); a sentence otherwise."""
    # ZoneInfo also opens file paths and odd spellings ("america/new_york" on some systems), so
    # the name must be one of the canonical keys as well.
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return "Use an IANA time zone name, e.g. America/New_York or America/Chicago."
    if name not in available_timezones():
        return "Use an IANA time zone name, e.g. America/New_York or America/Chicago."
    # Legacy names such as EST or MST are fixed offsets without daylight saving time: a clinic
    # set to EST would book every summer appointment an hour off.
    if "/" not in name and name != "UTC":
        return f"{name} ignores daylight saving time. Use a place name, e.g. America/New_York."
    return None


def country_problem(country: str) -> str | None:
    if not COUNTRY_SHAPE.fullmatch(country):
        return "Use the two-letter ISO country code, e.g. US."
    return None
