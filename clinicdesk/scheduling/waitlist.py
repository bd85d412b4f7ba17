"""The waitlist: patients waiting for an earlier slot, and the offers of freed slots made to them.

A cancelled appointment frees a slot; `waitlist_matches` lists who could take it, longest wait
first; the front desk offers it (`offer_slot`, one click) and records the answer
(`offer_accept` books through the booking service, `offer_decline`). Offers by SMS come with
the messaging work and use the same record with another channel.

Rules of a match (all must hold):
- the entry is active and not past `wait_until`, and the slot's local date is on or before
  `wait_until` (the patient waits until then, no longer);
- the appointment type is the entry's; the provider is one the entry names (none named: any);
  the location is the entry's (none named: any);
- in the location's local time, the slot's weekday is one the entry names (none: any day) and
  its start lies between `earliest_time` and `latest_time`, both inclusive (a missing one
  leaves that side open);
- the patient is not the one whose cancellation freed the slot, and, when the entry names the
  later appointment the patient hopes to swap, the slot starts before it (else it is no gain).

Accepting an offer for a patient who holds that later appointment moves it (same row and public
id, its history keeps the old time) rather than cancelling it and booking a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from clinicdesk.accounts.access import access_restricted_record
from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.errors import Conflict
from clinicdesk.patients.display import patient_lens
from clinicdesk.patients.models import Patient, PatientStatus

from . import booking
from .booking_checks import availability_problem
from .models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Location,
    OfferStatus,
    Provider,
    Room,
    WaitlistEntry,
    WaitlistOffer,
    Weekday,
)

STAFF_CHANNEL = "staff"
AUDIT_DETAIL_LIMIT = 500


@dataclass
class WaitlistInput:
    patient: Patient
    appointment_type: AppointmentType
    wait_until: date
    providers: Sequence[Provider] = field(default_factory=list)
    location: Location | None = None
    weekdays: Sequence[int] = field(default_factory=list)
    earliest_time: time | None = None
    latest_time: time | None = None
    current_appointment: Appointment | None = None
    note: str = ""


def _today() -> date:
    return clock.today()


# --- Access (the only way views and endpoints load waitlist rows) -----------------------------


def _entries():
    return WaitlistEntry.objects.select_related(
        "patient", "appointment_type", "location", "current_appointment", "created_by"
    ).prefetch_related("providers__user")


def access_waitlist_entry(*, actor: User, public_id: Any, need: str = Cap.SCHEDULE_READ) -> WaitlistEntry:
    """The entry `public_id` if `actor` may `need` it; Http404 alike for missing and refused. Audited."""
    if not role_can(actor.role, need):
        raise Http404
    try:
        entry = _entries().get(public_id=public_id)
    except (WaitlistEntry.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    access_restricted_record(actor=actor, patient_id=entry.patient.mrn)
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type=ObjectType.WAITLIST_ENTRY,
        object_id=entry.public_id,
        patient_id=entry.patient.mrn,
        detail=f"needs {need}",
    )
    return entry


def access_waitlist_offer(*, actor: User, public_id: Any, need: str = Cap.SCHEDULE_WRITE) -> WaitlistOffer:
    """The offer `public_id` if `actor` may `need` it; Http404 alike for missing and refused. Audited."""
    if not role_can(actor.role, need):
        raise Http404
    try:
        offer = WaitlistOffer.objects.select_related(
            "entry__patient", "entry__appointment_type", "provider__user", "location"
        ).get(public_id=public_id)
    except (WaitlistOffer.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    mrn = offer.entry.patient.mrn
    access_restricted_record(actor=actor, patient_id=mrn)
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type=ObjectType.WAITLIST_OFFER,
        object_id=offer.public_id,
        patient_id=mrn,
        detail=f"needs {need}",
    )
    return offer


def _audit_list(actor: User, object_type: ObjectType, mrns: list[str]) -> None:
    """One read event for a list of patients: the MRNs shown, cut at a whole MRN when too long."""
    head, shown = "results=", list[str]()
    for mrn in dict.fromkeys(mrns):
        if len(head) + len(",".join([*shown, mrn])) + 2 > AUDIT_DETAIL_LIMIT:
            shown.append("…")
            break
        shown.append(mrn)
    audit_record(actor=actor, action=Action.READ, object_type=object_type, detail=head + ",".join(shown))


def access_waitlist(
    *, actor: User, appointment_type: AppointmentType | None = None, patient: Patient | None = None
) -> list[WaitlistEntry]:
    """Active, unexpired entries, longest wait first; Http404 when `actor` may not read them.

    Reading the list is a read of every patient on it, so it is audited with their MRNs.
    Entries of restricted records `actor` holds no live grant for are left out (they open only
    through emergency access); one query decides for the whole list (patients/display.py).
    """
    if not role_can(actor.role, Cap.SCHEDULE_READ) or not role_can(actor.role, Cap.PATIENT_DEMOGRAPHICS_READ):
        raise Http404
    rows = _entries().filter(active=True, wait_until__gte=_today())
    if appointment_type is not None:
        rows = rows.filter(appointment_type=appointment_type)
    if patient is not None:
        rows = rows.filter(patient=patient)
    lens = patient_lens(viewer=actor)
    entries = [e for e in rows.order_by("created_at", "id") if not lens.masks(e.patient)]
    with transaction.atomic():
        _audit_list(actor, ObjectType.WAITLIST, [e.patient.mrn for e in entries])
    return entries


def access_slot_offers(*, actor: User, provider: Provider, starts_at: datetime) -> list[WaitlistOffer]:
    """Offers made for one slot (newest first), so the freed-slot screen shows who was asked. Audited."""
    if not role_can(actor.role, Cap.SCHEDULE_READ) or not role_can(actor.role, Cap.PATIENT_DEMOGRAPHICS_READ):
        raise Http404
    lens = patient_lens(viewer=actor)
    offers = [
        offer
        for offer in WaitlistOffer.objects.filter(provider=provider, starts_at=starts_at)
        .select_related("entry__patient", "booked", "offered_by")
        .order_by("-offered_at", "-id")
        if not lens.masks(offer.entry.patient)
    ]
    if offers:
        with transaction.atomic():
            _audit_list(actor, ObjectType.WAITLIST_OFFERS, [o.entry.patient.mrn for o in offers])
    return offers


def upcoming_appointments(*, patient: Patient, now: datetime | None = None) -> list[Appointment]:
    """The patient's scheduled appointments from now on: the ones a waitlist entry may swap."""
    now = now or clock.now()
    return list(
        Appointment.objects.filter(patient=patient, status=AppointmentStatus.SCHEDULED, starts_at__gte=now)
        .select_related("provider__user", "location", "appointment_type")
        .order_by("starts_at")[:20]
    )


