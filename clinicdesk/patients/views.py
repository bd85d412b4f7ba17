from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires

from . import services
from .access import access_patient
from .coverage import coverages_active
from .duplicates import access_likely_duplicates
from .forms import PatientForm
from .page_sections import patient_sections_for
from .paperwork import paperwork_summary
from .selectors import patient_changes, patient_is_restricted


def _initial(patient) -> dict:
    initial = {name: getattr(patient, name) for name in services.PLAIN_FIELDS}
    for field_name, kind in PatientForm.PHONE_FIELDS.items():
        phone = next((p for p in patient.phones.all() if p.kind == kind), None)
        initial[field_name] = phone.display if phone else ""
    initial["restricted"] = patient_is_restricted(patient=patient)
    return initial


@requires(Cap.PATIENT_DEMOGRAPHICS_WRITE)
def patient_new(request: StaffRequest) -> HttpResponse:
    can_restrict = role_can(request.user.role, Cap.PATIENT_RESTRICT)
    form = PatientForm(request.POST if request.method == "POST" else None, can_restrict=can_restrict)
    if request.method == "POST" and form.is_valid():
        data = form.to_input()
        # Warn before saving; a "different person" confirmation (not_a_duplicate) skips the check.
        if not request.POST.get("not_a_duplicate") and not services.patient_problems(data=data):
            duplicates = access_likely_duplicates(actor=request.user, data=data)
            if duplicates:
                context = {"form": form, "title": "Register a patient", "duplicates": duplicates}
                return render(request, "patients/form.html", context)
        try:
            patient = services.patient_register(actor=request.user, data=data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{patient.display_name} registered with MRN {patient.mrn}.")
            return redirect("patients:detail", mrn=patient.mrn)
    elif request.method == "POST":
        form.add_service_problems()
    status = 422 if request.method == "POST" else 200
    return render(request, "patients/form.html", {"form": form, "title": "Register a patient"}, status=status)


@requires(Cap.PATIENT_DEMOGRAPHICS_READ)
def patient_detail(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn)
    if patient.mrn != mrn:  # a merged record's MRN: show the survivor under its own MRN
        return redirect("patients:detail", mrn=patient.mrn)
    return render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "phones": list(patient.phones.all()),
            "restricted": patient_is_restricted(patient=patient),
            "can_edit": role_can(request.user.role, Cap.PATIENT_DEMOGRAPHICS_WRITE),
            "can_see_history": role_can(request.user.role, Cap.PATIENT_HISTORY_READ),
            "can_export": role_can(request.user.role, Cap.PATIENT_EXPORT),
            "can_export_full": role_can(request.user.role, Cap.PATIENT_EXPORT_FULL),
            "can_read_disclosures": role_can(request.user.role, Cap.PATIENT_DISCLOSURE_READ),
            "can_record_disclosure": role_can(request.user.role, Cap.PATIENT_DISCLOSURE_RECORD),
            "coverages": coverages_active(patient=patient),
            "can_write_coverage": role_can(request.user.role, Cap.PATIENT_COVERAGE_WRITE),
            "paperwork": paperwork_summary(patient=patient),
            "can_merge": role_can(request.user.role, Cap.PATIENT_MERGE),
            # The clinical chart is a page of the clinical app, linked by name only (no import upward).
            "can_read_clinical": role_can(request.user.role, Cap.CLINICAL_NOTE_READ),
            # Appointments and other apps' parts, loaded by htmx from their own (audited) routes.
            "sections": patient_sections_for(role=request.user.role, mrn=patient.mrn),
        },
    )


@requires(Cap.PATIENT_DEMOGRAPHICS_WRITE)
def patient_edit(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.PATIENT_DEMOGRAPHICS_WRITE)
    can_restrict = role_can(request.user.role, Cap.PATIENT_RESTRICT)
    form = PatientForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(patient),
        can_restrict=can_restrict,
        ssn_on_file=patient.ssn_masked,
    )
    if request.method == "POST" and not form.is_valid():
        form.add_service_problems()
    elif request.method == "POST":
        try:
            changed = services.patient_update(actor=request.user, patient=patient, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Saved: {', '.join(changed)}." if changed else "Nothing changed.")
            return redirect("patients:detail", mrn=patient.mrn)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "patient": patient, "title": f"Edit {patient.display_name}"}
    return render(request, "patients/form.html", context, status=status)


@requires(Cap.PATIENT_HISTORY_READ)
def patient_history(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.PATIENT_HISTORY_READ, purpose="change history")
    return render(request, "patients/history.html", {"patient": patient, "changes": patient_changes(patient=patient)})
