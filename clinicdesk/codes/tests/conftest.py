from __future__ import annotations

import pytest

from clinicdesk.codes.services import icd10_load
from clinicdesk.codes.sources import CodeEntry, package_entries

# Enough of the code set for the search and validator tests, loaded in a fraction of a second:
# diabetes, hypertension, hepatitis, Alzheimer's, femur fractures (with 7th characters), asthma.
SAMPLE_PREFIXES = ("E10", "E11", "I10", "I11", "B15", "B16", "B17", "G30", "S72", "J45")


@pytest.fixture(scope="session")
def icd10_entries() -> list[CodeEntry]:
    """The packaged code set, parsed once per test session (about 2 s)."""
    return package_entries()


@pytest.fixture
def icd10_sample(db, icd10_entries) -> list[CodeEntry]:
    """The SAMPLE_PREFIXES categories and every code below them, loaded as release 2026."""
    entries = [e for e in icd10_entries if e.code.startswith(SAMPLE_PREFIXES)]
    icd10_load(entries=entries, release="2026")
    return entries


def order_line(number: int, code: str, billable: bool, long: str, short: str = "") -> str:
    """One line of a CMS order file, in its fixed columns."""
    return f"{number:05d} {code:<7} {int(billable)} {(short or long)[:60]:<60} {long}\n"


def order_file(rows: list[tuple[str, bool, str]]) -> str:
    return "".join(order_line(n, code, billable, long) for n, (code, billable, long) in enumerate(rows, start=1))


# A tiny order file: two categories with their codes, as CMS writes them (undotted).
SAMPLE_ORDER = [
    ("E11", False, "Type 2 diabetes mellitus"),
    ("E119", True, "Type 2 diabetes mellitus without complications"),
    ("E116", False, "Type 2 diabetes mellitus with other specified complications"),
    ("E1165", True, "Type 2 diabetes mellitus with hyperglycemia"),
    ("I10", True, "Essential (primary) hypertension"),
    ("T36", False, "Poisoning by, adverse effect of and underdosing of systemic antibiotics"),
    ("T360", False, "Poisoning by, adverse effect of and underdosing of penicillins"),
    ("T360X1", False, "Poisoning by penicillins, accidental (unintentional)"),
    ("T360X1A", True, "Poisoning by penicillins, accidental (unintentional), initial encounter"),
]
