"""API of the patient flow, confirmations, the flow board and the day schedule.

Over the same services (flow.py) and reads (calendar_access) as the pages. Moving a patient
along needs schedule.write; reading the board or a day needs schedule.read. A step out of
order is a 409 problem whose `errors[].message` says why and what to do.
"""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Query, Router, Schema
from pydantic import Field

from clinicdesk.core import clock
from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.schemas import InputSchema, ScheduleDate

from . import flow
from . import selectors_calendar as cal
from .access import access_appointment
from .calendar_access import access_day_schedule, access_flow_board
from .models import Appointment, ConfirmationMethod, ConfirmationStatus

router = Router(tags=["patient flow"])

FlowState = Literal["arrived", "roomed", "with_provider", "checked_out", "completed"]


class FlowIn(InputSchema):
    to: FlowState = Field(
        description="The next state: arrived (check-in), roomed, with_provider, checked_out, completed"
    )
    room: UUID | None = Field(None, description="public_id of the room; required for roomed")
    note: str = Field("", max_length=150)
    demographics_verified: bool | None = Field(
        None, description="At check-in: the patient confirmed name, birth date, address, phone and insurance"
    )


class UndoIn(InputSchema):
    reason: str = Field(
        min_length=1, max_length=150, description="Why the step is undone, e.g. clicked by mistake, wrong patient"
    )


class ConfirmationIn(InputSchema):
    status: ConfirmationStatus
    method: ConfirmationMethod | Literal[""] = Field("", description="How the patient was reached; empty to reset")


class AppointmentFlowOut(Schema):
    public_id: UUID
    patient_mrn: str
    provider: UUID
    location: UUID
    room: UUID | None
    appointment_type: str
    starts_at: datetime
    ends_at: datetime
    status: str
    confirmation: str
    confirmation_method: str
    confirmed_at: datetime | None
    arrived_at: datetime | None
    roomed_at: datetime | None
    with_provider_at: datetime | None
    checked_out_at: datetime | None
    completed_at: datetime | None
    no_show_at: datetime | None


class ScheduledOut(AppointmentFlowOut):
    patient_name: str = Field(
        description="Last, First; the MRN for roles that do not read demographics; initials for a restricted "
        "record without an emergency-access grant (its reason is then empty)"
    )
    color: str
    reason: str
    overbooked: bool


class FlowBoardRowOut(ScheduledOut):
    minutes_in_state: int | None
    wait_minutes: int | None = Field(description="Minutes waiting now (waiting room, or exam room for the provider)")
    total_wait_minutes: int | None = Field(description="Arrival to provider (so far, while waiting)")
    late_minutes: int | None = Field(description="Minutes past the start time of a patient not yet arrived")
    wait_level: Literal["ok", "amber", "red"]
    next: list[str] = Field(description="States the patient may move to next")
    can_undo: bool = Field(description="The latest step can still be undone (flow/undo)")


class FlowBoardOut(Schema):
    location: UUID
    day: date
    amber_minutes: int
    red_minutes: int
    rows: list[FlowBoardRowOut]


class DayProviderOut(Schema):
    provider: UUID
    name: str
    appointments: list[ScheduledOut]


class DayScheduleOut(Schema):
    location: UUID
    day: date
    time_zone: str
    providers: list[DayProviderOut]


_FLOW_FIELDS = (
    "status", "confirmation", "confirmation_method", "confirmed_at", "starts_at", "ends_at", "arrived_at",
    "roomed_at", "with_provider_at", "checked_out_at", "completed_at", "no_show_at",
)  # fmt: skip


def _flow_out(appointment: Appointment) -> dict:
    out = {name: getattr(appointment, name) for name in _FLOW_FIELDS}
    out.update(
        public_id=appointment.public_id,
        patient_mrn=appointment.patient.mrn,
        provider=appointment.provider.public_id,
        location=appointment.location.public_id,
        room=appointment.room.public_id if appointment.room else None,
        appointment_type=appointment.appointment_type.name,
    )
    return out


