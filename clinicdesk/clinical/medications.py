"""Medications the patient takes, and prescriptions written for them (printed, never sent).

Rules (docs/clinical-lists.md says the same for people):

- A medication is added (name required; refills 0-99; stop date on or after start date; the
  prescriber, when named, an active provider), then stopped (date and reason) or marked
  entered in error (reason). It is never edited or deleted: a new dose is a new medication.
- A prescription is written for an active medication by a clinician who holds the signing
  capability and is a provider (the prescriber, whose NPI is printed). It records what was
  printed: directions, quantity, refills and dispense-as-written. It never changes.
- Audit events name public ids and field names only, never drug names or directions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.errors import Conflict
from clinicdesk.patients.models import Patient
from clinicdesk.scheduling.models import Provider

from .models import Encounter, Medication, MedicationStatus, Prescription
from .problems import clean_text

MAX_REFILLS = 99
T = TypeVar("T")


@dataclass
class MedicationInput:
    """What the add-medication form or API sends; strings as typed, the service cleans them."""

    name: str
    strength: str = ""
    form: str = ""
    directions: str = ""
    quantity: str = ""
    refills: int | None = 0
    prescriber: Provider | None = None
    start_date: date | None = None
    stop_date: date | None = None
    encounter: Encounter | None = None


def _refills(value: int | None, *, field: str = "refills") -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: "Enter the number of refills as a whole number from 0 to 99."})
    if not 0 <= value <= MAX_REFILLS:
        raise ValidationError({field: f"Refills must be from 0 to {MAX_REFILLS} (got {value})."})
    return value


def _collect(errors: dict[str, list[str]], check: Callable[[], T], default: T) -> T:
    """`check()`, or `default` with its ValidationError's messages put into `errors` (so that
    every problem comes back at once)."""
    try:
        return check()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
        return default


@transaction.atomic
def medication_add(*, actor: User, patient: Patient, data: MedicationInput) -> Medication:
    """Add a medication to the patient's list. All problems come back at once, each on its field."""
    errors: dict[str, list[str]] = {}
    required = "Enter the medication's name, e.g. metformin."
    name = _collect(errors, lambda: clean_text(data.name, field="name", max_length=200, required=required), "")
    texts: dict[str, str] = {}
    for field, limit in (("strength", 60), ("form", 40), ("directions", 300), ("quantity", 40)):
        try:
            texts[field] = clean_text(getattr(data, field), field=field, max_length=limit)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.message_dict[field])
    refills = _collect(errors, lambda: _refills(data.refills), 0)
    if data.prescriber is not None and not data.prescriber.active:
        errors.setdefault("prescriber", []).append(
            f"{data.prescriber.display_name} is no longer an active provider; choose another or leave it blank."
        )
    if data.start_date and data.stop_date and data.stop_date < data.start_date:
        errors.setdefault("stop_date", []).append(
            f"The stop date cannot be before the start date ({date_text(data.start_date)})."
        )
    if data.encounter is not None and data.encounter.patient_id != patient.pk:
        errors.setdefault("encounter", []).append("That encounter belongs to another patient.")
    if errors:
        raise ValidationError(errors)
    stopped = data.stop_date is not None and data.stop_date <= clock.today()
    medication = Medication.objects.create(
        patient=patient,
        name=name,
        **texts,
        refills=refills,
        prescriber=data.prescriber,
        start_date=data.start_date,
        stop_date=data.stop_date,
        status=MedicationStatus.STOPPED if stopped else MedicationStatus.ACTIVE,
        encounter=data.encounter,
        created_by=actor,
    )
    fields = [f for f in ("name", "strength", "form", "directions", "quantity", "refills", "prescriber",
                          "start_date", "stop_date") if getattr(medication, f) not in ("", None)]  # fmt: skip
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.MEDICATION,
        object_id=medication.public_id,
        patient_id=patient.mrn,
        changed_fields=fields,
    )
    return medication


def _locked(medication: Medication) -> Medication:
    return Medication.objects.select_for_update().select_related("patient").get(pk=medication.pk)


