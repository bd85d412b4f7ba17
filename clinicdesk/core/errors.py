"""Errors that services raise and both the HTML views and the API know how to show."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """The request is valid but cannot be carried out as things stand (a taken username, a booked
    slot, a time that has passed).

    A ValidationError, so forms show it next to the field; the API answers 409. `title` names
    the kind of refusal in a few words ("Appointment time is in the past"): the API's problem
    title and the heading of the refused form. Raise each kind with its own title; "Conflict"
    is only the fallback.
    """

    title = "Conflict"

    def __init__(self, message: Any, code: str | None = None, params: Any = None, *, title: str | None = None) -> None:
        super().__init__(message, code, params)
        if title:
            self.title = title
