"""One answer, for every page, to a restricted record opened without emergency access.

Every `access_*` function raises `EmergencyAccessRequired` when the record is restricted and
the person holds no live grant. Views do not catch it: this middleware turns it into the
break-the-glass form, with a way back to where the person was. The API answers the same
refusal as problem details (clinicdesk/api.py), so the rule lives in exactly two places, one
per kind of client.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .access import EmergencyAccessRequired


def _way_back(request: HttpRequest) -> str:
    """Where the person goes once the glass is broken (or they step back).

    A GET comes back to itself. A POST cannot be replayed from a redirect, so it comes back to
    the page the form was on (the Referer, when it is this site's), else the home page.
    """
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("home")


def emergency_access_url(request: HttpRequest, patient_id: str) -> str:
    """The break-the-glass form for `patient_id`, returning to where `request` came from."""
    form = reverse("accounts:emergency_access", args=[patient_id])
    return f"{form}?{urlencode({'next': _way_back(request)})}"


class EmergencyAccessMiddleware:
    """Send a refused read of a restricted record to the emergency-access form.

    A plain request is redirected; an htmx request gets `HX-Redirect`, so the whole page goes
    to the form instead of the form landing inside a fragment. API requests are left to the
    API's own handler (problem details).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, EmergencyAccessRequired) or request.path.startswith("/api/"):
            return None
        url = emergency_access_url(request, exception.patient_id)
        if request.headers.get("HX-Request") == "true":
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return HttpResponseRedirect(url)
