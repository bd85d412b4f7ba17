"""Pages of the patient's lists: problems, encounter diagnoses, medications and prescriptions,
allergies.

Thin: records are opened through access.py (capability, restricted record, one audited
read), each POST calls one service, invalid input re-renders the page with the messages next
to the fields and status 422, and success redirects back to the list (post/redirect/get).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires
from clinicdesk.patients.access import access_patient

from . import allergies as allergy_services
from . import medications as medication_services
from . import problems as problem_services
from .access import (
    access_allergy,
    access_encounter,
    access_medication,
    access_prescription,
    access_problem,
    sees_narrative,
)
from .list_forms import (
    AllergyForm,
    DiagnosesForm,
    MedicationForm,
    MedicationStopForm,
    OptionalReasonForm,
    PrescriptionForm,
    ProblemForm,
    ReasonForm,
    ResolveForm,
)
from .models import MedicationStatus, ProblemStatus
from .prescription_pdf import prescription_pdf


def _status(request: HttpRequest) -> int:
    return 422 if request.method == "POST" else 200


# --- Problems --------------------------------------------------------------------------------


def _problems_page(request: StaffRequest, patient, form: ProblemForm | None, status: int = 200) -> HttpResponse:
    can_write = role_can(request.user.role, Cap.CLINICAL_NOTE_WRITE)
    if form is None and can_write:
        form = ProblemForm()
    context = {
        "patient": patient,
        "problems": problem_services.problems_of(patient=patient, include_in_error=True),
        "form": form,
        "can_write": can_write,
        "sees_narrative": sees_narrative(request.user),
        "statuses": ProblemStatus,
        "today": clock.today(),
    }
    return render(request, "clinical/problem_list.html", context, status=status)


@requires(Cap.CLINICAL_CODES_READ)
@require_GET
def problems(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_CODES_READ, purpose="problem list")
    return _problems_page(request, patient, None)


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def problem_add(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_WRITE, purpose="add problem")
    form = ProblemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = problem_services.problem_add(
                actor=request.user,
                patient=patient,
                code=form.cleaned_data["code"],
                onset=form.cleaned_data.get("onset"),
                note=form.cleaned_data.get("note", ""),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{added.code} added to the problem list.")
            return redirect("clinical:problems", mrn=patient.mrn)
    return _problems_page(request, patient, form, _status(request))


def _row_action(
    request: StaffRequest, open_row, *, name: str, list_view: str, form_class, title: str, button: str, act,
    template: str, errors: tuple[type[ValidationError] | type[PermissionDenied], ...] = (ValidationError,),
) -> HttpResponse:  # fmt: skip
    """The confirm-and-act page of one list entry (resolve a problem, stop a medication...).

    `open_row()` fetches the entry through its access function; `act(row, data)` does the change
    and answers the success message, or a response of its own (a PDF). Refusals in `errors`
    land on the form; success goes back to the patient's list `list_view`.
    """
    row = open_row()
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = act(row, form.cleaned_data)
        except errors as exc:
            apply_service_errors(form, exc)
        else:
            if isinstance(done, HttpResponse):
                return done
            messages.success(request, done)
            return redirect(list_view, mrn=row.patient.mrn)
    context = {"patient": row.patient, name: row, "form": form, "title": title, "button": button}
    return render(request, template, context, status=_status(request))


def _problem_action(
    request: StaffRequest, mrn: str, problem_id, *, purpose: str, form_class, title: str, button: str, act
) -> HttpResponse:
    return _row_action(
        request,
        lambda: access_problem(
            actor=request.user, mrn=mrn, public_id=problem_id, need=Cap.CLINICAL_NOTE_WRITE, purpose=purpose
        ),
        name="problem", list_view="clinical:problems", form_class=form_class, title=title, button=button, act=act,
        template="clinical/problem_action.html",
    )  # fmt: skip


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def problem_resolve(request: StaffRequest, mrn: str, problem_id) -> HttpResponse:
    def act(problem, data):
        problem_services.problem_resolve(actor=request.user, problem=problem, resolved_on=data["resolved_on"])
        return f"{problem.code} marked resolved."

    return _problem_action(
        request, mrn, problem_id, purpose="resolve problem", form_class=ResolveForm,
        title="Resolve a problem", button="Mark resolved", act=act,
    )  # fmt: skip


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def problem_in_error(request: StaffRequest, mrn: str, problem_id) -> HttpResponse:
    def act(problem, data):
        problem_services.problem_mark_in_error(actor=request.user, problem=problem, reason=data["reason"])
        return f"{problem.code} marked entered in error."

    return _problem_action(
        request, mrn, problem_id, purpose="problem in error", form_class=ReasonForm,
        title="Mark a problem entered in error", button="Mark entered in error", act=act,
    )  # fmt: skip


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_POST
def problem_reactivate(request: StaffRequest, mrn: str, problem_id) -> HttpResponse:
    problem = access_problem(
        actor=request.user,
        mrn=mrn,
        public_id=problem_id,
        need=Cap.CLINICAL_NOTE_WRITE,
        purpose="reactivate problem",
    )
    try:
        problem_services.problem_reactivate(actor=request.user, problem=problem)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{problem.code} is active again.")
    return redirect("clinical:problems", mrn=problem.patient.mrn)


# --- Encounter diagnoses ---------------------------------------------------------------------


def _diagnoses_context(request: StaffRequest, encounter) -> dict[str, Any]:
    active = [p for p in problem_services.problems_of(patient=encounter.patient) if p.status == ProblemStatus.ACTIVE]
    return {
        "encounter": encounter,
        "patient": encounter.patient,
        "diagnoses": problem_services.encounter_diagnoses(encounter=encounter),
        "active_problems": active,
        "can_write": role_can(request.user.role, Cap.CLINICAL_NOTE_WRITE),
    }


@requires(Cap.CLINICAL_CODES_READ)
@require_GET
def encounter_diagnoses(request: StaffRequest, encounter_id) -> HttpResponse:
    encounter = access_encounter(
        actor=request.user, public_id=encounter_id, need=Cap.CLINICAL_CODES_READ, purpose="diagnoses"
    )
    return render(request, "clinical/diagnosis_list.html", _diagnoses_context(request, encounter))


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def encounter_diagnoses_edit(request: StaffRequest, encounter_id) -> HttpResponse:
    """GET: the twelve boxes, filled with the current diagnoses (or, with ?from=problems, the
    active problem list); POST: replace the diagnoses."""
    encounter = access_encounter(
        actor=request.user, public_id=encounter_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="set diagnoses"
    )
    context = _diagnoses_context(request, encounter)
    if request.method == "POST":
        form = DiagnosesForm(request.POST)
        if form.is_valid():
            try:
                rows = problem_services.encounter_diagnoses_set(
                    actor=request.user, encounter=encounter, diagnoses=form.to_inputs()
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"Diagnoses saved ({len(rows)}).")
                return redirect("clinical:encounter_diagnoses", encounter_id=encounter.public_id)
    else:
        if request.GET.get("from") == "problems":
            codes = [p.code for p in context["active_problems"]]
        else:
            codes = [d.code for d in context["diagnoses"]]
        form = DiagnosesForm(initial={f"dx_{n}": code for n, code in enumerate(codes[:12], start=1)})
    context["form"] = form
    return render(request, "clinical/diagnosis_form.html", context, status=_status(request))


# --- Medications and prescriptions -----------------------------------------------------------


def _medications_page(request: StaffRequest, patient, form: MedicationForm | None, status: int = 200) -> HttpResponse:
    can_write = role_can(request.user.role, Cap.CLINICAL_NOTE_WRITE)
    if form is None and can_write:
        form = MedicationForm()
    active, past = medication_services.medications_of(patient=patient)
    context = {
        "patient": patient,
        "active": active,
        "past": past,
        "prescriptions": medication_services.prescriptions_of(patient=patient),
        "form": form,
        "can_write": can_write,
        "can_prescribe": role_can(request.user.role, Cap.CLINICAL_NOTE_SIGN),
        "statuses": MedicationStatus,
    }
    return render(request, "clinical/medication_list.html", context, status=status)


@requires(Cap.CLINICAL_NOTE_READ)
@require_GET
def medications(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_READ, purpose="medications")
    return _medications_page(request, patient, None)


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def medication_add(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_WRITE, purpose="add medication")
    form = MedicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = medication_services.medication_add(actor=request.user, patient=patient, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{added} added to the medication list.")
            return redirect("clinical:medications", mrn=patient.mrn)
    return _medications_page(request, patient, form, _status(request))


def _medication_action(
    request: StaffRequest, mrn: str, medication_id, *, need: str, purpose: str, form_class, title: str, button: str,
    act, template: str = "clinical/medication_action.html",
) -> HttpResponse:  # fmt: skip
    return _row_action(
        request,
        lambda: access_medication(actor=request.user, mrn=mrn, public_id=medication_id, need=need, purpose=purpose),
        name="medication", list_view="clinical:medications", form_class=form_class, title=title, button=button,
        act=act, template=template, errors=(ValidationError, PermissionDenied),
    )  # fmt: skip


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def medication_stop(request: StaffRequest, mrn: str, medication_id) -> HttpResponse:
    def act(medication, data):
        medication_services.medication_stop(
            actor=request.user, medication=medication, stop_date=data["stop_date"], reason=data["reason"]
        )
        return f"{medication} stopped."

    return _medication_action(
        request, mrn, medication_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="stop medication",
        form_class=MedicationStopForm, title="Stop a medication", button="Stop medication", act=act,
    )  # fmt: skip


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def medication_in_error(request: StaffRequest, mrn: str, medication_id) -> HttpResponse:
    def act(medication, data):
        medication_services.medication_mark_in_error(actor=request.user, medication=medication, reason=data["reason"])
        return f"{medication} marked entered in error."

    return _medication_action(
        request, mrn, medication_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="medication in error",
        form_class=ReasonForm, title="Mark a medication entered in error", button="Mark entered in error", act=act,
    )  # fmt: skip


@requires(Cap.CLINICAL_NOTE_SIGN)
@require_http_methods(["GET", "POST"])
def prescription_new(request: StaffRequest, mrn: str, medication_id) -> HttpResponse:
    """Write a prescription for a medication (directions, quantity and refills start as the
    medication's), then go to the list, where the PDF is one click away."""

    def act(medication, data):
        written = medication_services.prescription_write(
            actor=request.user,
            medication=medication,
            directions=data["directions"],
            quantity=data["quantity"],
            refills=data["refills"],
            dispense_as_written=data.get("dispense_as_written", False),
        )
        messages.success(request, f"Prescription written for {medication}. Print it below.")
        return redirect(f"{reverse('clinical:medications', args=[medication.patient.mrn])}#rx-{written.public_id}")

    if request.method == "GET":
        medication = access_medication(
            actor=request.user, mrn=mrn, public_id=medication_id, need=Cap.CLINICAL_NOTE_SIGN,
            purpose="write prescription",
        )  # fmt: skip
        initial = {"directions": medication.directions, "quantity": medication.quantity, "refills": medication.refills}
        form = PrescriptionForm(initial=initial)
        context = {
            "patient": medication.patient, "medication": medication, "form": form,
            "title": "Write a prescription", "button": "Write prescription",
        }  # fmt: skip
        return render(request, "clinical/prescription_form.html", context)
    return _medication_action(
        request, mrn, medication_id, need=Cap.CLINICAL_NOTE_SIGN, purpose="write prescription",
        form_class=PrescriptionForm, title="Write a prescription", button="Write prescription", act=act,
        template="clinical/prescription_form.html",
    )  # fmt: skip


@requires(Cap.CLINICAL_NOTE_READ)
@require_GET
def prescription_download(request: StaffRequest, mrn: str, prescription_id) -> HttpResponse:
    """The prescription as a PDF for the patient; recorded as a print of the record."""
    prescription = access_prescription(
        actor=request.user, mrn=mrn, public_id=prescription_id, need=Cap.CLINICAL_NOTE_READ,
        purpose="print prescription",
    )  # fmt: skip
    pdf = prescription_pdf(prescription=prescription, printed_at=clock.now())
    medication_services.prescription_printed(actor=request.user, prescription=prescription)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"prescription-{prescription.medication.patient.mrn}-{prescription.written_on:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Allergies -------------------------------------------------------------------------------


def _allergies_page(request: StaffRequest, patient, form: AllergyForm | None, status: int = 200) -> HttpResponse:
    can_write = role_can(request.user.role, Cap.CLINICAL_NOTE_WRITE)
    if form is None and can_write:
        form = AllergyForm()
    active, past = allergy_services.allergies_of(patient=patient)
    context = {
        "patient": patient,
        "active": active,
        "past": past,
        "has_active_allergy": any(not a.no_known_allergies for a in active),
        "has_nka": any(a.no_known_allergies for a in active),
        "form": form,
        "can_write": can_write,
    }
    return render(request, "clinical/allergy_list.html", context, status=status)


@requires(Cap.CLINICAL_NOTE_READ)
@require_GET
def allergies(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_READ, purpose="allergies")
    return _allergies_page(request, patient, None)


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def allergy_add(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_WRITE, purpose="add allergy")
    form = AllergyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = allergy_services.allergy_add(actor=request.user, patient=patient, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Allergy to {added.substance} added.")
            return redirect("clinical:allergies", mrn=patient.mrn)
    return _allergies_page(request, patient, form, _status(request))


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_POST
def allergy_nka(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(
        actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_WRITE, purpose="record no known allergies"
    )
    try:
        allergy_services.allergy_record_nka(actor=request.user, patient=patient)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _allergies_page(request, patient, None, 409)
    messages.success(request, "No known allergies recorded.")
    return redirect("clinical:allergies", mrn=patient.mrn)


def _allergy_action(
    request: StaffRequest, mrn: str, allergy_id, *, purpose: str, form_class, title: str, button: str, act
) -> HttpResponse:
    return _row_action(
        request,
        lambda: access_allergy(
            actor=request.user, mrn=mrn, public_id=allergy_id, need=Cap.CLINICAL_NOTE_WRITE, purpose=purpose
        ),
        name="allergy", list_view="clinical:allergies", form_class=form_class, title=title, button=button, act=act,
        template="clinical/allergy_action.html",
    )  # fmt: skip


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def allergy_inactivate(request: StaffRequest, mrn: str, allergy_id) -> HttpResponse:
    def act(allergy, data):
        allergy_services.allergy_inactivate(actor=request.user, allergy=allergy, reason=data.get("reason", ""))
        return f"{allergy} is now inactive."

    return _allergy_action(
        request, mrn, allergy_id, purpose="inactivate allergy", form_class=OptionalReasonForm,
        title="Inactivate an allergy", button="Inactivate", act=act,
    )  # fmt: skip


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def allergy_in_error(request: StaffRequest, mrn: str, allergy_id) -> HttpResponse:
    def act(allergy, data):
        allergy_services.allergy_mark_in_error(actor=request.user, allergy=allergy, reason=data["reason"])
        return f"{allergy} marked entered in error."

    return _allergy_action(
        request, mrn, allergy_id, purpose="allergy in error", form_class=ReasonForm,
        title="Mark an allergy entered in error", button="Mark entered in error", act=act,
    )  # fmt: skip
