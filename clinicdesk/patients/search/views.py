from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.guards import requires

from .access import access_patient_search
from .query import MAX_QUERY


@requires(Cap.PATIENT_DEMOGRAPHICS_READ)
def patient_search_page(request: StaffRequest) -> HttpResponse:
    """The search page; with `?q=` it shows results. htmx asks for the results fragment only."""
    text = request.GET.get("q", "")[:MAX_QUERY]
    result = access_patient_search(actor=request.user, text=text)
    context = {
        "q": text,
        "result": result,
        "can_register": role_can(request.user.role, Cap.PATIENT_DEMOGRAPHICS_WRITE),
    }
    htmx = getattr(request, "htmx", None)
    fragment = htmx is not None and bool(htmx) and not htmx.history_restore_request
    template = "patient_search/search.html#results" if fragment else "patient_search/search.html"
    response = render(request, template, context)
    # The same URL answers a page or a fragment, so caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response
