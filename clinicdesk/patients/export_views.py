"""Right-of-access copies from the chart: a form asks who receives the copy and how, then the
POST answers with the file (PDF or FHIR bundle) and records the disclosure.

Two pages, one per scope, each with its own capability: the registration-and-insurance copy
(patient.export: office manager, front desk) and the whole record with the clinical part
(patient.export.full: clinicians, who read note text). A GET only shows the form, so a link
followed twice, or prefetched, never hands out or records a copy.
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires

from .access import access_patient
from .disclosure_forms import ExportForm
from .export import ExportScope, PatientExport, patient_record_export
from .export.facts import PURPOSE


def _download(export: PatientExport) -> HttpResponse:
    if export.fhir is not None:
        response = HttpResponse(json.dumps(export.fhir, indent=2), content_type="application/fhir+json")
    else:
        response = HttpResponse(export.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    # A copy of a record must not linger in a shared browser's or proxy's cache.
    response["Cache-Control"] = "no-store"
    return response


def _export_page(request: StaffRequest, mrn: str, scope: ExportScope) -> HttpResponse:
    need = Cap.PATIENT_EXPORT_FULL if scope == ExportScope.FULL else Cap.PATIENT_EXPORT
    form = ExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            # The service opens (and audits) the record, checks the release, builds the file,
            # and records the export and the disclosure, all in one transaction.
            export = patient_record_export(
                actor=request.user, mrn=mrn, fmt=form.cleaned_data["format"], scope=scope, release=form.to_input()
            )
        except (ValidationError, PermissionDenied) as exc:
            apply_service_errors(form, exc)
        else:
            return _download(export)
    patient = access_patient(actor=request.user, mrn=mrn, need=need, purpose=PURPOSE)
    form.show_consents_of(patient)
    context = {"patient": patient, "form": form, "scope": scope, "full": scope == ExportScope.FULL}
    return render(request, "patients/export_form.html", context, status=422 if request.method == "POST" else 200)


@requires(Cap.PATIENT_EXPORT)
def patient_export(request: StaffRequest, mrn: str) -> HttpResponse:
    return _export_page(request, mrn, ExportScope.REGISTRATION)


@requires(Cap.PATIENT_EXPORT_FULL)
def patient_export_full(request: StaffRequest, mrn: str) -> HttpResponse:
    return _export_page(request, mrn, ExportScope.FULL)
