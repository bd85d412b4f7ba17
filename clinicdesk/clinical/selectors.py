"""Reads of the encounter part: lists of a patient's encounters and vitals, the clinician's
Today list, the appointment types with their note templates. Callers fetch the patient (or the
provider) through an access function first; these do not audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from clinicdesk.core import clock
from clinicdesk.core.lookups import uuid_or_none
from clinicdesk.patients.models import Patient
from clinicdesk.scheduling.models import Appointment, AppointmentType, Provider

from .encounters import IN_CLINIC_STATUSES
from .models import Addendum, Encounter, NoteStatus, NoteTemplate, Recall, VisitNote, Vitals

VITALS_SHOWN = 20
ENCOUNTERS_LISTED_MAX = 200


def encounters_of(*, patient: Patient, limit: int = 50, before: date | None = None) -> list[Encounter]:
    """The patient's encounters, newest first (at most `limit`; those before `before` when given)."""
    found = Encounter.objects.filter(patient=patient).select_related(
        "provider__user", "location", "patient", "appointment"
    )
    if before is not None:
        found = found.filter(date_of_service__lt=before)
    return list(found.order_by("-date_of_service", "-opened_at", "-pk")[: min(limit, ENCOUNTERS_LISTED_MAX)])


def vitals_of(*, patient: Patient, limit: int = VITALS_SHOWN) -> list[Vitals]:
    """The patient's latest vitals entries, newest first, in error ones included (shown struck)."""
    return list(
        Vitals.objects.filter(patient=patient)
        .select_related("taken_by", "encounter")
        .order_by("-taken_at", "-pk")[:limit]
    )


@dataclass
class TodayLine:
    appointment: Appointment
    local_start: datetime
    encounter: Encounter | None


def today_visits(*, provider: Provider, now: datetime | None = None) -> list[TodayLine]:
    """The provider's patients in the building today (arrived, roomed, with the provider), by
    start time. "Today" is each location's own day; the encounter, if opened, comes along.
    """
    now = now or clock.now()
    window = (now - timedelta(hours=36), now + timedelta(hours=36))
    rows = (
        Appointment.objects.filter(
            provider=provider, status__in=IN_CLINIC_STATUSES, starts_at__gte=window[0], starts_at__lt=window[1]
        )
        .select_related("patient", "location", "room", "appointment_type", "encounter")
        .order_by("starts_at")
    )
    lines = []
    for appointment in rows:
        zone = ZoneInfo(appointment.location.time_zone)
        local_start = timezone.localtime(appointment.starts_at, zone)
        if local_start.date() != timezone.localtime(now, zone).date():
            continue
        encounter = getattr(appointment, "encounter", None)
        lines.append(TodayLine(appointment=appointment, local_start=local_start, encounter=encounter))
    return lines


def active_providers() -> QuerySet[Provider]:
    return (
        Provider.objects.filter(active=True, user__is_active=True).select_related("user").prefetch_related("locations")
    )


def appointment_types_with_templates() -> QuerySet[AppointmentType]:
    """Every appointment type (active first, by name), with `has_template` annotated."""
    return AppointmentType.objects.annotate(
        has_template=Exists(NoteTemplate.objects.filter(appointment_type=OuterRef("pk")))
    ).order_by("-active", "name")


def appointment_type_by_id(public_id) -> AppointmentType | None:
    return AppointmentType.objects.filter(public_id=public_id).first()


def encounter_of_patient(*, patient: Patient, public_id) -> Encounter | None:
    """The encounter `public_id` of `patient` (already opened through access_patient), or None
    for another patient's encounter, a missing one, or an id that is not a UUID."""
    try:
        return Encounter.objects.filter(patient=patient, public_id=public_id).first()
    except (ValueError, ValidationError):
        return None


# --- Unchecked readers: the caller already opened the patient or the note through access.py ----


def note_addenda_unchecked(*, note: VisitNote) -> list[Addendum]:
    """The addenda of a note already opened through `access_note` (its read is that audit), oldest first."""
    addenda = list(Addendum.objects.filter(note=note).select_related("author", "amendment_request"))
    for addendum in addenda:
        addendum.note = note
    return addenda


def signed_notes_of_unchecked(*, patient: Patient) -> list[VisitNote]:
    """The patient's signed notes (date, provider, reason: no text), newest first, for choosing one.

    The caller opened the patient through access_patient; this reads references only.
    """
    return list(
        VisitNote.objects.filter(encounter__patient=patient, status=NoteStatus.SIGNED)
        .select_related("encounter__provider__user", "encounter__location")
        .defer("subjective", "objective", "assessment", "plan")
        .order_by("-encounter__date_of_service", "-signed_at")
    )


def signed_note_of_patient_unchecked(*, patient: Patient, public_id: Any) -> VisitNote | None:
    """The patient's signed note `public_id`, or None (another patient's note, a draft, nonsense)."""
    wanted = uuid_or_none(public_id)
    return next((n for n in signed_notes_of_unchecked(patient=patient) if n.public_id == wanted), None)


def encounter_recalls_unchecked(*, encounter: Encounter) -> list[Recall]:
    """The follow-ups added from `encounter` (already opened through `access_encounter`), by due
    date, closed and booked ones included, with the booked appointment for its link."""
    return list(
        Recall.objects.filter(encounter=encounter)
        .select_related("appointment_type", "provider__user", "appointment", "patient")
        .order_by("due_on", "created_at", "pk")
    )
