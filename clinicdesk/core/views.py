from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .capabilities import ALL_CAPABILITIES
from .guards import public
from .problems import problem
from .refusals import TOO_LARGE, body_limit_refusal, refusal_log


@public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database reachable and every migration applied. No PHI, no counts of anything."""
    checks = {"database": "ok", "migrations": "ok"}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            checks["migrations"] = "pending"
            status = 503
    except DatabaseError:
        checks["database"] = "unreachable"
        checks["migrations"] = "unknown"
        status = 503
    return JsonResponse({"status": "ok" if status == 200 else "fail", "checks": checks}, status=status)


_ERRORS = {
    400: ("Something in the request was wrong", "The page could not understand what was sent. Go back and try again."),
    403: (
        "You do not have access to this page",
        "Your role does not include this work. If you need it, ask your office manager.",
    ),
    404: ("Page not found", "There is no page here, or you do not have access to it."),
    500: (
        "Something went wrong on our side",
        "The error has been logged. Try again in a moment; if it keeps happening, tell your office manager.",
    ),
}


def error_response(request: HttpRequest, status: int, *, title: str = "", message: str = "") -> HttpResponse:
    """The error answer for `status`: problem details under /api/, else the error page.

    `title` and `message` default to the house wording of the status (400, 403, 404, 500).
    The page renders without a signed-in user, so middleware that runs before the session
    (the size limits) can use it too.
    """
    default_title, default_message = _ERRORS.get(status, ("", ""))
    title, message = title or default_title, message or default_message
    if request.path.startswith("/api/"):
        return problem(status, message, title=title)
    return render(request, "core/error.html", {"title": title, "message": message}, status=status)


def _error(request: HttpRequest, status: int) -> HttpResponse:
    return error_response(request, status)


def bad_request(request, exception=None):
    """400, or 413 when Django refused an oversized form while parsing it (one log line)."""
    too_large = body_limit_refusal(exception)
    if too_large is None:
        return _error(request, 400)
    response = error_response(request, 413, title=TOO_LARGE, message=too_large)
    refusal_log(request, status=413, reason=type(exception).__name__, response=response)
    return response


def permission_denied(request, exception=None):
    """403, logged as one line (who, route, capability) rather than a traceback."""
    response = _error(request, 403)
    reason = str(exception or "") or "refused"
    refusal_log(
        request,
        status=403,
        reason=f"capability={reason}" if reason in ALL_CAPABILITIES else f"reason={reason}",
        response=response,
    )
    return response


def page_not_found(request, exception=None):
    return _error(request, 404)


def server_error(request):
    title, message = _ERRORS[500]
    if request.path.startswith("/api/"):
        return problem(500, message, title=title)
    # The 500 page must not depend on the database or context processors that may be broken.
    return HttpResponse(
        f"<!DOCTYPE html><html lang='en'><title>{title}</title><h1>{title}</h1><p>{message}</p></html>", status=500
    )
