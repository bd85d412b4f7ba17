"""The office manager's merge page: pick the duplicate by MRN, preview what moves, confirm."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.guards import requires

from .access import access_patient
from .merge import merge_alias_target, merge_preview, merge_refusal, patient_merge
from .models import Patient


@requires(Cap.PATIENT_MERGE)
def patient_merge_page(request: StaffRequest, mrn: str) -> HttpResponse:
    """GET: choose and preview (`?merge=<MRN>`); POST with `confirm`: merge that record into this one."""
    survivor = access_patient(actor=request.user, mrn=mrn, need=Cap.PATIENT_MERGE, purpose="merge")
    if survivor.mrn != mrn:
        return redirect("patients:merge", mrn=survivor.mrn)
    source = request.POST if request.method == "POST" else request.GET
    other = source.get("merge", "").strip()[:20]
    error = ""
    merged: Patient | None = None
    if other:
        if target := merge_alias_target(other):
            error = f"Record {other} was already merged into {target}; it cannot be merged again."
        else:
            try:
                merged = access_patient(actor=request.user, mrn=other, need=Cap.PATIENT_MERGE, purpose="merge")
            except Http404:
                error = "No patient has that MRN. Check the eight digits."
            if merged is not None and (refusal := merge_refusal(survivor=survivor, merged=merged)):
                error, merged = refusal, None
    if request.method == "POST" and merged is not None and request.POST.get("confirm"):
        try:
            patient_merge(actor=request.user, survivor=survivor, merged=merged)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"{other} was merged into {survivor.mrn}; its MRN now opens this chart.")
            return redirect("patients:detail", mrn=survivor.mrn)
    context = {
        "patient": survivor,
        "other": other,
        "merged": merged,
        "preview": merge_preview(merged=merged) if merged is not None else [],
        "error": error,
    }
    return render(request, "patients/merge.html", context, status=422 if error and request.method == "POST" else 200)
