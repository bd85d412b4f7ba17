"""The accounting of disclosures of one patient: the page, its PDF, and recording a disclosure
made outside ClinicDesk. Patients are opened with access_patient (audited); writes and reads go
through disclosures.py."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires

from . import disclosures
from .access import access_patient
from .disclosure_forms import DisclosureForm, PeriodForm
from .models import Patient

PURPOSE = disclosures.ACCOUNTING_PURPOSE


def _period(request: StaffRequest) -> tuple[PeriodForm, date | None, date, bool]:
    """The period asked for in the query string, or the six years up to today.

    A wrong date is shown next to its field and the default period is used meanwhile.
    """
    default_since, today = disclosures.accounting_period()
    form = PeriodForm(request.GET or {"since": f"{date_text(default_since)}", "until": f"{date_text(today)}"})
    if not form.is_valid():
        return form, default_since, today, False
    data = form.cleaned_data
    return form, data.get("since"), data.get("until") or today, bool(data.get("accounting_only"))


def _rows(patient: Patient, since: date | None, until: date, accounting_only: bool):
    return list(disclosures.disclosures_of(patient=patient, since=since, until=until, accounting_only=accounting_only))


@requires(Cap.PATIENT_DISCLOSURE_READ)
def disclosure_list(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.PATIENT_DISCLOSURE_READ, purpose=PURPOSE)
    if patient.mrn != mrn:  # a merged record's MRN: the survivor holds its disclosures now
        return redirect("patients:disclosures", mrn=patient.mrn)
    form, since, until, accounting_only = _period(request)
    context = {
        "patient": patient,
        "form": form,
        "since": since,
        "until": until,
        "rows": _rows(patient, since, until, accounting_only),
        "query": request.GET.urlencode(),
        "can_record": role_can(request.user.role, Cap.PATIENT_DISCLOSURE_RECORD),
        "can_open_chart": role_can(request.user.role, Cap.PATIENT_DEMOGRAPHICS_READ),
    }
    return render(request, "patients/disclosures.html", context, status=200 if form.is_valid() else 422)


@requires(Cap.PATIENT_DISCLOSURE_READ)
def disclosure_pdf(request: StaffRequest, mrn: str) -> HttpResponse:
    _form, since, until, accounting_only = _period(request)
    patient, content = disclosures.accounting_print(
        actor=request.user, mrn=mrn, since=since, until=until, accounting_only=accounting_only
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{disclosures.accounting_filename(patient)}"'
    response["Cache-Control"] = "no-store"
    return response


@requires(Cap.PATIENT_DISCLOSURE_RECORD)
def disclosure_new(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(
        actor=request.user, mrn=mrn, need=Cap.PATIENT_DISCLOSURE_RECORD, purpose="record a disclosure"
    )
    form = DisclosureForm(request.POST if request.method == "POST" else None, initial={"disclosed_on": clock.today()})
    form.show_consents_of(patient)
    if request.method == "POST" and form.is_valid():
        try:
            disclosures.disclosure_record(actor=request.user, patient=patient, data=form.to_disclosure())
        except (ValidationError, PermissionDenied) as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Disclosure recorded. It stays in the accounting for at least six years.")
            if role_can(request.user.role, Cap.PATIENT_DISCLOSURE_READ):
                return redirect("patients:disclosures", mrn=patient.mrn)
            return redirect("patients:detail", mrn=patient.mrn)
    context = {
        "form": form,
        "patient": patient,
        "title": "Record a disclosure",
        "submit": "Record disclosure",
        "intro": "A disclosure of this patient's information made outside ClinicDesk: a chart faxed or mailed, a "
        "report to the health department, records given under a subpoena. Copies made with the chart's copy "
        "buttons are recorded by themselves.",
    }
    return render(request, "patients/paperwork_form.html", context, status=422 if request.method == "POST" else 200)