# --- Adding and closing entries ----------------------------------------------------------------


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _entry_problems(data: WaitlistInput, today: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    kind = data.appointment_type
    if data.patient.status != PatientStatus.ACTIVE:
        _add(errors, "patient", f"The patient's record is {data.patient.get_status_display().lower()}.")
    if not kind.active:
        _add(errors, "appointment_type", f"{kind.name} is inactive; choose another type.")
    if data.wait_until < today:
        _add(errors, "wait_until", "That day has passed. Give the last day the patient can wait for, today or later.")
    if data.earliest_time and data.latest_time and data.earliest_time >= data.latest_time:
        _add(errors, "latest_time", "The latest time must be after the earliest time.")
    if any(isinstance(d, bool) or not isinstance(d, int) or d not in Weekday.values for d in data.weekdays):
        _add(errors, "weekdays", "Weekdays are 0 (Monday) to 6 (Sunday).")
    taking = set(kind.providers.values_list("pk", flat=True))
    for provider in data.providers:
        if provider.pk not in taking:
            _add(errors, "providers", f"{provider} does not take {kind.name}; choose providers who do.")
        elif not provider.active:
            _add(errors, "providers", f"{provider} is inactive.")
        elif data.location is not None and not provider.locations.filter(pk=data.location.pk).exists():
            _add(errors, "providers", f"{provider} does not work at {data.location.name}.")
    if data.location is not None and not data.location.active:
        _add(errors, "location", f"{data.location.name} is inactive.")
    current = data.current_appointment
    if current is not None:
        if current.patient_id != data.patient.pk:
            _add(errors, "current_appointment", "That appointment is another patient's.")
        elif current.status != AppointmentStatus.SCHEDULED:
            _add(errors, "current_appointment", "That appointment is no longer scheduled; leave it out.")
        elif current.appointment_type_id != kind.pk:
            _add(errors, "current_appointment", f"That appointment is not a {kind.name}; choose the same type.")
    if len(data.note) > 200:
        _add(errors, "note", "Keep the note to 200 characters.")
    return errors


def waitlist_add(*, actor: User, data: WaitlistInput, today: date | None = None) -> WaitlistEntry:
    """Put a patient on the waitlist; raises ValidationError by field and saves nothing then."""
    today = today or _today()
    errors = _entry_problems(data, today)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        entry = WaitlistEntry.objects.create(
            patient=data.patient,
            appointment_type=data.appointment_type,
            location=data.location,
            weekdays=sorted(set(data.weekdays)),
            earliest_time=data.earliest_time,
            latest_time=data.latest_time,
            wait_until=data.wait_until,
            current_appointment=data.current_appointment,
            note=data.note.strip(),
            created_by=actor,
        )
        if data.providers:
            entry.providers.set(data.providers)
        changed = ["patient", "appointment_type", "wait_until"] + [
            name
            for name in ("providers", "location", "weekdays", "earliest_time", "latest_time", "current_appointment")
            if getattr(data, name)
        ]
        audit_record(
            actor=actor,
            action=Action.CREATE,
            object_type=ObjectType.WAITLIST_ENTRY,
            object_id=entry.public_id,
            patient_id=data.patient.mrn,
            changed_fields=changed,
        )
    return entry


def waitlist_close(
    *, actor: User, entry: WaitlistEntry, reason: str = "", now: datetime | None = None
) -> WaitlistEntry:
    """Take an entry off the waitlist (found a slot elsewhere, no longer needed). Conflict if closed."""
    now = now or clock.now()
    with transaction.atomic():
        current = WaitlistEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
        if not current.active:
            raise Conflict({"entry": ["This waitlist entry is already closed."]}, title="Waitlist entry is closed")
        current.active, current.closed_at = False, now
        current.save(update_fields=["active", "closed_at"])
        WaitlistOffer.objects.filter(entry=current, status=OfferStatus.OFFERED).update(
            status=OfferStatus.EXPIRED, answered_at=now
        )
        audit_record(actor=actor, action=Action.UPDATE, object_type=ObjectType.WAITLIST_ENTRY, object_id=current.public_id, patient_id=current.patient.mrn, changed_fields=["active"], detail=f"closed: {reason.strip()}"[:200] if reason.strip() else "closed")  # fmt: skip
    return current


# --- Matching --------------------------------------------------------------------------------


def _fit_problem(entry: WaitlistEntry, *, provider: Provider, location: Location, starts_at: datetime,
                 today: date) -> str | None:  # fmt: skip
    """Why `entry` does not want this slot (appointment type aside), or None when it does."""
    local = starts_at.astimezone(ZoneInfo(location.time_zone))
    if not entry.active:
        return "This waitlist entry is closed."
    if entry.wait_until < today or local.date() > entry.wait_until:
        return f"The patient waits only until {date_text(entry.wait_until)}."
    wanted = [p.pk for p in entry.providers.all()]
    if wanted and provider.pk not in wanted:
        return "The patient is waiting for another provider."
    if entry.location_id is not None and entry.location_id != location.pk:
        return "The patient is waiting for another location."
    if entry.weekdays and local.weekday() not in entry.weekdays:
        return f"The patient cannot come on {Weekday(local.weekday()).label}s."
    clock = local.time().replace(tzinfo=None)
    if (entry.earliest_time and clock < entry.earliest_time) or (entry.latest_time and clock > entry.latest_time):
        return "The time is outside the hours the patient can come."
    current = entry.current_appointment
    if current is not None and current.status == AppointmentStatus.SCHEDULED and starts_at >= current.starts_at:
        return "The patient's own appointment is earlier than this slot."
    return None


def waitlist_matches(
    *,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: datetime,
    exclude_patient: Patient | None = None,
    today: date | None = None,
) -> list[WaitlistEntry]:
    """Entries that would take this slot, longest wait first (see the module docstring for the rules).

    Reads only and audits nothing: callers show the result through a view that has audited
    the read (see `access_waitlist_matches`).
    """
    today = today or _today()
    local_day = starts_at.astimezone(ZoneInfo(location.time_zone)).date()
    rows = (
        _entries()
        .filter(active=True, appointment_type=appointment_type, wait_until__gte=max(today, local_day))
        .filter(Q(location__isnull=True) | Q(location=location))
        .order_by("created_at", "id")
    )
    if exclude_patient is not None:
        rows = rows.exclude(patient=exclude_patient)
    return [
        entry
        for entry in rows
        if _fit_problem(entry, provider=provider, location=location, starts_at=starts_at, today=today) is None
    ]


# How far ahead the front desk looks for freed slots to offer (today included).
FREED_SLOT_DAYS = 7
FREED_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)


