"""Patient flow through the day, and appointment confirmation: the writes.

A visit moves forward one step at a time::

    scheduled -> arrived (checked in) -> roomed -> with provider -> checked out -> completed

and ends without a visit as a no-show (from scheduled, once the start time has passed) or
cancelled (booking's `appointment_cancel`, which records the reason). A telehealth visit takes
no room, so it may go from arrived straight to with provider. Completed, no-show and cancelled
are final.

A step clicked by mistake is taken back with `flow_undo`: only the latest step, only once,
only within CLINICDESK_FLOW_UNDO_MINUTES of it, never from a final state. The undo clears the
undone state's timestamp (so visit timings read as if the step had not happened) and writes
its own history row ("status undone") and audit event; the step's own row stays.

Every function locks the appointment row (`select_for_update`), re-reads its status under the
lock and only then decides, so two staff clicking the same button at once apply it once: the
second click finds the patient already in that state and changes nothing. Each change writes
one AppointmentChange row and one audit event (with the patient's MRN) in the same
transaction; each state's timestamp is set when the state is entered and never again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.errors import Conflict

from .booking import booking_locks_take
from .clock import clock_text
from .models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    ConfirmationMethod,
    ConfirmationStatus,
    Room,
)
from .slots import MAX_BLOCK

S = AppointmentStatus
FINAL_STATUSES = (S.COMPLETED, S.NO_SHOW, S.CANCELLED)
NOTE_MAX = 150  # AppointmentChange.note holds 200; the demographics remark takes the rest

# The state each state moves to with one click, and the timestamp set on entering a state.
NEXT: dict[str, str] = {
    S.SCHEDULED: S.ARRIVED,
    S.ARRIVED: S.ROOMED,
    S.ROOMED: S.WITH_PROVIDER,
    S.WITH_PROVIDER: S.CHECKED_OUT,
    S.CHECKED_OUT: S.COMPLETED,
}
STAMP: dict[str, str] = {
    S.ARRIVED: "arrived_at",
    S.ROOMED: "roomed_at",
    S.WITH_PROVIDER: "with_provider_at",
    S.CHECKED_OUT: "checked_out_at",
    S.COMPLETED: "completed_at",
    S.NO_SHOW: "no_show_at",
}
# What staff press to enter each state (the board's buttons) and what it was called in messages.
ACTION_LABEL: dict[str, str] = {
    S.ARRIVED: "Check in",
    S.ROOMED: "Room",
    S.WITH_PROVIDER: "With provider",
    S.CHECKED_OUT: "Check out",
    S.COMPLETED: "Complete",
    S.NO_SHOW: "No-show",
}
# The step that has to come first, in words, for the refusal message.
_DO_FIRST: dict[str, str] = {
    S.SCHEDULED: "check the patient in",
    S.ARRIVED: "room the patient",
    S.ROOMED: "mark the patient as with the provider",
    S.WITH_PROVIDER: "check the patient out",
    S.CHECKED_OUT: "complete the visit",
}
_FINAL_ADVICE: dict[str, str] = {
    S.COMPLETED: "The visit is completed; nothing more can change in its flow.",
    S.NO_SHOW: (
        "The appointment was marked a no-show. If the patient has come after all, book a new appointment "
        "for them (today if there is room) and check that one in."
    ),
    S.CANCELLED: (
        "The appointment was cancelled. If the patient has come after all, book a new appointment for them "
        "and check that one in."
    ),
}


# Undo: the states a step can be taken back from, and the history row's `what` for an undo.
UNDOABLE = (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT)
UNDO_WHAT = "status undone"


def undo_minutes() -> int:
    return int(getattr(settings, "CLINICDESK_FLOW_UNDO_MINUTES", 30))


def undo_label(status: str) -> str:
    """The button that takes back the step into `status`: "Undo check in", "Undo room", ..."""
    return f"Undo {ACTION_LABEL[status].lower()}"


def previous_state(status: str, *, roomed: bool) -> str:
    """The state before `status` (with provider follows roomed, or arrived for telehealth)."""
    if status == S.WITH_PROVIDER:
        return S.ROOMED if roomed else S.ARRIVED
    before: dict[str, str] = {S.ARRIVED: S.SCHEDULED, S.ROOMED: S.ARRIVED, S.CHECKED_OUT: S.WITH_PROVIDER}
    return before[status]


def undo_problem(status: str, *, stepped_at: datetime | None, now: datetime, undone: bool) -> str | None:
    """Why the step into `status` cannot be undone now, in words; None when it can.

    `stepped_at` is when the step was taken (the state's timestamp), `undone` whether an undo
    came after it (only one step back is allowed).
    """
    if status in FINAL_STATUSES:
        return _FINAL_ADVICE[status]
    if status not in UNDOABLE:
        return "Nothing to undo: the patient has not been checked in."
    if undone:
        return "The last step was already undone; only one step can be taken back."
    minutes = undo_minutes()
    if stepped_at is None or now - stepped_at > timedelta(minutes=minutes):
        return f"{ACTION_LABEL[status]} was more than {minutes} minutes ago, so it can no longer be undone."
    return None


def allowed_next(appointment: Appointment) -> list[str]:
    """The states `appointment` may move to next by `flow_transition` (no-show is `no_show_mark`'s)."""
    if appointment.status != S.ARRIVED:
        return next_states(appointment.status, telehealth=False)
    return next_states(appointment.status, telehealth=appointment.appointment_type.telehealth)


def next_states(status: str, *, telehealth: bool) -> list[str]:
    """`allowed_next` from the status and whether the visit is telehealth (for reads without the model)."""
    if status not in NEXT:
        return []
    follow = [NEXT[status]]
    if status == S.ARRIVED and telehealth:
        follow.append(S.WITH_PROVIDER)
    return follow


def transition_problem(appointment: Appointment, to: str) -> str | None:
    """Why `appointment` cannot move to `to` now, in words that say what to do; None when it can.

    Moving to the state it is already in is not a problem (the caller treats it as done).
    """
    status = appointment.status
    if to not in STAMP or to == S.NO_SHOW:
        if to == S.CANCELLED:
            return "Cancel the appointment from its booking page, so the reason and any late-cancel fee are recorded."
        if to == S.NO_SHOW:
            return "Use the No-show button: it checks that the start time has passed."
        return f"{to!r} is not a step of the patient flow."
    if status == to:
        return None
    if status in FINAL_STATUSES:
        return _FINAL_ADVICE[status]
    if to in allowed_next(appointment):
        return None
    current = S(status).label.lower()
    order = list(NEXT)
    if order.index(status) >= list(STAMP).index(to):
        return f"The patient is already {current}; the flow only moves forward."
    return f"The patient is {current}, so {ACTION_LABEL[to].lower()} cannot happen yet: first {_DO_FIRST[status]}."


@dataclass(frozen=True)
class FlowResult:
    appointment: Appointment
    changed: bool  # False when it was already in that state (a second click)


def _locked(appointment: Appointment) -> Appointment:
    """The appointment's row, locked until the transaction ends, with what the checks read."""
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "location", "appointment_type", "room")
        .get(pk=appointment.pk)
    )


