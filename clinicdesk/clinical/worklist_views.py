"""Worklist pages the home page's clinical numbers open: vitals to take at a location today, and
a clinician's notes to sign and co-signatures waiting. Thin: parse, call one access function, render.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.guards import requires
from clinicdesk.scheduling import selectors_calendar as cal

from . import worklists


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_GET
def vitals_due(request: StaffRequest) -> HttpResponse:
    """Patients in the building today at ?location= (else the first location) with no vitals yet."""
    wanted = request.GET.get("location", "")
    location = (cal.location_for(public_id=wanted) if wanted else None) or cal.active_locations().first()
    found = worklists.access_vitals_due(actor=request.user, location=location, now=clock.now()) if location else None
    context = {
        "location": location,
        "locations": cal.active_locations(),
        "found": found,
        "zone": cal.zone_of(location) if location else None,
    }
    return render(request, "clinical/vitals_due.html", context)


@requires(Cap.CLINICAL_NOTE_SIGN)
@require_GET
def note_worklist(request: StaffRequest) -> HttpResponse:
    """?show=to_sign (default): the signed-in clinician's draft notes; ?show=to_cosign: notes waiting
    for a co-signature that they may give."""
    show = request.GET.get("show", worklists.TO_SIGN)
    if show not in worklists.NOTE_SHOWS:
        show = worklists.TO_SIGN
    found = worklists.access_note_worklist(actor=request.user, show=show, now=clock.now())
    context = {"found": found, "shows": worklists.NOTE_SHOWS, "title": worklists.NOTE_SHOWS[show]}
    return render(request, "clinical/note_worklist.html", context)
