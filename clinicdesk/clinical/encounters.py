"""Opening encounters: one per visit, from an arrived appointment or unscheduled with a reason.

An encounter is opened by someone who documents visits (clinical.note.write: clinicians and
nurses). It stays open until its note is signed; the note service sets it signed or amended.

From an appointment, everything comes from the appointment: patient, provider, location, the
date of service (the day the visit starts, in the location's time zone) and the reason for
visit (the appointment's reason, else its type's default reason, else the type's name). The
patient must have arrived: the appointment is arrived, roomed, with the provider, checked out
or completed (a note is often finished after the patient has left). Scheduled, no-show and
cancelled appointments are refused.

One encounter per appointment, whoever clicks and however often: a second open returns the
first. The appointment row is locked while deciding (as the flow board's steps do), and the
one-to-one column is the final guard: a concurrent insert that loses the race gets the
IntegrityError and returns the winner's encounter.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.patients.models import Patient
from clinicdesk.scheduling.models import Appointment, AppointmentStatus, Location, Provider

from .models import Encounter

S = AppointmentStatus
# The appointment statuses of a patient who has come in (in flow order).
ARRIVED_STATUSES = (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT, S.COMPLETED)
# The ones the clinician's Today page lists: in the building, not yet checked out.
IN_CLINIC_STATUSES = (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER)
REASON_MAX = 200

_REFUSAL: dict[str, str] = {
    S.SCHEDULED: "The patient has not checked in yet. Check them in on the flow board, then open the encounter.",
    S.NO_SHOW: "The appointment was marked a no-show. For a patient who came after all, open an unscheduled "
    "encounter with a reason, or book and check in a new appointment.",
    S.CANCELLED: "The appointment was cancelled. For a patient who came after all, open an unscheduled encounter "
    "with a reason, or book and check in a new appointment.",
}


def _require_write(actor: User) -> None:
    if not role_can(actor.role, Cap.CLINICAL_NOTE_WRITE):
        raise PermissionDenied("Your role does not include opening encounters.")


def local_date_of(appointment: Appointment) -> date:
    """The day the appointment starts, in its location's time zone."""
    return timezone.localtime(appointment.starts_at, ZoneInfo(appointment.location.time_zone)).date()


def reason_of(appointment: Appointment) -> str:
    kind = appointment.appointment_type
    return (appointment.reason or kind.default_reason or kind.name)[:REASON_MAX]


def _audit_open(actor: User, encounter: Encounter, patient: Patient, detail: str) -> None:
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.ENCOUNTER,
        object_id=str(encounter.public_id),
        patient_id=patient.mrn,
        changed_fields=["provider", "location", "date_of_service", "reason", "status"],
        detail=detail,
    )


def encounter_open(*, actor: User, appointment: Appointment) -> Encounter:
    """The encounter of `appointment`, opened now (audited) unless it already has one.

    Raises ValidationError (field `appointment`) when the patient has not arrived or the
    appointment was cancelled or a no-show; PermissionDenied without clinical.note.write.
    """
    _require_write(actor)
    try:
        with transaction.atomic():
            return _open_from(actor, appointment)
    except IntegrityError:
        # Another request inserted this appointment's encounter between our look and our insert
        # (the one-to-one refused ours, and our transaction rolled back): that one is the visit.
        existing = Encounter.objects.filter(appointment_id=appointment.pk).first()
        if existing is None:
            raise
        return existing


def _open_from(actor: User, appointment: Appointment) -> Encounter:
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "provider", "location", "appointment_type")
        .get(pk=appointment.pk)
    )
    existing = Encounter.objects.filter(appointment=locked).first()
    if existing is not None:
        return existing
    if locked.status not in ARRIVED_STATUSES:
        raise ValidationError({"appointment": [_REFUSAL.get(locked.status, "The patient has not arrived.")]})
    encounter = Encounter.objects.create(
        patient=locked.patient,
        appointment=locked,
        provider=locked.provider,
        location=locked.location,
        date_of_service=local_date_of(locked),
        reason=reason_of(locked),
        opened_by=actor,
    )
    _audit_open(actor, encounter, locked.patient, f"appointment={locked.public_id}")
    return encounter


@transaction.atomic
def encounter_open_unscheduled(
    *,
    actor: User,
    patient: Patient,
    provider: Provider | None,
    location: Location | None,
    date_of_service: date | None,
    reason: str,
    unscheduled_reason: str,
) -> Encounter:
    """Open an encounter for a visit that had no appointment (a walk-in, a phone visit...).

    The unscheduled reason is required (why there was no appointment), as is the reason for
    visit. The provider must be active and work at the location; the date of service may be
    today or earlier (late documentation) in the location's time zone, never later. Raises
    ValidationError naming each wrong field; nothing is written then.
    """
    _require_write(actor)
    reason, unscheduled_reason = (reason or "").strip(), (unscheduled_reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["Give the reason for the visit (e.g. cough for 3 days)."]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [f"Keep the reason for the visit under {REASON_MAX} characters."]
    if not unscheduled_reason:
        errors["unscheduled_reason"] = ["Say why there is no appointment (e.g. walk-in, same-day add-on)."]
    elif len(unscheduled_reason) > REASON_MAX:
        errors["unscheduled_reason"] = [f"Keep this under {REASON_MAX} characters."]
    if provider is None or not provider.active:
        errors["provider"] = ["Choose an active provider."]
    if location is None or not location.active:
        errors["location"] = ["Choose an active location."]
    if (
        provider is not None
        and location is not None
        and not errors.keys() & {"provider", "location"}
        and not provider.locations.filter(pk=location.pk).exists()
    ):
        errors["location"] = [f"{provider.display_name} does not work at {location.name}."]
    if date_of_service is None:
        errors["date_of_service"] = ["Give the date of service."]
    elif location is not None and "location" not in errors:
        today = timezone.localtime(clock.now(), ZoneInfo(location.time_zone)).date()
        if date_of_service > today:
            errors["date_of_service"] = ["The date of service cannot be in the future."]
        elif date_of_service < patient.date_of_birth:
            errors["date_of_service"] = ["The date of service is before the patient's date of birth."]
    if (
        "date_of_service" not in errors
        and patient.deceased_date is not None
        and date_of_service is not None
        and date_of_service > patient.deceased_date
    ):
        errors["date_of_service"] = ["The date of service is after the patient's date of death."]
    if errors:
        raise ValidationError(errors)
    assert provider is not None and location is not None and date_of_service is not None  # noqa: S101  (checked)
    encounter = Encounter.objects.create(
        patient=patient,
        provider=provider,
        location=location,
        date_of_service=date_of_service,
        reason=reason,
        unscheduled_reason=unscheduled_reason,
        opened_by=actor,
    )
    _audit_open(actor, encounter, patient, "unscheduled")
    return encounter