def _room_booked_then(room: Room, appointment: Appointment) -> bool:
    """Whether another time-holding booking has `room` during `appointment`'s block.

    Bounded below as the booking check is (a block is at most MAX_BLOCK long), so the read is
    a short range of the (room, block_start) index however many visits the room has had.
    """
    return (
        Appointment.objects.filter(
            room=room,
            status__in=HOLDING_STATUSES,
            overbooked=False,
            block_start__gte=appointment.block_start - MAX_BLOCK,
            block_start__lt=appointment.block_end,
            block_end__gt=appointment.block_start,
        )
        .exclude(pk=appointment.pk)
        .exists()
    )


def _room_problem(appointment: Appointment, room: Room | None, now: datetime) -> str | None:
    if room is None:
        return "Choose the room the patient is taken to."
    if room.location_id != appointment.location_id or not room.active:
        return f"Choose an active room at {appointment.location.name}."
    occupied = (
        Appointment.objects.filter(room=room, status__in=(S.ROOMED, S.WITH_PROVIDER))
        .exclude(pk=appointment.pk)
        .exists()
    )
    if occupied:
        return f"{room.name} has another patient in it. Choose another room, or check that patient out first."
    if _room_booked_then(room, appointment) and not appointment.overbooked:
        return f"{room.name} is booked for another appointment at this time. Choose another room."
    return None