def _scheduled(appointment: Appointment, label: str, reason: str) -> dict:
    """An appointment as a schedule lists it: `label` and `reason` are what the viewer may see
    (initials and no reason for a restricted patient without a grant, see patients/display.py)."""
    out = _flow_out(appointment)
    out.update(
        patient_name=label,
        color=appointment.appointment_type.color,
        reason=reason,
        overbooked=appointment.overbooked,
    )
    return out


def _location(public_id: UUID):
    location = cal.location_for(public_id=public_id)
    if location is None:
        raise Http404
    return location


@router.post(
    "/appointments/{uuid:public_id}/flow", response=AppointmentFlowOut, summary="Move a patient to the next flow state"
)
@api_requires(Cap.SCHEDULE_WRITE)
def flow_move(request, public_id: UUID, payload: FlowIn):
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    room = cal.room_for(public_id=payload.room) if payload.room else None
    if payload.room and room is None:
        raise ValidationError({"room": ["No room with this id."]})
    result = flow.flow_transition(
        actor=request.user,
        appointment=appointment,
        to=payload.to,
        room=room,
        note=payload.note,
        demographics_verified=payload.demographics_verified,
    )
    return _flow_out(result.appointment)


@router.post(
    "/appointments/{uuid:public_id}/no-show",
    response=AppointmentFlowOut,
    summary="Mark a no-show (scheduled, after the start time)",
)
@api_requires(Cap.SCHEDULE_WRITE)
def flow_no_show(request, public_id: UUID):
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    return _flow_out(flow.no_show_mark(actor=request.user, appointment=appointment).appointment)


@router.post(
    "/appointments/{uuid:public_id}/flow/undo",
    response=AppointmentFlowOut,
    summary="Undo the latest flow step (once, within CLINICDESK_FLOW_UNDO_MINUTES of it)",
)
@api_requires(Cap.SCHEDULE_WRITE)
def flow_step_undo(request, public_id: UUID, payload: UndoIn):
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    result = flow.flow_undo(actor=request.user, appointment=appointment, reason=payload.reason)
    return _flow_out(result.appointment)


@router.post(
    "/appointments/{uuid:public_id}/confirmation", response=AppointmentFlowOut, summary="Record the confirmation"
)
@api_requires(Cap.SCHEDULE_WRITE)
def confirmation_change(request, public_id: UUID, payload: ConfirmationIn):
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    result = flow.confirmation_set(
        actor=request.user, appointment=appointment, status=str(payload.status), method=str(payload.method)
    )
    return _flow_out(result.appointment)


@router.get("/flow-board", response=FlowBoardOut, summary="Today's flow board at a location")
@api_requires(Cap.SCHEDULE_READ)
def flow_board(request, location: UUID):
    board = access_flow_board(actor=request.user, location=_location(location), now=clock.now())
    rows = []
    for row in board.rows:
        out = _scheduled(row.appointment, row.label, row.reason)
        out.update(
            minutes_in_state=row.minutes_in_state,
            wait_minutes=row.wait_minutes,
            total_wait_minutes=row.total_wait_minutes,
            late_minutes=row.late_minutes,
            wait_level=row.level,
            next=[to for to, _ in row.actions],
            can_undo=bool(row.undo),
        )
        rows.append(out)
    return {
        "location": board.location.public_id,
        "day": board.day,
        "amber_minutes": board.amber,
        "red_minutes": board.red,
        "rows": rows,
    }


@router.get("/day-schedule", response=DayScheduleOut, summary="One day's appointments at a location, by provider")
@api_requires(Cap.SCHEDULE_READ)
def day_schedule(
    request,
    location: UUID,
    date: ScheduleDate | None = None,
    provider: list[UUID] = Query(None),  # noqa: A002, B008
):
    place = _location(location)
    day = date or clock.now().astimezone(cal.zone_of(place)).date()
    providers = cal.providers_named(public_ids=provider) if provider else None
    grid = access_day_schedule(actor=request.user, location=place, day=day, providers=providers)
    return {
        "location": place.public_id,
        "day": day,
        "time_zone": grid.zone.key,
        "providers": [
            {
                "provider": column.key,
                "name": column.title,
                "appointments": [_scheduled(b.appointment, b.label, b.reason) for b in column.blocks],
            }
            for column in grid.columns
        ],
    }
