"""Errors that services raise and both the HTML views and the API know how to show."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """The request is valid but clashes with what exists (a taken username, a booked slot).

    A ValidationError, so forms show it next to the field; the API answers 409.
    """
