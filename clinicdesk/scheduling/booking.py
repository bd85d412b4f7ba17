"""Booking, moving and cancelling appointments: never a double booking.

The guarantee lives in the database, not in this module's checks:
- PostgreSQL: exclusion constraints (migration 0003) refuse a second appointment holding time
  that overlaps another of the same provider, room or patient. Two clerks booking the same
  slot at the same instant both pass the friendly check below; one insert wins, the other gets
  the constraint's error, which is turned into the same clear Conflict.
- SQLite: every transaction begins IMMEDIATE (settings), taking the database's write lock
  before its first read, so the overlap check and the insert run with no other writer between
  them.

Before the check, the booking takes the locks of everyone it could clash with — the patient,
then the provider, then the room, always in that order (PostgreSQL advisory locks; SQLite's
write lock already covers them). Two bookings of one patient with different providers would
otherwise each insert, each find the other's row while checking the patient's exclusion
constraint, and deadlock; ordered locks make the second wait for the first and then read it.
A deadlock, serialization failure or lock timeout that still happens (a booking inside a longer
transaction) is retried a few times when the booking is its own transaction, and otherwise
answered as a refusal (409) asking to try again: never a server error.

The friendly check runs first on both, so the person booking reads which appointment is in
the way. Everything else that makes a time bookable (templates, exceptions, holidays, rooms,
the type's rules) is `slots.availability_problem`. Every change is audited and leaves an
AppointmentChange row; a moved appointment keeps its row and public id.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.datetimes import weekday_datetime_text
from clinicdesk.core.errors import Conflict
from clinicdesk.patients.models import Patient, PatientStatus

from .booking_checks import availability_problem, overbook_count
from .models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    AppointmentType,
    ConfirmationStatus,
    Location,
    Provider,
    Room,
)
from .patient_kind import patient_kind_problem
from .setup import MAX_BUFFER_MINUTES
from .setup_snapshot import SetupSnapshot
from .signals import appointment_booked
from .slots import MAX_BLOCK

_T = TypeVar("_T")
_EXCLUSION_VIOLATION = "23P01"
# Deadlock, serialization failure, lock not available: the transaction may simply be run again.
_RETRYABLE = {"40P01", "40001", "55P03"}
ATTEMPTS = 4
# First key of pg_advisory_xact_lock(int, int), one per kind of party; patient < provider < room
# is the order every booking takes them in. Two-key locks never collide with the one-key locks
# of the audit chain or the note templates.
_LOCK_SPACE = {"patient": 0x43440001, "provider": 0x43440002, "room": 0x43440003}


class BookingRefused(Conflict):
    """The time cannot be booked; the message says why and `title` names the kind of refusal."""


# Titles of the refusal kinds (the API's problem title, the heading of the refused form).
PAST = "Appointment time is in the past"
PATIENT_INACTIVE = "Patient record is not active"
NO_OVERBOOKING = "Visit type cannot be overbooked"
WRONG_PATIENT_KIND = "Visit type does not suit this patient"
PATIENT_BUSY = "Patient already has an appointment then"
PROVIDER_BUSY = "Provider already has an appointment then"
ROOM_BUSY = "Room is already booked then"
UNAVAILABLE = "Time is not available"
OVERBOOK_LIMIT = "Overbooking limit reached"
NOT_SCHEDULED = "Appointment is no longer scheduled"
REASON_NEEDED = "Reason required"
BUSY = "Booking could not be checked; try again"


@dataclass
class BookingInput:
    patient: Patient
    provider: Provider
    location: Location
    appointment_type: AppointmentType
    starts_at: datetime
    room: Room | None = None
    reason: str = ""
    overbook: bool = False  # the person booking means to double-book (allowed by some types)


def _local(moment: datetime, location: Location) -> str:
    return weekday_datetime_text(moment, location.time_zone)


def _span(kind: AppointmentType, starts_at: datetime) -> tuple[datetime, datetime, datetime, datetime]:
    ends_at = starts_at + timedelta(minutes=kind.duration_minutes)
    return (
        starts_at,
        ends_at,
        starts_at - timedelta(minutes=kind.buffer_before_minutes),
        ends_at + timedelta(minutes=kind.buffer_after_minutes),
    )


def _refuse(field: str, message: str, title: str) -> BookingRefused:
    return BookingRefused({field: [message]}, title=title)


def booking_locks_take(
    *, patient: Patient | None = None, provider: Provider | None = None, room: Room | None = None
) -> None:
    """Take the booking locks of `patient`, `provider` and `room` (those given), in the one
    fixed order. Whatever writes an appointment's time, provider, room or patient takes them
    first: booking and moving here, rooming in flow.py.

    Held to the end of the transaction. SQLite needs none: its IMMEDIATE transaction holds the
    database's write lock from its first statement. A transaction may take the same lock again
    (a series books several visits for one patient and provider) without waiting on itself.
    """
    if connection.vendor != "postgresql":
        return
    parties = (("patient", patient), ("provider", provider), ("room", room))
    keys = [(kind, party.pk) for kind, party in parties if party is not None]
    with connection.cursor() as cursor:
        for kind, pk in keys:  # already in the order of _LOCK_SPACE
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE[kind], pk % 2**31])


def _retryable(exc: OperationalError) -> bool:
    """A deadlock, serialization failure or busy lock (PostgreSQL), or a locked database (SQLite)."""
    return getattr(exc.__cause__, "sqlstate", None) in _RETRYABLE or "database is locked" in str(exc)


def _run_retrying(work: Callable[[], _T]) -> _T:
    """Run `work` (which opens its own transaction); again, after a short pause, when the database
    gave up on it for a deadlock or a busy lock — at most ATTEMPTS times, and only when it is its
    own transaction (inside a caller's, the caller's work is lost too). Then a BookingRefused."""
    outermost = not connection.in_atomic_block
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return work()
        except OperationalError as exc:
            if not _retryable(exc):
                raise
            if not outermost or attempt == ATTEMPTS:
                raise _refuse(
                    "starts_at",
                    "Other bookings for the same patient, provider or room were being saved at the same moment, "
                    "so this one could not be checked. Nothing was booked; try again.",
                    BUSY,
                ) from exc
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _basic_problems(data: BookingInput, now: datetime) -> None:
    """What is wrong with the request itself, before looking at anyone's calendar."""
    if timezone.is_naive(data.starts_at):  # a mistake in the request, not a clash: 422
        raise ValidationError(
            {"starts_at": ["Give the start time with its time zone (ISO 8601, e.g. 2026-12-01T14:00:00Z)."]}
        )
    if data.starts_at < now:
        raise _refuse("starts_at", "That time has passed. Choose a time from now on.", PAST)
    if data.patient.status != PatientStatus.ACTIVE:
        raise _refuse(
            "patient",
            f"The patient's record is {data.patient.get_status_display().lower()}; reactivate it first.",
            PATIENT_INACTIVE,
        )
    if data.overbook and not data.appointment_type.overbook_allowed:
        raise _refuse("overbook", f"{data.appointment_type} may not be overbooked. Choose a free time.", NO_OVERBOOKING)
    _patient_kind_problem(data)


