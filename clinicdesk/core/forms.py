from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError


def apply_service_errors(form: forms.Form, exc: ValidationError | PermissionDenied) -> None:
    """Put a service's ValidationError next to the fields it names (or on top of the form)."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or "You are not allowed to do that.")
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(None if field == "__all__" or field not in form.fields else field, errors)
    else:
        form.add_error(None, exc.messages)
