"""Right-of-access downloads from the chart: the FHIR bundle and the PDF summary."""

from __future__ import annotations

import json

from django.http import HttpResponse

from clinicdesk.accounts.access import EmergencyAccessRequired
from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.guards import requires

from .export import ExportFormat, PatientExport, patient_record_export
from .views import _break_glass


def _download(export: PatientExport) -> HttpResponse:
    if export.fhir is not None:
        response = HttpResponse(json.dumps(export.fhir, indent=2), content_type="application/fhir+json")
    else:
        response = HttpResponse(export.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    # A copy of a record must not linger in a shared browser's or proxy's cache.
    response["Cache-Control"] = "no-store"
    return response


def _export(request: StaffRequest, mrn: str, fmt: ExportFormat) -> HttpResponse:
    try:
        export = patient_record_export(actor=request.user, mrn=mrn, fmt=fmt)
    except EmergencyAccessRequired as exc:
        return _break_glass(request, exc)
    return _download(export)


@requires(Cap.PATIENT_EXPORT)
def patient_export_fhir(request: StaffRequest, mrn: str) -> HttpResponse:
    return _export(request, mrn, "fhir")


@requires(Cap.PATIENT_EXPORT)
def patient_export_pdf(request: StaffRequest, mrn: str) -> HttpResponse:
    return _export(request, mrn, "pdf")
