"""The error summary of a form: which fields a failed submit left with mistakes."""

from __future__ import annotations

from django import template
from django.forms import BaseForm, BoundField

register = template.Library()


@register.filter
def fields_with_errors(form: BaseForm) -> list[BoundField]:
    """The bound fields of `form` that have errors, in the form's order; [] for an unsent form."""
    if not form.is_bound or not form.errors:
        return []
    return [field for field in form if field.errors]
