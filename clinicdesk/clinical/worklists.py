"""Clinical worklists behind the home page's numbers: vitals to take at a location today, a
clinician's notes to sign and the co-signatures waiting, and what the clinician's day holds.

The `*_rows` selectors return querysets (callers count them or list them); the `access_*`
functions are the only way a page lists them: capability, restricted records left out and
counted (a restricted patient opens only through emergency access), and one audited read naming
the MRNs shown. The home panels count with the same querysets, so a number and its list agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from clinicdesk.accounts.models import EmergencyAccess, RestrictedRecord, User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.scheduling import selectors_calendar as cal
from clinicdesk.scheduling.calendar_access import audit_detail
from clinicdesk.scheduling.models import Appointment, AppointmentStatus, Location, Provider

from .encounters import IN_CLINIC_STATUSES
from .models import NoteStatus, VisitNote, Vitals

ROW_LIMIT = 200


def visible_to(rows: QuerySet, *, actor: User, now: datetime, mrn: str = "patient__mrn") -> tuple[QuerySet, QuerySet]:
    """(rows `actor` may list, rows of restricted records they hold no live emergency grant for)."""
    rows = rows.annotate(
        restricted=Exists(RestrictedRecord.objects.filter(patient_id=OuterRef(mrn))),
        granted=Exists(EmergencyAccess.objects.filter(user=actor, patient_id=OuterRef(mrn), expires_at__gt=now)),
    )
    hidden = Q(restricted=True, granted=False)
    return rows.exclude(hidden), rows.filter(hidden)


# --- Vitals to take ---------------------------------------------------------------------------


def vitals_due_rows(*, location: Location, now: datetime) -> QuerySet[Appointment]:
    """Today's in-person visits at `location` whose patient is in the building (arrived, roomed,
    with the provider) and has no vitals taken since the day began (entries marked in error do
    not count), by start time. Telehealth visits take no vitals in the office."""
    zone = cal.zone_of(location)
    start, end = cal.day_bounds(now.astimezone(zone).date(), zone)
    taken = Vitals.objects.filter(patient=OuterRef("patient"), taken_at__gte=start, in_error=False)
    return (
        Appointment.objects.filter(
            cal.on_day_q(location, start, end),
            status__in=IN_CLINIC_STATUSES,
            appointment_type__telehealth=False,
        )
        .exclude(Exists(taken))
        .order_by("starts_at", "id")
    )


@dataclass(frozen=True)
class VitalsDue:
    rows: list[Appointment]  # with patient, provider, type, room and encounter (or None)
    hidden: int  # restricted records left out
    location: Location


def access_vitals_due(*, actor: User, location: Location, now: datetime) -> VitalsDue:
    """`vitals_due_rows` for someone who records vitals; Http404 without clinical.note.write.
    Audited as one read naming the MRNs listed (nothing listed: no event)."""
    if not role_can(actor.role, Cap.CLINICAL_NOTE_WRITE):
        raise Http404
    visible, hidden = visible_to(vitals_due_rows(location=location, now=now), actor=actor, now=now)
    with transaction.atomic():
        rows = list(
            visible.select_related("patient", "provider__user", "appointment_type", "room", "encounter")[:ROW_LIMIT]
        )
        if rows:
            day = now.astimezone(cal.zone_of(location)).date()
            audit_record(
                actor=actor,
                action=Action.READ,
                object_type=ObjectType.VITALS_DUE,
                object_id=f"{location.public_id}/{day.isoformat()}",
                detail=audit_detail(f"day={day.isoformat()}", list(dict.fromkeys(a.patient.mrn for a in rows))),
            )
    for appointment in rows:
        appointment.location = location
    return VitalsDue(rows=rows, hidden=hidden.count(), location=location)


# --- Notes ------------------------------------------------------------------------------------

TO_SIGN = "to_sign"
TO_COSIGN = "to_cosign"
NOTE_SHOWS = {TO_SIGN: "Notes to sign", TO_COSIGN: "Co-signatures waiting"}


def to_sign_q(user: User) -> Q:
    """Draft notes of the encounters whose provider is `user` (only they may sign them)."""
    return Q(status=NoteStatus.DRAFT, encounter__provider__user=user)


def to_cosign_q(user: User) -> Q:
    """Signed notes that need a co-signature and have none yet, signed by someone other than `user`
    (any other clinician may co-sign; the signer may not)."""
    return Q(status=NoteStatus.SIGNED, cosign_required=True, cosigned_at__isnull=True) & ~Q(signed_by=user)


def notes_to_sign_rows(*, user: User) -> QuerySet[VisitNote]:
    """`to_sign_q`, oldest visit first."""
    return VisitNote.objects.filter(to_sign_q(user)).order_by("encounter__date_of_service", "created_at", "id")


def cosigns_waiting_rows(*, user: User) -> QuerySet[VisitNote]:
    """`to_cosign_q`, oldest signature first."""
    return VisitNote.objects.filter(to_cosign_q(user)).order_by("signed_at", "id")


def note_rows(*, user: User, show: str) -> QuerySet[VisitNote]:
    return cosigns_waiting_rows(user=user) if show == TO_COSIGN else notes_to_sign_rows(user=user)


@dataclass(frozen=True)
class NoteWorklist:
    show: str
    rows: list[VisitNote]  # with encounter, patient, provider, location, signer
    total: int
    hidden: int


def access_note_worklist(*, actor: User, show: str, now: datetime) -> NoteWorklist:
    """The notes `actor` has to sign (`to_sign`) or may co-sign (`to_cosign`); Http404 without
    clinical.note.sign or for an unknown `show`. Audited as one read naming the MRNs listed."""
    if show not in NOTE_SHOWS or not role_can(actor.role, Cap.CLINICAL_NOTE_SIGN):
        raise Http404
    visible, hidden = visible_to(note_rows(user=actor, show=show), actor=actor, now=now, mrn="encounter__patient__mrn")
    with transaction.atomic():
        total = visible.count()
        rows = list(
            visible.select_related(
                "encounter__patient",
                "encounter__provider__user",
                "encounter__location",
                "encounter__appointment__appointment_type",
                "signed_by",
                "last_edited_by",
            )[:ROW_LIMIT]
        )
        if rows:
            audit_record(
                actor=actor,
                action=Action.READ,
                object_type=ObjectType.NOTE_WORKLIST,
                object_id=show,
                detail=audit_detail(f"show={show}", list(dict.fromkeys(n.encounter.patient.mrn for n in rows))),
            )
    return NoteWorklist(show=show, rows=rows, total=total, hidden=hidden.count())


# --- The clinician's day ----------------------------------------------------------------------


def provider_of(user: User) -> Provider | None:
    """The active provider record of `user` (None for staff who see no patients of their own)."""
    return Provider.objects.filter(user=user, active=True).first()


@dataclass(frozen=True)
class ProviderDay:
    booked: dict[int, int]  # location id -> visits booked today (not cancelled), each location's own day
    in_building: int  # arrived, roomed or with the provider (what clinical:today lists)


def provider_day(*, provider: Provider, now: datetime) -> ProviderDay:
    """What `provider`'s day holds, each visit counted on its location's own day (as the Today
    list does). One query of a few columns over the visits within 36 hours of `now`."""
    rows = (
        Appointment.objects.filter(
            provider=provider, starts_at__gte=now - timedelta(hours=36), starts_at__lt=now + timedelta(hours=36)
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .values_list("location_id", "location__time_zone", "starts_at", "status")
    )
    booked: dict[int, int] = {}
    in_building = 0
    today_at: dict[str, date] = {}
    for location_id, zone_name, starts_at, status in rows:
        zone = ZoneInfo(zone_name)
        if zone_name not in today_at:
            today_at[zone_name] = now.astimezone(zone).date()
        if starts_at.astimezone(zone).date() != today_at[zone_name]:
            continue
        booked[location_id] = booked.get(location_id, 0) + 1
        in_building += status in IN_CLINIC_STATUSES
    return ProviderDay(booked=booked, in_building=in_building)