def _record(
    *, actor: User, appointment: Appointment, what: str, old: str, new: str, note: str, changed: list[str], now
) -> None:
    """One history row and one audit event for a change of `what` from `old` to `new`."""
    AppointmentChange.objects.create(
        appointment=appointment, at=now, by=actor, what=what, old_value=old, new_value=new, note=note[:200]
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.APPOINTMENT,
        object_id=str(appointment.public_id),
        patient_id=appointment.patient.mrn,
        changed_fields=changed,
        detail=f"{what}: {old or '-'} -> {new or '-'}",
    )


@transaction.atomic
def flow_transition(
    *,
    actor: User,
    appointment: Appointment,
    to: str,
    room: Room | None = None,
    note: str = "",
    demographics_verified: bool | None = None,
) -> FlowResult:
    """Move the patient of `appointment` one step along the flow, to `to`.

    `room` is required for `roomed` (an active room of the appointment's location that nobody
    else is in or booked into). `demographics_verified` is for check-in: True or False is
    written into the history row (None: not asked, e.g. through the API without it). Raises
    ValidationError on `room`/`note` for bad input and Conflict on `to` for a step out of order,
    with a message saying why and what to do. Already in state `to`: nothing is written and
    `changed` is False (two clicks on one button apply once).
    """
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [f"Keep the note under {NOTE_MAX} characters."]})
    now = clock.now()
    current = _locked(appointment)
    if current.status == to:
        if to == S.ROOMED and room is not None and room.pk != current.room_id:
            where = current.room.name if current.room else "a room"
            raise Conflict(
                {"to": [f"The patient is already roomed in {where}; the flow only moves forward."]},
                title="Patient is already roomed",
            )
        return FlowResult(current, False)
    problem = transition_problem(current, to)
    if problem:
        raise Conflict({"to": [problem]}, title="Step not possible from here")
    old = current.status
    changed = ["status", STAMP[to]]
    booked_room = current.room
    if to == S.ROOMED:
        # The room's booking lock first, so that two people rooming patients into one room at
        # once are checked one after the other: the second sees the first patient in the room
        # (instead of both seeing it empty), and neither is caught in the room's exclusion check.
        booking_locks_take(room=room)
        room_problem = _room_problem(current, room, now)
        if room_problem:
            raise ValidationError({"room": [room_problem]})
        if current.room_id != room.pk:  # type: ignore[union-attr]  # checked above
            current.room = room
            changed.append("room")
    current.status = to
    setattr(current, STAMP[to], now)
    remarks = []
    if to == S.ARRIVED and demographics_verified is not None:
        remarks.append("Demographics verified." if demographics_verified else "Demographics NOT verified.")
    if to == S.ROOMED and current.room is not None:
        remarks.append(f"Room: {current.room.name}.")
    if note:
        remarks.append(note)
    try:
        with transaction.atomic():
            current.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as exc:  # PostgreSQL's room exclusion constraint, if a booking raced us
        raise ValidationError({"room": ["That room was just booked for this time. Choose another room."]}) from exc
    _record(
        actor=actor,
        appointment=current,
        what="status",
        old=old,
        new=to,
        note=" ".join(remarks),
        changed=changed,
        now=now,
    )
    if room is not None and "room" in changed:
        # Rooming put the patient in another room than the one booked for the visit (or none was):
        # the history keeps which, so undoing the rooming gives it back (the audit event above
        # covers this row too).
        booked = booked_room.name if booked_room else ""
        AppointmentChange.objects.create(
            appointment=current, at=now, by=actor, what="room", old_value=booked, new_value=room.name
        )
    return FlowResult(current, True)


