"""Pages for communication preferences, the guarantor and privacy paperwork.

Thin like views.py: patients are opened with access_patient (audited), everything else goes
through the services and reads in paperwork.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires
from clinicdesk.core.text import sentence

from . import paperwork
from .access import access_patient
from .models import CommChannel, GuarantorKind
from .paperwork_forms import (
    CommPreferenceForm,
    ConsentForm,
    ConsentRevokeForm,
    GuarantorForm,
    NppForm,
    RestrictionDecideForm,
    RestrictionForm,
)

WRITE = Cap.PATIENT_DEMOGRAPHICS_WRITE


def _form_page(request: StaffRequest, patient, form, *, title: str, submit: str, intro: str = "") -> HttpResponse:
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "patient": patient, "title": title, "submit": submit, "intro": intro}
    return render(request, "patients/paperwork_form.html", context, status=status)


@requires(Cap.PATIENT_DEMOGRAPHICS_READ)
def privacy_page(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(
        actor=request.user, mrn=mrn, need=Cap.PATIENT_DEMOGRAPHICS_READ, purpose="privacy paperwork"
    )
    context = {
        "patient": patient,
        "npp": paperwork.npp_acknowledgments(patient=patient),
        "consents": paperwork.consents_all(patient=patient),
        "restrictions": paperwork.restrictions_all(patient=patient),
        "guarantors": paperwork.guarantor_history(patient=patient),
        "preference_changes": paperwork.comm_preference_history(patient=patient),
        "can_write": role_can(request.user.role, WRITE),
    }
    return render(request, "patients/privacy.html", context)


@requires(WRITE)
def communication_edit(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="communication preferences")
    current = {p.channel: p for p in paperwork.comm_preferences(patient=patient)}
    data = request.POST if request.method == "POST" else None
    forms = [
        CommPreferenceForm(
            data,
            channel=channel,
            channel_label=label,
            initial={name: getattr(current[channel], name) for name in paperwork.PREFERENCE_FIELDS},
        )
        for channel, label in CommChannel.choices
    ]
    if request.method == "POST" and all(form.is_valid() for form in forms):
        changed: list[str] = []
        try:
            # All channels or none: a clerk who fixes one error resubmits the whole page.
            with transaction.atomic():
                for form in forms:
                    try:
                        if paperwork.comm_preference_set(actor=request.user, patient=patient, data=form.to_input()):
                            changed.append(form.channel_label)
                    except ValidationError as exc:
                        apply_service_errors(form, exc)
                if any(form.errors for form in forms):
                    raise ValidationError("rolled back")
        except ValidationError:
            pass
        else:
            messages.success(request, f"Saved: {', '.join(changed)}." if changed else "Nothing changed.")
            return redirect("patients:detail", mrn=patient.mrn)
    status = 422 if request.method == "POST" else 200
    context = {
        "forms": forms,
        "has_errors": any(form.errors for form in forms),
        "patient": patient,
        "title": f"Communication · {patient.display_name}",
    }
    return render(request, "patients/communication_form.html", context, status=status)


@requires(WRITE)
def guarantor_edit(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="guarantor")
    current = paperwork.guarantor_current(patient=patient)
    initial: dict = {"kind": GuarantorKind.SELF}
    if current is not None:
        initial = {name: getattr(current, name) for name in ("kind", "relationship", *paperwork.PERSON_FIELDS)}
        initial["guarantor_mrn"] = current.guarantor_patient.mrn if current.guarantor_patient else ""
    form = GuarantorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            other = paperwork.guarantor_patient_find(actor=request.user, mrn=form.cleaned_data["guarantor_mrn"])
            data = paperwork.GuarantorInput(
                kind=form.cleaned_data["kind"],
                guarantor_patient=other,
                relationship=form.cleaned_data.get("relationship") or "",
                **form.person_values(),
            )
            saved = paperwork.guarantor_set(actor=request.user, patient=patient, data=data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, sentence(f"Guarantor: {saved.display_name}"))
            return redirect("patients:detail", mrn=patient.mrn)
    return _form_page(request, patient, form, title="Guarantor", submit="Save guarantor")


@requires(WRITE)
def npp_new(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="NPP acknowledgment")
    form = NppForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ack = paperwork.npp_acknowledge(actor=request.user, patient=patient, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Notice of Privacy Practices {ack.version}: {ack.get_method_display().lower()}.")
            return redirect("patients:detail", mrn=patient.mrn)
    return _form_page(request, patient, form, title="Notice of Privacy Practices", submit="Record")


@requires(WRITE)
def consent_new(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="record consent")
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = paperwork.consent_record(actor=request.user, patient=patient, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{consent.get_kind_display()} recorded.")
            return redirect("patients:detail", mrn=patient.mrn)
    return _form_page(request, patient, form, title="Record a consent", submit="Record consent")


@requires(WRITE)
def consent_revoke(request: StaffRequest, mrn: str, consent_id) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="revoke consent")
    consent = paperwork.consent_of(patient=patient, public_id=consent_id)
    form = ConsentRevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            paperwork.consent_revoke(
                actor=request.user,
                consent=consent,
                revoked_on=form.cleaned_data["revoked_on"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{consent.get_kind_display()} revoked; it stays in the history.")
            return redirect("patients:detail", mrn=patient.mrn)
    intro = f"{consent.get_kind_display()} signed {date_text(consent.signed_on)}"
    if consent.recipient_name:
        intro += f" · to {consent.recipient_name} ({consent.recipient_relationship})"
    return _form_page(request, patient, form, title="Revoke consent", submit="Revoke", intro=intro)


@requires(WRITE)
def restriction_new(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="restriction request")
    form = RestrictionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            paperwork.restriction_request(actor=request.user, patient=patient, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Restriction request recorded.")
            return redirect("patients:detail", mrn=patient.mrn)
    return _form_page(request, patient, form, title="Requested restriction", submit="Record request")


@requires(WRITE)
def restriction_decide(request: StaffRequest, mrn: str, restriction_id) -> HttpResponse:
    """Answer a pending request on the page, as `POST …/restrictions/{id}/decide` does in the API."""
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="restriction decision")
    restriction = paperwork.restriction_of(patient=patient, public_id=restriction_id)
    form = RestrictionDecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            answered = paperwork.restriction_decide(actor=request.user, restriction=restriction, agreed=form.answer())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Restriction request answered: {answered.status_display.lower()}.")
            return redirect("patients:detail", mrn=patient.mrn)
    intro = f"Requested {date_text(restriction.requested_on)}: {restriction.text}"
    if restriction.agreed is not None:
        intro += f" · Already answered: {restriction.status_display.lower()} by {restriction.decided_by}."
    return _form_page(request, patient, form, title="Answer a restriction request", submit="Record answer", intro=intro)
