"""Pages for the payer directory and for a patient's coverages (add, end, history).

Thin like views.py: patients are opened with access_patient (audited), everything else goes
through the services and reads in coverage.py and payers.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires

from . import coverage, payers
from .access import access_patient
from .coverage_forms import CoverageEndForm, CoverageForm, PayerForm


@requires(Cap.BILLING_PAYER_MANAGE)
def payer_list_view(request: StaffRequest) -> HttpResponse:
    return render(request, "patients/payer_list.html", {"payers": payers.payer_list()})


@requires(Cap.BILLING_PAYER_MANAGE)
def payer_new(request: StaffRequest) -> HttpResponse:
    form = PayerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payer = payers.payer_create(actor=request.user, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{payer.name} added to the payer directory.")
            return redirect("payers:list")
    status = 422 if request.method == "POST" else 200
    return render(request, "patients/payer_form.html", {"form": form, "title": "Add a payer"}, status=status)


@requires(Cap.BILLING_PAYER_MANAGE)
def payer_edit(request: StaffRequest, public_id) -> HttpResponse:
    payer = payers.payer_get(public_id=public_id)
    initial = {name: getattr(payer, name) for name in payers.PAYER_FIELDS}
    form = PayerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = payers.payer_update(actor=request.user, payer=payer, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Saved: {', '.join(changed)}." if changed else "Nothing changed.")
            return redirect("payers:list")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "payer": payer, "title": f"Edit {payer.name}"}
    return render(request, "patients/payer_form.html", context, status=status)


@requires(Cap.PATIENT_COVERAGE_WRITE)
def coverage_new(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.PATIENT_COVERAGE_WRITE, purpose="add coverage")
    form = CoverageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = coverage.coverage_add(actor=request.user, patient=patient, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{added.get_priority_display()} coverage with {added.payer.name} added.")
            return redirect("patients:detail", mrn=patient.mrn)
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        "patient": patient,
        "active": coverage.coverages_active(patient=patient),
        "title": f"Add coverage · {patient.display_name}",
    }
    return render(request, "patients/coverage_form.html", context, status=status)


@requires(Cap.PATIENT_COVERAGE_WRITE)
def coverage_end(request: StaffRequest, mrn: str, coverage_id) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.PATIENT_COVERAGE_WRITE, purpose="end coverage")
    ending = coverage.coverage_of(patient=patient, public_id=coverage_id)
    form = CoverageEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            coverage.coverage_end(
                actor=request.user,
                coverage=ending,
                end_date=form.cleaned_data["end_date"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{ending.get_priority_display()} coverage with {ending.payer.name} ended.")
            return redirect("patients:detail", mrn=patient.mrn)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "patient": patient, "coverage": ending, "title": "End coverage"}
    return render(request, "patients/coverage_end.html", context, status=status)


@requires(Cap.PATIENT_DEMOGRAPHICS_READ)
def coverage_history(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, purpose="coverage history")
    context = {
        "patient": patient,
        "coverages": coverage.coverages_all(patient=patient),
        "can_write": role_can(request.user.role, Cap.PATIENT_COVERAGE_WRITE),
    }
    return render(request, "patients/coverage_history.html", context)
