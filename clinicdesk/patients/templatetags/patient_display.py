"""Template filters over `patients.display.PatientLens`: `{{ patient|shown_name:lens }}` and
`{% if lens|masks:patient %}` (leave a detail out for a masked patient).

The view puts the list's lens in the context as `lens`. A missing lens is an error, not an
unmasked name: the filters refuse anything that is not a PatientLens.
"""

from __future__ import annotations

from typing import Any

from django import template

from clinicdesk.patients.display import PatientLens

register = template.Library()


def _lens(value: Any) -> PatientLens:
    if not isinstance(value, PatientLens):
        raise TypeError("The page's context needs `lens` (patients.display.patient_lens) to list patients.")
    return value


@register.filter
def shown_name(patient: Any, lens: Any) -> str:
    """What a list shows as `patient`'s name for the viewer (see PatientLens.name)."""
    return _lens(lens).name(patient)


@register.filter
def masks(lens: Any, patient: Any) -> bool:
    """True when `patient` is listed masked: leave out its details (reason, phones, date of birth)."""
    return _lens(lens).masks(patient)
