"""`billable_icd10`: the check a diagnosis or problem-list field runs on the code entered."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models.functions import Length

from .models import IcdCode
from .selectors import icd10_code
from .text import code_compact, code_dotted


def _a_billable_code_below(code: IcdCode) -> str:
    """A billable code below `code` to suggest: among the least specific ones, the "unspecified"
    one (ending in 9: "E11.9" for "E11") when there is one, else the first in code order."""
    below = (
        IcdCode.objects.filter(active=True, billable=True, compact__startswith=code.compact)
        .exclude(compact=code.compact)
        .order_by(Length("compact"), "compact")
        .values_list("code", flat=True)[:50]
    )
    candidates = list(below)
    shortest = [c for c in candidates if len(c) == len(candidates[0])] if candidates else []
    return next((c for c in shortest if c.endswith("9")), candidates[0] if candidates else "")


def billable_icd10(value: str) -> None:
    """Raise ValidationError unless `value` is an active, billable ICD-10-CM code.

    Messages name the code as the person typed it, dotted: "E11.99 is not an ICD-10-CM code",
    "E11 is a category, not a billable code; choose a more specific code such as E11.9",
    "<code> is no longer a valid ICD-10-CM code (dropped after release 2025)".
    """
    compact = code_compact(value or "")
    shown = code_dotted(compact) if compact else "An empty code"
    code = icd10_code(compact) if compact else None
    if code is None:
        raise ValidationError(f"{shown} is not an ICD-10-CM code", code="unknown")
    if not code.active:
        raise ValidationError(
            f"{code.code} is no longer a valid ICD-10-CM code (dropped after release {code.release})", code="inactive"
        )
    if not code.billable:
        kind = "a category" if not code.parent else "a header"
        example = _a_billable_code_below(code)
        hint = f"; choose a more specific code such as {example}" if example else "; choose a more specific code"
        raise ValidationError(f"{code.code} is {kind}, not a billable code{hint}", code="not_billable")
