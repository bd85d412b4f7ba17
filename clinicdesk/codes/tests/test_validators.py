from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clinicdesk.codes.services import icd10_load
from clinicdesk.codes.validators import billable_icd10


def message(value: str) -> str:
    with pytest.raises(ValidationError) as caught:
        billable_icd10(value)
    return caught.value.messages[0]


def test_a_billable_code_passes_dotted_or_not(icd10_sample):
    for value in ("E11.9", "e119", "I10", "S72.001A"):
        billable_icd10(value)


def test_an_unknown_code_is_named(icd10_sample):
    assert message("E11.99") == "E11.99 is not an ICD-10-CM code"
    assert message("e1199") == "E11.99 is not an ICD-10-CM code"
    assert message("") == "An empty code is not an ICD-10-CM code"


def test_a_category_points_to_a_billable_code_below_it(icd10_sample):
    assert message("E11") == "E11 is a category, not a billable code; choose a more specific code such as E11.9"
    assert message("I11") == "I11 is a category, not a billable code; choose a more specific code such as I11.9"
    assert message("E11.6") == "E11.6 is a header, not a billable code; choose a more specific code such as E11.69"
    assert message("S72.001").startswith(
        "S72.001 is a header, not a billable code; choose a more specific code such as S72.001A"
    )


def test_an_inactive_code_is_refused_with_its_last_release(icd10_sample):
    icd10_load(entries=[e for e in icd10_sample if e.code != "E11.9"], release="2027")
    assert message("E11.9") == "E11.9 is no longer a valid ICD-10-CM code (dropped after release 2026)"