@transaction.atomic
def flow_undo(*, actor: User, appointment: Appointment, reason: str) -> FlowResult:
    """Take back the latest flow step of `appointment`: back to the state before it.

    Only the step into the current state, once, within CLINICDESK_FLOW_UNDO_MINUTES of it, and
    never from completed, no-show or cancelled. The undone state's timestamp is cleared; undoing
    rooming also gives back the room booked for the visit (or none). `reason` (required, under
    NOTE_MAX characters) goes into the history row. Raises ValidationError on `reason` and
    Conflict on `to` when the step cannot be undone, with a message saying why.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the step is undone (e.g. clicked by mistake, wrong patient)."]})
    if len(reason) > NOTE_MAX:
        raise ValidationError({"reason": [f"Keep the reason under {NOTE_MAX} characters."]})
    now = clock.now()
    current = _locked(appointment)
    status = current.status
    stepped_at = getattr(current, STAMP[status]) if status in STAMP else None
    latest = (
        AppointmentChange.objects.filter(appointment=current, what__in=("status", UNDO_WHAT)).order_by("-id").first()
    )
    undone = latest is not None and latest.what == UNDO_WHAT
    problem = undo_problem(status, stepped_at=stepped_at, now=now, undone=undone)
    if problem:
        raise Conflict({"to": [problem]}, title="Step cannot be undone")
    back = previous_state(status, roomed=current.roomed_at is not None)
    changed = ["status", STAMP[status]]
    remarks = [f"Undone: {ACTION_LABEL[status].lower()}."]
    if status == S.ROOMED:
        current.room = _room_before_rooming(current, stepped_at)  # type: ignore[arg-type]  # set: undo_problem
        booking_locks_take(room=current.room)
        changed.append("room")
        remarks.append(f"Room: {current.room.name}." if current.room else "Room cleared.")
    current.status = back
    setattr(current, STAMP[status], None)
    remarks.append(f"Reason: {reason}")
    try:
        with transaction.atomic():
            current.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:  # PostgreSQL: the booked room was taken since; leave the patient without one
        current.room = None
        current.save(update_fields=[*changed, "updated_at"])
    _record(
        actor=actor,
        appointment=current,
        what=UNDO_WHAT,
        old=status,
        new=back,
        note=" ".join(remarks),
        changed=changed,
        now=now,
    )
    return FlowResult(current, True)


def _room_before_rooming(appointment: Appointment, roomed_at: datetime) -> Room | None:
    """The room booked for the visit before rooming (see flow_transition): the current room when
    rooming kept it; None when none was booked, or when another booking holds it now."""
    moved = AppointmentChange.objects.filter(appointment=appointment, what="room", at=roomed_at).order_by("-id").first()
    if moved is None:  # rooming kept the booked room
        return appointment.room
    if not moved.old_value:
        return None
    room = Room.objects.filter(location=appointment.location_id, name__iexact=moved.old_value).first()
    if room is None:
        return None
    return None if _room_booked_then(room, appointment) else room


@transaction.atomic
def no_show_mark(*, actor: User, appointment: Appointment) -> FlowResult:
    """Mark a scheduled appointment a no-show, once its start time has passed.

    Raises Conflict on `to` before the start time or from any state but scheduled (a patient
    who arrived is not a no-show). Already a no-show: nothing is written, `changed` is False.
    """
    now = clock.now()
    current = _locked(appointment)
    if current.status == S.NO_SHOW:
        return FlowResult(current, False)
    if current.status in FINAL_STATUSES:
        raise Conflict({"to": [_FINAL_ADVICE[current.status]]}, title="Visit is already closed")
    if current.status != S.SCHEDULED:
        label = S(current.status).label.lower()
        raise Conflict(
            {"to": [f"The patient is {label}, so they did come: a no-show is only for a patient who never arrived."]},
            title="Patient has arrived",
        )
    if now < current.starts_at:
        starts = clock_text(timezone.localtime(current.starts_at, _zone(current)))
        raise Conflict(
            {"to": [f"The visit starts at {starts}. Mark a no-show only once the start time has passed."]},
            title="Visit has not started yet",
        )
    current.status = S.NO_SHOW
    current.no_show_at = now
    current.save(update_fields=["status", "no_show_at", "updated_at"])
    _record(
        actor=actor,
        appointment=current,
        what="status",
        old=S.SCHEDULED,
        new=S.NO_SHOW,
        note="",
        changed=["status", "no_show_at"],
        now=now,
    )
    return FlowResult(current, True)


def _zone(appointment: Appointment):
    from zoneinfo import ZoneInfo

    return ZoneInfo(appointment.location.time_zone)


# Methods that fit each outcome: a message is left by phone or as a text; a confirmation or a
# refusal may come any way. Unconfirmed takes no method (it resets the confirmation).
CONFIRMATION_METHODS: dict[str, tuple[str, ...]] = {
    ConfirmationStatus.CONFIRMED: tuple(ConfirmationMethod.values),
    ConfirmationStatus.DECLINED: tuple(ConfirmationMethod.values),
    ConfirmationStatus.LEFT_MESSAGE: (ConfirmationMethod.PHONE, ConfirmationMethod.SMS, ConfirmationMethod.EMAIL),
    ConfirmationStatus.UNCONFIRMED: (),
}


@transaction.atomic
def confirmation_set(*, actor: User, appointment: Appointment, status: str, method: str = "") -> FlowResult:
    """Record whether the patient confirmed the appointment, how, by whom (`actor`) and when (now).

    Confirmed, left message and declined need the `method` (phone, email, SMS, portal, in
    person; a message is left by phone, text or email); unconfirmed clears it. Only a scheduled
    appointment is confirmed. Raises ValidationError on `status`/`method`. The same status and
    method again changes nothing (`changed` False).
    """
    errors: dict[str, list[str]] = {}
    if status not in ConfirmationStatus.values:
        errors["status"] = ["Choose confirmed, left message, declined or unconfirmed."]
    else:
        fitting = CONFIRMATION_METHODS[status]
        if not fitting and method:
            errors["method"] = ["Leave the method empty when setting the appointment back to unconfirmed."]
        elif fitting and method not in fitting:
            labels = ", ".join(ConfirmationMethod(m).label.lower() for m in fitting)
            errors["method"] = [f"Say how the patient was reached: {labels}."]
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    current = _locked(appointment)
    if current.status != S.SCHEDULED:
        label = S(current.status).label.lower()
        raise Conflict(
            {"status": [f"The appointment is {label}; only a scheduled appointment is confirmed."]},
            title="Appointment is no longer scheduled",
        )
    if current.confirmation == status and current.confirmation_method == method:
        return FlowResult(current, False)
    old = current.confirmation + (f" ({current.confirmation_method})" if current.confirmation_method else "")
    new = status + (f" ({method})" if method else "")
    current.confirmation = status
    current.confirmation_method = method
    unconfirmed = status == ConfirmationStatus.UNCONFIRMED
    current.confirmed_by = None if unconfirmed else actor
    current.confirmed_at = None if unconfirmed else now
    fields = ["confirmation", "confirmation_method", "confirmed_by", "confirmed_at"]
    current.save(update_fields=[*fields, "updated_at"])
    _record(actor=actor, appointment=current, what="confirmation", old=old, new=new, note="", changed=fields, now=now)
    return FlowResult(current, True)