def _patient_kind_problem(data: BookingInput) -> None:
    problem = patient_kind_problem(data.appointment_type, data.patient, data.starts_at, data.location.time_zone)
    if problem:
        raise _refuse("appointment_type", problem, WRONG_PATIENT_KIND)


def _in_the_way(
    *, provider: Provider, room: Room | None, patient: Patient, block: tuple[datetime, datetime], exclude: int | None
) -> tuple[str, Appointment] | None:
    """The first appointment holding time that this booking would overlap, and why it matters.

    Reads bare columns; the one appointment in the way is loaded whole only to name it.
    """
    start, end = block
    # Each branch is a range on its index, (provider, block_start), (patient, starts_at) or
    # (room, block_start), so the check reads the few rows near the time whatever the history:
    # a block that overlaps starts before `end` and, at most MAX_BLOCK long, after start - MAX_BLOCK;
    # its visit starts at most the largest buffer after its block does. Plain SQL: every booking
    # runs it, and the ORM took longer to build the query than the database to answer it.
    earliest, latest_visit = start - MAX_BLOCK, end + timedelta(minutes=MAX_BUFFER_MINUTES)
    branches = ["(provider_id = %s AND NOT overbooked AND block_start >= %s AND block_start < %s)",
                "(patient_id = %s AND starts_at >= %s AND starts_at < %s)"]  # fmt: skip
    params: list[Any] = [provider.pk, earliest, end, patient.pk, earliest, latest_visit]
    if room is not None:
        branches.append("(room_id = %s AND NOT overbooked AND block_start >= %s AND block_start < %s)")
        params += [room.pk, earliest, end]
    holding = ", ".join(["%s"] * len(HOLDING_STATUSES))
    sql = (
        "SELECT id, patient_id, provider_id, room_id, overbooked FROM scheduling_appointment "  # noqa: S608 - fixed text
        f"WHERE ({' OR '.join(branches)}) AND status IN ({holding}) AND block_start < %s AND block_end > %s "
        "AND id <> %s ORDER BY block_start LIMIT 5"
    )
    params += [*HOLDING_STATUSES, end, start, exclude or 0]
    adapt = connection.ops.adapt_datetimefield_value  # SQLite keeps datetimes as UTC text
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(p) if isinstance(p, datetime) else p for p in params])
        clashes = cursor.fetchall()
    for pk, patient_id, provider_id, room_id, overbooked in clashes:
        if patient_id == patient.pk:
            kind = "patient"
        elif provider_id == provider.pk and not overbooked:
            kind = "provider"
        elif room is not None and room_id == room.pk:
            kind = "room"
        else:
            continue
        return kind, Appointment.objects.select_related("provider__user", "room", "location").get(pk=pk)
    return None


