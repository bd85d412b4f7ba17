"""The clinical chart page (encounters newest first, problems, medications, allergies, the vitals
trend and open follow-ups) and the printed visit summary, for the people who read clinical
records (CLINICAL_NOTE_READ)."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.guards import requires
from clinicdesk.patients.access import access_patient

from .access import access_encounter
from .chart import chart_of, vitals_trends
from .selectors import encounter_of_patient
from .visit_summary import summary_facts, visit_summary_pdf


@requires(Cap.CLINICAL_NOTE_READ)
@require_GET
def chart_view(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_READ, purpose="clinical chart")
    if patient.mrn != mrn:  # a merged record's MRN: the survivor's chart
        return redirect("clinical:chart", mrn=patient.mrn)
    after = None
    if request.GET.get("older"):
        after = encounter_of_patient(patient=patient, public_id=request.GET["older"])
        if after is None:
            raise Http404
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


@requires(Cap.CLINICAL_NOTE_READ)
@require_GET
def visit_summary(request: StaffRequest, public_id: UUID) -> HttpResponse:
    """The visit summary PDF for the patient, in one click; audited as a print."""
    encounter = access_encounter(
        actor=request.user, public_id=public_id, need=Cap.CLINICAL_NOTE_READ, purpose="visit summary"
    )
    patient = encounter.patient
    facts = summary_facts(encounter)
    pdf = visit_summary_pdf(facts, now=clock.now())
    audit_record(
        actor=request.user, action=Action.PRINT, object_type=ObjectType.ENCOUNTER, object_id=str(encounter.public_id),
        patient_id=patient.mrn, detail="visit summary" + (" (preliminary)" if facts.preliminary else ""),
    )  # fmt: skip
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="visit-summary-{encounter.date_of_service:%Y-%m-%d}.pdf"'
    return response
