"""Allergies, and "no known allergies" as an explicit, dated statement.

Rules (docs/clinical-lists.md says the same for people):

- "No known allergies" (NKA) is an entry someone records on a date, not the absence of rows.
  A patient has at most one active NKA (a partial unique index says so too).
- NKA and an active allergy never stand together: adding an allergy ends an active NKA (it
  becomes inactive) in the same transaction; recording NKA while an allergy is active is
  refused, with the allergies named, until they are inactivated or marked in error.
- The same substance is active at most once per patient (compared without case).
- An allergy is inactivated (resolved, outgrown) or marked entered in error with a reason,
  never edited or deleted. Reasons are kept in the audit event of the change.
- Audit events name public ids and field names only, never substances or reactions.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.errors import Conflict
from clinicdesk.patients.models import Patient

from .models import Allergy, AllergySeverity, AllergyStatus
from .problems import clean_text, patient_lists_lock


def _noted_on(value: date | None, today: date) -> date:
    if value is None:
        return today
    if value > today:
        raise ValidationError({"noted_on": f"The date noted cannot be in the future (today is {date_text(today)})."})
    return value


@transaction.atomic
def allergy_add(
    *,
    actor: User,
    patient: Patient,
    substance: str,
    reaction: str = "",
    severity: str = AllergySeverity.UNKNOWN,
    noted_on: date | None = None,
) -> Allergy:
    """Add an active allergy; an active "no known allergies" entry ends (becomes inactive).

    ValidationError naming the field for a blank substance, an unknown severity, text too
    long; Conflict when the substance is already an active allergy.
    """
    today = clock.today()
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for field, value, limit, required in (
        ("substance", substance, 120, "Enter the substance, e.g. penicillin, peanuts or latex."),
        ("reaction", reaction, 200, ""),
    ):
        try:
            values[field] = clean_text(value, field=field, max_length=limit, required=required)
        except ValidationError as exc:
            errors.update({k: list(v) for k, v in exc.message_dict.items()})
    severity = severity or AllergySeverity.UNKNOWN
    if severity not in AllergySeverity.values:
        errors["severity"] = ["Choose mild, moderate, severe or unknown."]
    try:
        noted = _noted_on(noted_on, today)
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    patient_lists_lock(patient)
    active = Allergy.objects.filter(patient=patient, status=AllergyStatus.ACTIVE)
    if active.filter(no_known_allergies=False, substance__iexact=values["substance"]).exists():
        raise Conflict({"substance": f"{values['substance']} is already on this patient's active allergy list."})
    for nka in active.filter(no_known_allergies=True).select_related("patient"):
        nka.status = AllergyStatus.INACTIVE
        nka.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.ALLERGY,
            object_id=nka.public_id,
            patient_id=nka.patient.mrn,
            changed_fields=["status"],
            detail="no known allergies ended by an allergy added",
        )
    allergy = Allergy.objects.create(
        patient=patient,
        substance=values["substance"],
        reaction=values["reaction"],
        severity=severity,
        noted_on=noted,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.ALLERGY,
        object_id=allergy.public_id,
        patient_id=allergy.patient.mrn,
        changed_fields=["substance", "reaction", "severity", "noted_on"],
    )
    return allergy


@transaction.atomic
def allergy_record_nka(*, actor: User, patient: Patient, noted_on: date | None = None) -> Allergy:
    """Record "no known allergies". Conflict while an allergy is active (named in the message) or
    when NKA is already recorded."""
    noted = _noted_on(noted_on, clock.today())
    patient_lists_lock(patient)
    active = list(Allergy.objects.filter(patient=patient, status=AllergyStatus.ACTIVE))
    allergies = [a.substance for a in active if not a.no_known_allergies]
    if allergies:
        listed = ", ".join(sorted(allergies, key=str.lower))
        raise Conflict(
            f"This patient has active allergies ({listed}). Inactivate them, or mark them entered in error, "
            "before recording no known allergies."
        )
    if any(a.no_known_allergies for a in active):
        raise Conflict("No known allergies is already recorded for this patient.")
    try:
        with transaction.atomic():
            nka = Allergy.objects.create(patient=patient, no_known_allergies=True, noted_on=noted, created_by=actor)
    except IntegrityError as exc:  # a concurrent NKA won the race the lock above normally prevents
        raise Conflict("No known allergies is already recorded for this patient.") from exc
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.ALLERGY,
        object_id=nka.public_id,
        patient_id=nka.patient.mrn,
        changed_fields=["no_known_allergies", "noted_on"],
    )
    return nka


def _locked(allergy: Allergy) -> Allergy:
    return Allergy.objects.select_for_update().select_related("patient").get(pk=allergy.pk)


@transaction.atomic
def allergy_inactivate(*, actor: User, allergy: Allergy, reason: str = "") -> Allergy:
    """Inactivate an active allergy (resolved, outgrown) or an active "no known allergies" entry."""
    allergy = _locked(allergy)
    reason = clean_text(reason, field="reason", max_length=200)
    if allergy.status != AllergyStatus.ACTIVE:
        raise Conflict(f"This entry is {allergy.get_status_display().lower()} already.")
    allergy.status = AllergyStatus.INACTIVE
    allergy.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.ALLERGY,
        object_id=allergy.public_id,
        patient_id=allergy.patient.mrn,
        changed_fields=["status"],
        reason=reason,
    )
    return allergy


@transaction.atomic
def allergy_mark_in_error(*, actor: User, allergy: Allergy, reason: str) -> Allergy:
    """Mark an entry (allergy or NKA) entered in error; the reason is required."""
    allergy = _locked(allergy)
    reason = clean_text(reason, field="reason", max_length=200, required="Say why it was entered in error.")
    if allergy.status == AllergyStatus.IN_ERROR:
        raise Conflict("This entry is already marked entered in error.")
    allergy.status = AllergyStatus.IN_ERROR
    allergy.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.ALLERGY,
        object_id=allergy.public_id,
        patient_id=allergy.patient.mrn,
        changed_fields=["status"],
        reason=reason,
    )
    return allergy


def allergies_of(*, patient: Patient) -> tuple[list[Allergy], list[Allergy]]:
    """(active, past): active ones, severe first then by substance; past (inactive, in error) newest first."""
    rows = list(Allergy.objects.filter(patient=patient))
    rank: dict[str, int] = {AllergySeverity.SEVERE: 0, AllergySeverity.MODERATE: 1, AllergySeverity.MILD: 2}
    active = sorted(
        (a for a in rows if a.status == AllergyStatus.ACTIVE),
        key=lambda a: (a.no_known_allergies, rank.get(a.severity, 3), a.substance.lower()),
    )
    past = sorted((a for a in rows if a.status != AllergyStatus.ACTIVE), key=lambda a: a.updated_at, reverse=True)
    return active, past