@transaction.atomic
def medication_stop(*, actor: User, medication: Medication, stop_date: date | None, reason: str) -> Medication:
    """Stop an active medication on `stop_date` (not before it started, not in the future)."""
    medication = _locked(medication)
    today = clock.today()
    if medication.status != MedicationStatus.ACTIVE:
        raise Conflict(f"This medication is {medication.get_status_display().lower()}; only an active one is stopped.")
    errors: dict[str, list[str]] = {}
    required = "Say why it was stopped, e.g. side effects."
    why = _collect(errors, lambda: clean_text(reason, field="reason", max_length=200, required=required), "")
    if stop_date is None:
        errors.setdefault("stop_date", []).append("Enter the date it was stopped, e.g. 03/02/2026.")
    elif stop_date > today:
        errors.setdefault("stop_date", []).append(
            f"The stop date cannot be in the future (today is {date_text(today)})."
        )
    elif medication.start_date and stop_date < medication.start_date:
        errors.setdefault("stop_date", []).append(
            f"The stop date cannot be before the start date ({date_text(medication.start_date)})."
        )
    if errors:
        raise ValidationError(errors)
    medication.status, medication.stop_date, medication.stop_reason = MedicationStatus.STOPPED, stop_date, why
    medication.save(update_fields=["status", "stop_date", "stop_reason", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.MEDICATION,
        object_id=medication.public_id,
        patient_id=medication.patient.mrn,
        changed_fields=["status", "stop_date", "stop_reason"],
    )
    return medication


@transaction.atomic
def medication_mark_in_error(*, actor: User, medication: Medication, reason: str) -> Medication:
    """Mark a medication entered in error; the reason is kept as its stop reason."""
    medication = _locked(medication)
    reason = clean_text(reason, field="reason", max_length=200, required="Say why it was entered in error.")
    if medication.status == MedicationStatus.IN_ERROR:
        raise Conflict("This medication is already marked entered in error.")
    medication.status, medication.stop_reason = MedicationStatus.IN_ERROR, reason
    medication.save(update_fields=["status", "stop_reason", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.MEDICATION,
        object_id=medication.public_id,
        patient_id=medication.patient.mrn,
        changed_fields=["status", "stop_reason"],
    )
    return medication


def medications_of(*, patient: Patient) -> tuple[list[Medication], list[Medication]]:
    """(active, past): active ones by name; past (stopped, and entered in error) newest first."""
    rows = list(Medication.objects.filter(patient=patient).select_related("prescriber__user"))
    active = sorted((m for m in rows if m.status == MedicationStatus.ACTIVE), key=lambda m: m.name.lower())
    past = sorted(
        (m for m in rows if m.status != MedicationStatus.ACTIVE),
        key=lambda m: (m.stop_date or m.updated_at.date(), m.pk),
        reverse=True,
    )
    return active, past


# --- Prescriptions ---------------------------------------------------------------------------


def _prescriber_of(actor: User) -> Provider:
    """The actor's active provider record, or PermissionDenied in words."""
    if not role_can(actor.role, Cap.CLINICAL_NOTE_SIGN):
        raise PermissionDenied("Only a clinician who signs notes writes prescriptions.")
    provider = Provider.objects.select_related("user").filter(user=actor, active=True).first()
    if provider is None:
        raise PermissionDenied(
            "You are not set up as an active provider, so a prescription cannot name you as prescriber. "
            "Ask the office manager to add you as a provider."
        )
    return provider


@transaction.atomic
def prescription_write(
    *,
    actor: User,
    medication: Medication,
    encounter: Encounter | None = None,
    directions: str,
    quantity: str,
    refills: int | None,
    dispense_as_written: bool = False,
) -> Prescription:
    """Write a prescription for an active medication; the actor is the prescriber.

    PermissionDenied when the actor may not prescribe (no signing capability, not an active
    provider); ValidationError naming the field for missing directions or quantity, refills
    outside 0-99, an encounter of another patient; Conflict for a medication no longer active.
    """
    prescriber = _prescriber_of(actor)
    medication = _locked(medication)
    if medication.status != MedicationStatus.ACTIVE:
        raise Conflict(
            f"This medication is {medication.get_status_display().lower()}; a prescription is written for an "
            "active medication. Add it again if the patient restarts it."
        )
    errors: dict[str, list[str]] = {}
    need_sig = "Enter the directions (sig), e.g. 1 tablet by mouth twice daily."
    sig = _collect(errors, lambda: clean_text(directions, field="directions", max_length=300, required=need_sig), "")
    need_quantity = "Enter the quantity to dispense, e.g. 60 tablets."
    amount = _collect(errors, lambda: clean_text(quantity, field="quantity", max_length=40, required=need_quantity), "")
    refill_count = _collect(errors, lambda: _refills(refills), 0)
    if encounter is not None and encounter.patient_id != medication.patient_id:
        errors.setdefault("encounter", []).append("That encounter belongs to another patient.")
    if errors:
        raise ValidationError(errors)
    prescription = Prescription.objects.create(
        medication=medication,
        encounter=encounter,
        prescriber=prescriber,
        written_on=clock.today(),
        directions=sig,
        quantity=amount,
        refills=refill_count,
        dispense_as_written=bool(dispense_as_written),
        created_by=actor,
    )
    audit_record(actor=actor, action=Action.CREATE, object_type=ObjectType.PRESCRIPTION, object_id=prescription.public_id, patient_id=medication.patient.mrn, changed_fields=["medication", "directions", "quantity", "refills", "dispense_as_written"])  # fmt: skip
    return prescription


def prescriptions_of(*, patient: Patient) -> list[Prescription]:
    """The patient's prescriptions, newest first, with medication and prescriber."""
    return list(
        Prescription.objects.filter(medication__patient=patient)
        .select_related("medication", "prescriber__user", "encounter")
        .order_by("-written_on", "-created_at")
    )


def prescription_printed(*, actor: User, prescription: Prescription) -> None:
    """Record that `actor` printed (downloaded) the prescription: a print event of the patient's record."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=Action.PRINT,
            object_type=ObjectType.PRESCRIPTION,
            object_id=str(prescription.public_id),
            patient_id=prescription.medication.patient.mrn,
        )
