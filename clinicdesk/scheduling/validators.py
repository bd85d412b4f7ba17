"""Pure checks of the identifiers and codes a practice setup holds. No Django models here.

Each `*_problem` function returns None when the value is fine, or a sentence for the office
manager saying what is wrong; the services put that sentence next to the field.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from clinicdesk.core.luhn import NPI_SHAPE, npi_valid

# NUCC Health Care Provider Taxonomy: 3 digits, 6 letters or digits, and a final X (207Q00000X).
TAXONOMY_SHAPE = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")
COLOR_SHAPE = re.compile(r"#[0-9A-Fa-f]{6}")
COUNTRY_SHAPE = re.compile(r"[A-Z]{2}")
# The database constraints use the same shapes, spelled for SQL regex matching.
NPI_SQL_REGEX = r"^[0-9]{10}$"
COLOR_SQL_REGEX = r"^#[0-9A-Fa-f]{6}$"


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
