"""`{% load vitals_units %}` then `{{ vitals|reading:"weight" }}`: a temperature, height or
weight in the practice's unit ("150 lb"), as typed when it was typed in that unit."""

from __future__ import annotations

from typing import Any

from django import template

from clinicdesk.clinical.models import Vitals
from clinicdesk.clinical.vitals import PRACTICE_UNITS, UNIT_LABEL, reading_in

register = template.Library()


@register.filter
def reading(vitals: Any, kind: str) -> str:
    """ "150 lb", "98.6 °F", "65 in"; "" when the reading was not taken (so `|default:` works)."""
    if not isinstance(vitals, Vitals) or kind not in PRACTICE_UNITS:
        return ""
    unit = PRACTICE_UNITS[kind]
    value = reading_in(vitals, kind, unit)
    return "" if value is None else f"{format(value.normalize(), 'f')} {UNIT_LABEL[unit]}"
