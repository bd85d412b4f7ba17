from __future__ import annotations

from django.conf import settings

from .request_context import origin_from_meta, reset_origin, set_origin


class RequestContextMiddleware:
    """Makes the client address and user agent available to audit writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_origin(origin_from_meta(request.META, getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)))
        try:
            return self.get_response(request)
        finally:
            reset_origin(token)


class ApiProblemMiddleware:
    """Under /api/, every error leaves as RFC 9457 problem details.

    The API's own handlers already answer that way; this catches what is answered before
    them, such as a 405 for a method a path does not take, so a client never has to parse
    an HTML page or an empty body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/problem+json")
        ):
            from .problems import TITLES, problem

            detail = {
                405: f"This address does not take {request.method}. It takes: {response.get('Allow', 'none')}.",
            }.get(response.status_code, TITLES.get(response.status_code, "The request failed."))
            replacement = problem(response.status_code, detail)
            if "Allow" in response:
                replacement["Allow"] = response["Allow"]
            return replacement
        return response


class RequestLimitsMiddleware:
    """Refuses an address or a body larger than the server accepts, before anything reads it.

    414 for a path plus query string over CLINICDESK_MAX_URL_BYTES; 413 for a body (other than
    a multipart upload) over DATA_UPLOAD_MAX_MEMORY_SIZE. Problem details under /api/, a page
    elsewhere, and one log line (core/refusals.py). It sits before the session middleware, so a
    refused request costs no database work.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .refusals import TOO_LARGE, URL_TOO_LONG, content_length_refusal, refusal_log, url_refusal
        from .views import error_response

        for status, title, check in ((414, URL_TOO_LONG, url_refusal), (413, TOO_LARGE, content_length_refusal)):
            detail = check(request)
            if detail is not None:
                response = error_response(request, status, title=title, message=detail)
                refusal_log(request, status=status, reason=detail, response=response)
                return response
        return self.get_response(request)
