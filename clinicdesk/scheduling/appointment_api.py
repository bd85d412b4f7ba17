"""API for booking, reading, moving and cancelling appointments, over the booking service.

A refused booking (the time is taken, not available, in the past...) answers 409 with the
reason in `detail` and the field in `errors`; unknown references (a provider id that does not
exist) answer 422 naming the field.
"""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from ninja import Query, Router, Schema, Status
from pydantic import Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.lookups import one_active
from clinicdesk.core.schemas import InputSchema, ScheduleDate, ScheduleDateTime
from clinicdesk.patients.access import access_patient

from . import booking, confirmations
from .access import access_appointment
from .models import AppointmentType, ConfirmationStatus, Location, Provider, Room
from .setup_snapshot import current_setup

router = Router(tags=["appointments"])


class AppointmentOut(Schema):
    public_id: UUID
    patient_mrn: str = Field(alias="patient.mrn")
    provider: UUID = Field(alias="provider.public_id")
    location: UUID = Field(alias="location.public_id")
    room: UUID | None = Field(None, alias="room.public_id")
    appointment_type: UUID = Field(alias="appointment_type.public_id")
    starts_at: datetime
    ends_at: datetime
    block_start: datetime
    block_end: datetime
    reason: str
    status: str
    overbooked: bool
    confirmation: str
    cancelled_at: datetime | None
    cancel_reason: str
    late_cancel: bool


class BookIn(InputSchema):
    patient_mrn: str = Field(min_length=1, max_length=20)
    provider: UUID
    location: UUID
    appointment_type: UUID
    starts_at: ScheduleDateTime = Field(description="ISO 8601 with a time zone, e.g. 2026-12-07T15:00:00Z")
    room: UUID | None = None
    reason: str = Field("", max_length=200)
    overbook: bool = False


class MoveIn(InputSchema):
    starts_at: ScheduleDateTime
    provider: UUID | None = None
    location: UUID | None = None
    room: UUID | None = None
    keep_room: bool = Field(True, description="False with no room: the moved visit has no room")
    reason: str = Field("", max_length=200)


class CancelIn(InputSchema):
    reason: str = Field(min_length=1, max_length=200)


@router.post("/appointments", response={201: AppointmentOut}, summary="Book an appointment (409 when refused)")
@api_requires(Cap.SCHEDULE_WRITE)
def appointment_create(request, payload: BookIn):
    patient = access_patient(actor=request.user, mrn=payload.patient_mrn, purpose="book appointment")
    setup = current_setup()
    data = booking.BookingInput(
        patient=patient,
        provider=one_active(Provider, "provider", payload.provider, setup),
        location=one_active(Location, "location", payload.location, setup),
        appointment_type=one_active(AppointmentType, "appointment_type", payload.appointment_type, setup),
        room=one_active(Room, "room", payload.room, setup),
        starts_at=payload.starts_at,
        reason=payload.reason,
        overbook=payload.overbook,
    )
    return Status(201, booking.appointment_book(actor=request.user, data=data, setup=setup))


@router.get("/appointments/{public_id}", response=AppointmentOut, summary="One appointment (audited read)")
@api_requires(Cap.SCHEDULE_READ)
def appointment_read(request, public_id: UUID):
    return access_appointment(actor=request.user, public_id=public_id)


@router.post("/appointments/{public_id}/move", response=AppointmentOut, summary="Reschedule (409 when refused)")
@api_requires(Cap.SCHEDULE_WRITE)
def appointment_reschedule(request, public_id: UUID, payload: MoveIn):
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    room = one_active(Room, "room", payload.room, active=True)
    return booking.appointment_move(
        actor=request.user,
        appointment=appointment,
        starts_at=payload.starts_at,
        provider=one_active(Provider, "provider", payload.provider, active=True),
        location=one_active(Location, "location", payload.location, active=True),
        room=room if (room is not None or not payload.keep_room) else False,
        reason=payload.reason,
    )


@router.post("/appointments/{public_id}/cancel", response=AppointmentOut, summary="Cancel, with a reason")
@api_requires(Cap.SCHEDULE_WRITE)
def appointment_call_off(request, public_id: UUID, payload: CancelIn):
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    return booking.appointment_cancel(actor=request.user, appointment=appointment, reason=payload.reason)


@router.get(
    "/confirmations",
    response=list[AppointmentOut],
    summary="Scheduled appointments of a location by confirmation status (the calls to make; audited read)",
)
@api_requires(Cap.SCHEDULE_READ)
def appointment_confirmations(
    request,
    location: UUID,
    start: ScheduleDate,
    end: ScheduleDate,
    confirmation: Annotated[list[ConfirmationStatus] | None, Query()] = None,
    provider: UUID | None = None,
):
    chosen = confirmations.ConfirmationFilter(
        location=one_active(Location, "location", location, active=True),
        start=start,
        end=end,
        statuses=tuple(str(s) for s in confirmation) if confirmation else tuple(ConfirmationStatus.values),
        provider=one_active(Provider, "provider", provider, active=True),
    )
    return confirmations.access_confirmations(actor=request.user, f=chosen)
