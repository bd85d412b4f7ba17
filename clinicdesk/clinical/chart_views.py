"""The clinical chart page: encounters newest first, problems, medications, allergies, the vitals
trend and open follow-ups, for the people who read clinical records (CLINICAL_NOTE_READ)."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.guards import requires
from clinicdesk.patients.views import open_chart

from .chart import chart_of, vitals_trends
from .models import Encounter


@requires(Cap.CLINICAL_NOTE_READ)
@require_GET
def chart_view(request: StaffRequest, mrn: str) -> HttpResponse:
    patient, refused = open_chart(request, mrn, need=Cap.CLINICAL_NOTE_READ, purpose="clinical chart")
    if refused:
        return refused
    if patient.mrn != mrn:  # a merged record's MRN: the survivor's chart
        return redirect("clinical:chart", mrn=patient.mrn)
    after = None
    if request.GET.get("older"):
        try:
            after = Encounter.objects.get(patient=patient, public_id=UUID(request.GET["older"]))
        except (ValueError, Encounter.DoesNotExist) as exc:
            raise Http404 from exc
    chart = chart_of(patient, after=after)
    context = {
        "chart": chart,
        "patient": patient,
        "trends": vitals_trends(chart.vitals),
        "latest_vitals": chart.vitals[-1] if chart.vitals else None,
        "can_write": role_can(request.user.role, Cap.CLINICAL_NOTE_WRITE),
        "older_page": after is not None,
    }
    return render(request, "clinical/chart.html", context)
