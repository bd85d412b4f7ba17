"""No request carries a NUL character past this point: address, query, form fields, JSON bodies.

PostgreSQL cannot store U+0000 in text: a value holding one that reaches a query or an INSERT
fails there (a server error, and with it a whole batch or import), while SQLite stores it
silently. Forms refuse it per field and the API's InputSchema per body field, but dozens of
views read `request.POST`/`request.GET` directly, lookups take values from the address, and a
new schema or view could forget; so one middleware refuses every such request before any view,
naming where the character was. Nobody types a NUL; it arrives from a bad copy or on purpose.
(Uploaded file names need no check: Django drops their non-printable characters itself.)

Answer: 422 problem details under /api/ (`errors: [{"field", "message"}]`, as every other
validation error there), else a 400 page. Other control characters are each service's business
(they can be stored); this guard is about what the database cannot hold.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .problems import problem

NUL = "\x00"
# "\u0000" escaped in JSON text, not preceded by an odd number of backslashes (that would be a
# literal backslash followed by "u0000").
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
MESSAGE = "Contains a NUL character (U+0000), which cannot be stored. Remove it and send again."


def _shown(name: str) -> str:
    return name.replace(NUL, "\\0")[:80]


def _json_path(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where in parsed JSON `value` the first NUL is (keys and list positions), or None."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                return (*path, key)
            found = _json_path(item, (*path, str(key)))
            if found is not None:
                return found
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found = _json_path(item, (*path, str(position)))
            if found is not None:
                return found
    return None


def nul_field(request: HttpRequest) -> str | None:
    """The name of the first place in `request` holding a NUL ("address", a parameter, a field), or None."""
    if NUL in request.path:
        return "address"
    for source in (request.GET, request.POST if request.method == "POST" else None):
        if source is None:
            continue
        for key, values in source.lists():
            if NUL in key or any(NUL in value for value in values):
                return _shown(key)
    content_type = request.content_type or ""
    if content_type.endswith("json") and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        body = request.body
        if _JSON_NUL.search(body):
            try:
                found = _json_path(json.loads(body))
            except ValueError:
                return None  # not JSON at all: the API answers that itself
            if found is not None:
                return _shown(".".join(found) or "body")
    return None


class NulRefusalMiddleware:
    """Refuses a request with a NUL character anywhere in its values (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_field(request)
        if where is None:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return problem(
                422,
                "Some fields are missing or invalid. See `errors`.",
                errors=[{"field": where, "message": MESSAGE}],
            )
        named = "The address" if where == "address" else f"The field “{where}”"
        message = (
            f"{named} contains a NUL character (U+0000), which cannot be stored. Go back, remove it and send again."
        )
        return render(
            request, "core/error.html", {"title": "Something in the request was wrong", "message": message}, status=400
        )