@dataclass(frozen=True)
class FreedSlot:
    appointment: Appointment  # the cancelled (or no-show) appointment whose time is free
    matches: int  # active waitlist entries that fit it (at least one)


def freed_slots_with_matches(
    *, location: Location, now: datetime, days: int = FREED_SLOT_DAYS, today: date | None = None
) -> list[FreedSlot]:
    """Freed slots at `location` that someone on the waitlist fits, soonest first.

    A freed slot is a cancelled or no-show appointment starting between `now` and `days` days
    later whose provider has not been booked into that time since (no holding appointment of the
    provider overlaps it); two freed appointments at the same provider and start count once.
    Each comes with how many active entries fit it by the rules of `waitlist_matches` (its own
    patient aside); slots nobody fits are left out. Not PHI (times, providers, types, counts), so
    not audited. Five queries whatever the numbers of slots and entries.
    """
    today = today or _today()
    end = now + timedelta(days=days)
    freed = list(
        Appointment.objects.filter(location=location, status__in=FREED_STATUSES, starts_at__gte=now, starts_at__lt=end)
        .select_related("provider__user", "appointment_type")
        .only(
            "public_id",
            "starts_at",
            "ends_at",
            "patient_id",
            "location_id",
            "provider__public_id",
            "provider__user__display_name",
            "provider__user__first_name",
            "provider__user__last_name",
            "provider__user__username",
            "appointment_type__name",
        )  # fmt: skip
        .order_by("starts_at", "id")
    )
    if not freed:
        return []
    taken: dict[int, list[tuple[datetime, datetime]]] = {}
    holding = Appointment.objects.filter(
        provider_id__in={a.provider_id for a in freed},
        status__in=HOLDING_STATUSES,
        starts_at__lt=end,
        ends_at__gt=now,
    ).values_list("provider_id", "starts_at", "ends_at")
    for provider_id, starts_at, ends_at in holding:
        taken.setdefault(provider_id, []).append((starts_at, ends_at))
    # Only what the rules read: the entry, the later appointment it would swap, its providers' ids.
    entries = list(
        WaitlistEntry.objects.select_related("current_appointment")
        .prefetch_related(Prefetch("providers", queryset=Provider.objects.only("id")))
        .filter(
            active=True,
            wait_until__gte=today,
            appointment_type_id__in={a.appointment_type_id for a in freed},
        )
        .filter(Q(location__isnull=True) | Q(location=location))
    )
    found: list[FreedSlot] = []
    seen: set[tuple[int, datetime]] = set()
    for slot in freed:
        key = (slot.provider_id, slot.starts_at)
        busy = taken.get(slot.provider_id, [])
        if key in seen or any(s < slot.ends_at and e > slot.starts_at for s, e in busy):
            continue
        seen.add(key)
        slot.location = location
        fits = sum(
            1
            for entry in entries
            if entry.appointment_type_id == slot.appointment_type_id
            and entry.patient_id != slot.patient_id
            and _fit_problem(entry, provider=slot.provider, location=location, starts_at=slot.starts_at, today=today)
            is None
        )
        if fits:
            found.append(FreedSlot(slot, fits))
    return found