def _clash_message(kind: str, other: Appointment) -> BookingRefused:
    when = f"{_local(other.starts_at, other.location)}"
    if kind == "patient":
        return _refuse(
            "patient", f"The patient already has an appointment then ({when}). Choose another time.", PATIENT_BUSY
        )
    if kind == "room":
        return _refuse("room", f"{other.room} is booked then ({when}). Choose another room or time.", ROOM_BUSY)
    return _refuse(
        "starts_at",
        f"{other.provider} already has an appointment then ({when}). Choose another time"
        + (", or overbook if the visit type allows it." if not other.overbooked else "."),
        PROVIDER_BUSY,
    )


def _conflict_from_constraint(exc: IntegrityError) -> BookingRefused | None:
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) != _EXCLUSION_VIOLATION:
        return None
    name = getattr(getattr(cause, "diag", None), "constraint_name", "") or ""
    if "patient" in name:
        return _refuse(
            "patient", "The patient was just booked at an overlapping time. Choose another time.", PATIENT_BUSY
        )
    if "room" in name:
        return _refuse("room", "That room was just booked by someone else. Choose another room or time.", ROOM_BUSY)
    return _refuse("starts_at", "Someone else just booked that time. Choose another time.", PROVIDER_BUSY)


def _availability_check(data: BookingInput, now: datetime, setup: SetupSnapshot | None = None) -> None:
    """Templates, exceptions, holidays, rooms, the type's rules: everything but other appointments."""
    problem = availability_problem(
        appointment_type=data.appointment_type,
        provider=data.provider,
        location=data.location,
        room=data.room,
        starts_at=data.starts_at,
        patient=data.patient,
        now=now,
        setup=setup,
    )
    if problem:
        raise _refuse("starts_at", problem, UNAVAILABLE)


