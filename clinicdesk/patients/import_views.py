from __future__ import annotations

import csv

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinicdesk.core import csvsafe
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires

from .import_jobs import import_job_create
from .selectors import import_job_get, import_jobs_recent


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Patient list (CSV, UTF-8)",
        help_text="See the column names in docs/patient-import.md. Bad rows are listed, not lost.",
    )


@requires(Cap.PATIENT_IMPORT)
def import_upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(actor=request.user, upload=form.cleaned_data["file"])  # type: ignore[arg-type]  # cleaned_data is untyped; the form's FileField guarantees an UploadedFile
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("patients:import_job", public_id=job.public_id)
    status = 422 if request.method == "POST" else 200
    return render(request, "patients/import_upload.html", {"form": form, "jobs": import_jobs_recent()}, status=status)


@requires(Cap.PATIENT_IMPORT)
def import_job(request: HttpRequest, public_id: str) -> HttpResponse:
    job = import_job_get(public_id=public_id)
    if job is None:
        raise Http404
    template = "patients/import_job.html#progress" if getattr(request, "htmx", False) else "patients/import_job.html"
    return render(request, template, {"job": job})


@requires(Cap.PATIENT_IMPORT)
def import_rejects(request: HttpRequest, public_id: str) -> HttpResponse:
    job = import_job_get(public_id=public_id)
    if job is None or job.rejected_count == 0:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    # Written through csvsafe already; passed through it again so that a rejects file written
    # before cells were escaped (an import from an older version) is safe to open too.
    writer = csvsafe.writer(response)
    with open(job.rejects_path, encoding="utf-8", newline="") as rejects:
        writer.writerows(csv.reader(rejects))
    response["Content-Disposition"] = f'attachment; filename="rejects-{job.original_name}"'
    return response
