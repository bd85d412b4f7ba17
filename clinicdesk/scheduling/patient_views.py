"""The Appointments section of the patient page: upcoming visits, the last few past ones and a
Book button. The patients app shows it through its page-section registry (patients may not
import scheduling); this route answers htmx with the section and a plain request with a page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.guards import requires
from clinicdesk.patients.access import access_patient

from . import selectors


@requires(Cap.SCHEDULE_READ)
@require_GET
def patient_appointments(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.SCHEDULE_READ, purpose="appointments")
    found = selectors.patient_appointments_unchecked(patient=patient, now=clock.now())
    can_book = role_can(request.user.role, Cap.SCHEDULE_WRITE)
    context = {
        "patient": patient,
        "upcoming": found.upcoming,
        "past": found.past,
        "past_limit": selectors.PAST_APPOINTMENTS_SHOWN,
        "book_url": reverse("scheduling:book") + "?" + urlencode({"patient": patient.mrn}) if can_book else "",
    }
    htmx = getattr(request, "htmx", None)
    fragment = htmx is not None and bool(htmx) and not htmx.history_restore_request
    template = "scheduling/patient_appointments.html" + ("#section" if fragment else "")
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response