def _hold(
    data: BookingInput, *, overbook: bool, exclude: int | None = None
) -> tuple[bool, tuple[datetime, datetime, datetime, datetime]]:
    """The overlap and overbooking checks, run under the lock; returns (overbooked?, visit and block times)."""
    span = _span(data.appointment_type, data.starts_at)
    clash = _in_the_way(
        provider=data.provider, room=data.room, patient=data.patient, block=(span[2], span[3]), exclude=exclude
    )
    overbooked = False
    if clash is not None:
        kind, other = clash
        if kind != "provider" or not overbook:
            raise _clash_message(kind, other)
        zone = data.location.time_zone
        day = data.starts_at.astimezone(ZoneInfo(zone)).date()
        count = overbook_count(data.provider, data.appointment_type, day, time_zone=zone)
        if count >= data.appointment_type.overbook_limit:
            raise _refuse(
                "overbook",
                f"{data.provider} already has {data.appointment_type.overbook_limit} overbooked "
                f"{data.appointment_type} visit(s) that day, the most allowed. Choose another day.",
                OVERBOOK_LIMIT,
            )
        overbooked = True
    return overbooked, span


def booking_problem(data: BookingInput, *, now: datetime | None = None) -> str | None:
    """Why `data` could not be booked now, in the words appointment_book would use; None if it could.

    Reads only (availability, overlaps, the overbooking limit) and takes no lock, so the answer
    is a forecast: appointment_book checks again under its lock and may still refuse.
    """
    now = now or clock.now()
    try:
        _basic_problems(data, now)
        _availability_check(data, now)
        _hold(data, overbook=data.overbook)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


def _change(appointment: Appointment, actor: User, what: str, old: str = "", new: str = "", note: str = "") -> None:
    AppointmentChange.objects.create(
        appointment=appointment, by=actor, what=what, old_value=old[:200], new_value=new[:200], note=note[:200]
    )


def appointment_book(*, actor: User, data: BookingInput, now: datetime | None = None, series: Any = None,
                     series_index: int | None = None, setup: SetupSnapshot | None = None) -> Appointment:  # fmt: skip
    """Book `data`, or raise BookingRefused (a Conflict: 409 from the API) saying why.

    `setup` is a setup snapshot the caller already holds (setup_snapshot.current_setup).
    """
    now = now or clock.now()
    _basic_problems(data, now)
    # Outside the transaction: the practice setup it reads is not what two bookings race for, and
    # on SQLite the transaction holds the database's write lock, so it stays as short as possible.
    _availability_check(data, now, setup)
    return _run_retrying(lambda: _book_locked(actor, data, series, series_index))


def _book_locked(actor: User, data: BookingInput, series: Any, series_index: int | None) -> Appointment:
    """appointment_book's transaction: lock the parties, check under the locks, insert, audit."""
    try:
        with transaction.atomic():
            booking_locks_take(patient=data.patient, provider=data.provider, room=data.room)
            overbooked, (starts, ends, block_start, block_end) = _hold(data, overbook=data.overbook)
            appointment = Appointment.objects.create(
                patient=data.patient,
                provider=data.provider,
                location=data.location,
                room=None if overbooked else data.room,
                appointment_type=data.appointment_type,
                starts_at=starts,
                ends_at=ends,
                block_start=block_start,
                block_end=block_end,
                reason=(data.reason or data.appointment_type.default_reason).strip()[:200],
                overbooked=overbooked,
                series=series,
                series_index=series_index,
                created_by=actor,
            )
            booked_at = _local(starts, data.location)
            _change(appointment, actor, "booked", new=booked_at, note="overbooked" if overbooked else "")
            audit_record(
                actor=actor,
                action=Action.CREATE,
                object_type=ObjectType.APPOINTMENT,
                object_id=appointment.public_id,
                patient_id=appointment.patient.mrn,
                changed_fields=["starts_at", "provider", "location", "appointment_type"],
            )
            appointment_booked.send(sender=Appointment, appointment=appointment, actor=actor)
    except IntegrityError as exc:
        refused = _conflict_from_constraint(exc)
        if refused is None:
            raise
        raise refused from exc
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "provider__user", "location", "room", "appointment_type")
        .get(pk=appointment.pk)
    )


