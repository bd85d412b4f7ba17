from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.guards import requires

from .access import access_patient_search
from .pick import PICK_LIMIT, pick_urls
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


@requires(Cap.PATIENT_DEMOGRAPHICS_READ)
@require_GET
def patient_pick(request: StaffRequest) -> HttpResponse:
    """htmx, from a form's patient box: the patients matching what is typed, each a link to the
    form's page (`pick_to`, this site only) with the form's other values kept and the patient
    chosen by MRN. An MRN typed in full needs no list (the form takes it as it is)."""
    name = request.GET.get("pick_field", "patient")[:40]
    to = request.GET.get("pick_to", "")
    if not to.startswith("/") or not url_has_allowed_host_and_scheme(to, allowed_hosts={request.get_host()}):
        to = request.path  # never a link off the site
    text = request.GET.get(name, "").strip()[:MAX_QUERY]
    result = None
    if text and not text.isdigit():
        result = access_patient_search(actor=request.user, text=text, limit=PICK_LIMIT)
    picks = pick_urls(result.hits, to=to, name=name, keep=request.GET) if result is not None else []
    context = {"pick_result": result, "picks": picks}
    response = render(request, "patient_search/picker.html#picks", context)
    patch_vary_headers(response, ("HX-Request",))
    return response
