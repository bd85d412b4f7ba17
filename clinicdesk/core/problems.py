"""RFC 9457 problem details: the one error shape of the JSON API."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    414: "Address too long",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
}


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    title: str | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """A problem+json response. `errors` lists `{"field": ..., "message": ...}` for 422."""
    body: dict[str, Any] = {
        "type": type_,
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = JsonResponse(body, status=status, content_type="application/problem+json")
    for key, value in (headers or {}).items():
        response[key] = value
    return response