def appointment_move(
    *,
    actor: User,
    appointment: Appointment,
    starts_at: datetime,
    provider: Provider | None = None,
    location: Location | None = None,
    room: Room | None | bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Reschedule: same row and public id, new time (and maybe provider, location, room).

    `room=False` keeps the room; None clears it. The old time is kept in the history, and the
    confirmation starts over, because the patient confirmed the old time.
    """
    now = now or clock.now()
    return _run_retrying(lambda: _move_locked(actor, appointment, starts_at, provider, location, room, reason, now))


def _move_locked(
    actor: User,
    appointment: Appointment,
    starts_at: datetime,
    provider: Provider | None,
    location: Location | None,
    room: Room | None | bool,
    reason: str,
    now: datetime,
) -> Appointment:
    """appointment_move's transaction: lock the row, then the parties, check, save, audit."""
    try:
        with transaction.atomic():
            current = _locked(appointment)
            if current.status != AppointmentStatus.SCHEDULED:
                raise _refuse(
                    "status",
                    f"This appointment is {current.get_status_display().lower()}; only a scheduled one can be moved. "
                    "Book a new appointment instead.",
                    NOT_SCHEDULED,
                )
            data = BookingInput(
                patient=current.patient,
                provider=provider or current.provider,
                location=location or current.location,
                appointment_type=current.appointment_type,
                starts_at=starts_at,
                room=current.room if room is False else room,  # type: ignore[arg-type]  # False means keep the current room; the service takes Room | None
                reason=current.reason,
            )
            _basic_problems(data, now)
            _availability_check(data, now)
            booking_locks_take(patient=data.patient, provider=data.provider, room=data.room)
            overbooked, (starts, ends, block_start, block_end) = _hold(
                data, overbook=current.overbooked, exclude=current.pk
            )
            # The history is read by people: the times in the house style, in the location's zone.
            old = f"{_local(current.starts_at, current.location)} {current.provider} @ {current.location}"
            current.provider, current.location, current.room = data.provider, data.location, data.room
            current.starts_at, current.ends_at, current.block_start, current.block_end = (
                starts, ends, block_start, block_end
            )  # fmt: skip
            current.overbooked = overbooked
            if overbooked:
                current.room = None
            current.confirmation = ConfirmationStatus.UNCONFIRMED
            current.confirmation_method, current.confirmed_by, current.confirmed_at = "", None, None
            current.save()
            new = f"{_local(starts, current.location)} {current.provider} @ {current.location}"
            _change(current, actor, "moved", old=old, new=new, note=reason)
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                object_type=ObjectType.APPOINTMENT,
                object_id=current.public_id,
                patient_id=current.patient.mrn,
                changed_fields=["starts_at", "provider", "location", "room"],
                detail="moved",
            )
    except IntegrityError as exc:
        refused = _conflict_from_constraint(exc)
        if refused is None:
            raise
        raise refused from exc
    return current


def appointment_cancel(
    *, actor: User, appointment: Appointment, reason: str, now: datetime | None = None
) -> Appointment:
    """Cancel a scheduled appointment, recording who, when, why and whether it was late."""
    now = now or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise _refuse(
            "reason", "Say why the appointment is cancelled (e.g. patient called, provider out).", REASON_NEEDED
        )
    with transaction.atomic():
        current = _locked(appointment)
        if current.status != AppointmentStatus.SCHEDULED:
            raise _refuse(
                "status",
                f"This appointment is {current.get_status_display().lower()}; only a scheduled one can be cancelled.",
                NOT_SCHEDULED,
            )
        current.status = AppointmentStatus.CANCELLED
        current.cancelled_at, current.cancelled_by, current.cancel_reason = now, actor, reason[:200]
        current.late_cancel = current.starts_at - now < timedelta(hours=settings.CLINICDESK_LATE_CANCEL_HOURS)
        current.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "late_cancel",
                                    "updated_at"])  # fmt: skip
        _change(current, actor, "cancelled", old="scheduled", new="cancelled",
                note=("late: " if current.late_cancel else "") + reason)  # fmt: skip
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.APPOINTMENT,
            object_id=current.public_id,
            patient_id=current.patient.mrn,
            changed_fields=["status"],
            detail="late cancel" if current.late_cancel else "cancelled",
        )
    return current