def access_slot_matches(
    *,
    actor: User,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: datetime,
    exclude_patient: Patient | None = None,
) -> list[WaitlistEntry]:
    """`waitlist_matches` for `actor`: Http404 without the capabilities, restricted records left
    out, and the list read audited with the MRNs shown."""
    if not role_can(actor.role, Cap.SCHEDULE_READ) or not role_can(actor.role, Cap.PATIENT_DEMOGRAPHICS_READ):
        raise Http404
    matches = waitlist_matches(
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        starts_at=starts_at,
        exclude_patient=exclude_patient,
    )
    lens = patient_lens(viewer=actor)
    matches = [e for e in matches if not lens.masks(e.patient)]
    with transaction.atomic():
        _audit_list(actor, ObjectType.WAITLIST_MATCHES, [e.patient.mrn for e in matches])
    return matches


def access_waitlist_matches(*, actor: User, appointment: Appointment) -> list[WaitlistEntry]:
    """Who could take the slot `appointment` held (usually just cancelled), its own patient aside."""
    return access_slot_matches(
        actor=actor,
        provider=appointment.provider,
        location=appointment.location,
        appointment_type=appointment.appointment_type,
        starts_at=appointment.starts_at,
        exclude_patient=appointment.patient,
    )


# --- Offers ----------------------------------------------------------------------------------


