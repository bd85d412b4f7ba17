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
