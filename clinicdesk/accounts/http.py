"""The request type of a view behind `requires(...)`, for type checkers."""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class StaffRequest(HttpRequest):
    """A request that passed `requires(...)`: the user is a signed-in member of staff."""

    user: User  # type: ignore[assignment]  # narrowed by the guard