def offer_slot(
    *,
    actor: User,
    entry: WaitlistEntry,
    provider: Provider,
    location: Location,
    starts_at: datetime,
    channel: str = STAFF_CHANNEL,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> WaitlistOffer:
    """Record that the slot was offered to the patient of `entry`; raises Conflict if it cannot be.

    Offering holds nothing: the slot stays bookable by anyone until an offer is accepted, and
    the first acceptance wins (the booking service refuses the others).
    """
    now = now or clock.now()
    if timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": ["Give the start time with its time zone."]})
    if starts_at < now:
        raise Conflict({"starts_at": ["That time has passed; offer a later slot."]}, title="Slot time is in the past")
    with transaction.atomic():
        current = _entries().select_for_update(of=("self",)).get(pk=entry.pk)
        problem = _fit_problem(current, provider=provider, location=location, starts_at=starts_at, today=_today())
        if problem is None and current.appointment_type.providers.filter(pk=provider.pk).count() == 0:
            problem = f"{provider} does not take {current.appointment_type.name}."
        if problem:
            raise Conflict({"entry": [problem]}, title="Slot does not suit this waitlist entry")
        if WaitlistOffer.objects.filter(
            entry=current, provider=provider, starts_at=starts_at, status=OfferStatus.OFFERED
        ).exists():
            raise Conflict(
                {"entry": ["This slot has already been offered to the patient; record the answer."]},
                title="Slot already offered",
            )
        offer = WaitlistOffer.objects.create(
            entry=current,
            provider=provider,
            location=location,
            starts_at=starts_at,
            channel=channel,
            expires_at=expires_at,
            offered_by=actor,
            offered_at=now,
        )
        audit_record(actor=actor, action=Action.CREATE, object_type=ObjectType.WAITLIST_OFFER, object_id=offer.public_id, patient_id=current.patient.mrn, changed_fields=["entry", "provider", "location", "starts_at"], detail=f"channel {channel}")  # fmt: skip
    return offer


def _open_offer(offer: WaitlistOffer, now: datetime) -> WaitlistOffer:
    current = (
        WaitlistOffer.objects.select_for_update(of=("self",))
        .select_related(
            "entry__patient", "entry__appointment_type", "entry__current_appointment", "provider__user", "location"
        )  # fmt: skip
        .get(pk=offer.pk)
    )
    if current.status != OfferStatus.OFFERED:
        raise Conflict(
            {"offer": [f"This offer was already {current.get_status_display().lower()}."]},
            title="Offer already answered",
        )
    if current.expires_at is not None and current.expires_at <= now:
        raise Conflict(
            {"offer": ["This offer has expired; offer the slot again if it is still free."]}, title="Offer has expired"
        )
    return current


def free_room(*, appointment_type: AppointmentType, provider: Provider, location: Location,
              starts_at: datetime, prefer: Room | None = None) -> Room | None:  # fmt: skip
    """A room the visit could use then (the preferred one first), or None (telehealth, or none free)."""
    if appointment_type.telehealth:
        return None
    allowed = set(appointment_type.rooms.values_list("pk", flat=True))
    rooms = [r for r in location.rooms.filter(active=True).order_by("name") if not allowed or r.pk in allowed]
    if prefer is not None and prefer in rooms:
        rooms.remove(prefer)
        rooms.insert(0, prefer)
    start, end = booking._span(appointment_type, starts_at)[2:]
    busy = set(
        Appointment.objects.filter(
            room__in=rooms, status__in=HOLDING_STATUSES, overbooked=False, block_start__lt=end, block_end__gt=start
        ).values_list("room_id", flat=True)
    )
    for room in rooms:
        if room.pk in busy:
            continue
        if availability_problem(appointment_type=appointment_type, provider=provider, location=location, room=room,
                                starts_at=starts_at) is None:  # fmt: skip
            return room
    return rooms[0] if rooms else None  # let the booking service say why none fits


def offer_accept(
    *,
    actor: User,
    offer: WaitlistOffer,
    room: Room | None = None,
    prefer_room: Room | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Appointment:
    """The patient said yes: book the slot (or move their later appointment onto it) and close the entry.

    Raises BookingRefused (nothing changes) when the slot was taken meanwhile. `room` empty
    picks a free room the type allows, `prefer_room` first (the freed appointment's room).
    Other open offers of the same slot expire.
    """
    now = now or clock.now()
    with transaction.atomic():
        current = _open_offer(offer, now)
        entry = current.entry
        if not entry.active:
            raise Conflict({"offer": ["The patient's waitlist entry is closed."]}, title="Waitlist entry is closed")
        kind = entry.appointment_type
        later = entry.current_appointment
        chosen = room or free_room(
            appointment_type=kind, provider=current.provider, location=current.location, starts_at=current.starts_at,
            prefer=prefer_room or (later.room if later is not None else None),
        )  # fmt: skip
        if later is not None and later.status == AppointmentStatus.SCHEDULED:
            appointment = booking.appointment_move(
                actor=actor,
                appointment=later,
                starts_at=current.starts_at,
                provider=current.provider,
                location=current.location,
                room=chosen,
                reason="earlier slot from the waitlist",
                now=now,
            )
        else:
            appointment = booking.appointment_book(
                actor=actor,
                data=booking.BookingInput(
                    patient=entry.patient,
                    provider=current.provider,
                    location=current.location,
                    appointment_type=kind,
                    starts_at=current.starts_at,
                    room=chosen,
                    reason=reason or entry.note,
                ),
                now=now,
            )
        current.status, current.answered_at, current.booked = OfferStatus.ACCEPTED, now, appointment
        current.save(update_fields=["status", "answered_at", "booked"])
        WaitlistOffer.objects.filter(status=OfferStatus.OFFERED).filter(
            Q(entry=entry) | Q(provider=current.provider, starts_at=current.starts_at)
        ).exclude(pk=current.pk).update(status=OfferStatus.EXPIRED, answered_at=now)
        entry.active, entry.closed_at = False, now
        entry.save(update_fields=["active", "closed_at"])
        mrn = entry.patient.mrn
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.WAITLIST_OFFER,
            object_id=current.public_id,
            patient_id=mrn,
            changed_fields=["status", "booked"],
            detail="accepted",
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.WAITLIST_ENTRY,
            object_id=entry.public_id,
            patient_id=mrn,
            changed_fields=["active"],
            detail="closed: booked",
        )
    return appointment


def offer_decline(*, actor: User, offer: WaitlistOffer, now: datetime | None = None) -> WaitlistOffer:
    """The patient said no; the entry stays on the list for the next slot."""
    now = now or clock.now()
    with transaction.atomic():
        current = _open_offer(offer, now)
        current.status, current.answered_at = OfferStatus.DECLINED, now
        current.save(update_fields=["status", "answered_at"])
        audit_record(actor=actor, action=Action.UPDATE, object_type=ObjectType.WAITLIST_OFFER, object_id=current.public_id, patient_id=current.entry.patient.mrn, changed_fields=["status"], detail="declined")  # fmt: skip
    return current


def waitlist_book_now(
    *,
    actor: User,
    entry: WaitlistEntry,
    provider: Provider,
    location: Location,
    starts_at: datetime,
    prefer_room: Room | None = None,
    now: datetime | None = None,
) -> Appointment:
    """The patient is on the phone and says yes: offer and accept in one go (one transaction)."""
    now = now or clock.now()
    with transaction.atomic():
        offer = offer_slot(actor=actor, entry=entry, provider=provider, location=location, starts_at=starts_at, now=now)
        return offer_accept(actor=actor, offer=offer, prefer_room=prefer_room, now=now)
