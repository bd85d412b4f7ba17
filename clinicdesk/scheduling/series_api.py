"""API for recurring series, over the same service as the series pages (series.py).

POST series/plan lists every visit with its conflicts and suggested times; POST series books
them all or none, with a choice (skip, or another start) for each conflict; series-edit and
series-cancel change one visit or this and following. A refused booking answers 409 naming
the visit; a bad rule (10,000 visits, no end) answers 422 naming the field.
"""

import re
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from ninja import Router, Schema, Status
from pydantic import BeforeValidator, Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.lookups import one_active
from clinicdesk.core.schemas import Between, InputSchema, ScheduleDate, ScheduleDateTime
from clinicdesk.patients.access import access_patient

from . import series
from .access import access_appointment
from .booking import BookingInput
from .models import Appointment, AppointmentType, Location, Provider, Room

router = Router(tags=["appointment series"])

_CLOCK = re.compile(r"\d{2}:\d{2}(:\d{2})?")


def _clock_text_only(value: Any) -> Any:
    """Only "HH:MM" text; pydantic alone would read a number as seconds after midnight."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _CLOCK.fullmatch(value.strip()):
        raise ValueError("give the time of day as HH:MM, e.g. 09:30")
    return value.strip()


StrictTime = Annotated[time, BeforeValidator(_clock_text_only)]


class SeriesIn(InputSchema):
    patient_mrn: str = Field(min_length=1, max_length=20)
    provider: UUID
    location: UUID
    appointment_type: UUID
    starts_at: ScheduleDateTime = Field(description="The first visit, ISO 8601 with a time zone")
    room: UUID | None = None
    reason: str = Field("", max_length=200)
    unit: Literal["days", "weeks"]
    interval: Annotated[int, Between(1, 52)]
    until: ScheduleDate | None = Field(None, description="Last date a visit may fall on (give this or count)")
    count: Annotated[int, Between(1, 1_000_000)] | None = Field(
        None, description=f"Number of visits, at most {series.MAX_OCCURRENCES}"
    )


class ChoiceIn(InputSchema):
    index: Annotated[int, Between(1, 1_000_000)] = Field(description="The visit number from the plan")
    starts_at: ScheduleDateTime | None = Field(None, description="Book it at this time instead; null skips it")


class SeriesBookIn(SeriesIn):
    choices: list[ChoiceIn] = Field(default_factory=list, max_length=series.MAX_OCCURRENCES)


class OccurrenceOut(Schema):
    index: int
    day: date
    starts_at: datetime | None
    bookable: bool
    problem: str | None
    suggestions: list[datetime]


class PlanOut(Schema):
    occurrences: list[OccurrenceOut]
    conflicts: int


class SeriesAppointmentOut(Schema):
    public_id: UUID
    series_index: int | None
    provider: UUID = Field(alias="provider.public_id")
    room: UUID | None = Field(None, alias="room.public_id")
    starts_at: datetime
    ends_at: datetime
    status: str


class SeriesOut(Schema):
    public_id: UUID
    patient_mrn: str
    unit: str
    interval: int
    until: date | None
    count: int | None
    appointments: list[SeriesAppointmentOut]


class SeriesEditIn(InputSchema):
    scope: Literal["this", "following"]
    starts_at_time: StrictTime | None = Field(None, description="New local time of day at the location, HH:MM")
    day: ScheduleDate | None = Field(None, description="New date (scope 'this' only)")
    provider: UUID | None = None
    room: UUID | None = None
    clear_room: bool = Field(False, description="True: the visits have no room")
    reason: str = Field("", max_length=200)


class SeriesCancelIn(InputSchema):
    scope: Literal["this", "following"]
    reason: str = Field(min_length=1, max_length=200)


def _booking(request, payload: SeriesIn) -> BookingInput:
    patient = access_patient(
        actor=request.user, mrn=payload.patient_mrn, need=Cap.SCHEDULE_WRITE, purpose="book series"
    )
    return BookingInput(
        patient=patient,
        provider=one_active(Provider, "provider", payload.provider, active=True),
        location=one_active(Location, "location", payload.location, active=True),
        appointment_type=one_active(AppointmentType, "appointment_type", payload.appointment_type, active=True),
        room=one_active(Room, "room", payload.room, active=True),
        starts_at=payload.starts_at,
        reason=payload.reason,
    )


def _rule(payload: SeriesIn) -> dict[str, Any]:
    return {"unit": payload.unit, "interval": payload.interval, "until": payload.until, "count": payload.count}


def _series_out(anchor: Appointment) -> dict[str, Any]:
    members = series.series_members(series_id=anchor.series_id)  # type: ignore[arg-type]  # checked by caller
    row = anchor.series
    assert row is not None
    return {
        "public_id": row.public_id,
        "patient_mrn": anchor.patient.mrn,
        "unit": row.unit,
        "interval": row.interval,
        "until": row.until,
        "count": row.count,
        "appointments": members,
    }


@router.post("/series/plan", response=PlanOut, summary="Plan a series: every visit, its conflicts and alternatives")
@api_requires(Cap.SCHEDULE_WRITE)
def series_plan_read(request, payload: SeriesIn):
    plan = series.series_plan(data=_booking(request, payload), **_rule(payload))
    occurrences = [
        {
            "index": o.index,
            "day": o.day,
            "starts_at": o.starts_at,
            "bookable": o.bookable,
            "problem": o.problem,
            "suggestions": o.suggestions,
        }
        for o in plan
    ]
    return {"occurrences": occurrences, "conflicts": sum(1 for o in plan if not o.bookable)}


@router.post("/series", response={201: SeriesOut}, summary="Book a series, all visits or none (409 when refused)")
@api_requires(Cap.SCHEDULE_WRITE)
def series_create(request, payload: SeriesBookIn):
    choices = {choice.index: choice.starts_at for choice in payload.choices}
    made = series.series_book(actor=request.user, data=_booking(request, payload), choices=choices, **_rule(payload))
    first = series.series_members(series_id=made.pk)[0]
    return Status(201, _series_out(first))


def _series_anchor(request, public_id: UUID) -> Appointment:
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    if appointment.series_id is None:
        raise ValidationError({"public_id": ["This appointment is not part of a series."]})
    return appointment


@router.post(
    "/appointments/{public_id}/series-edit", response=SeriesOut, summary="Move this visit, or this and following"
)
@api_requires(Cap.SCHEDULE_WRITE)
def series_edit_write(request, public_id: UUID, payload: SeriesEditIn):
    appointment = _series_anchor(request, public_id)
    room = one_active(Room, "room", payload.room, active=True)
    series.series_edit(
        actor=request.user,
        appointment=appointment,
        scope=payload.scope,
        starts_at_time=payload.starts_at_time,
        day=payload.day,
        provider=one_active(Provider, "provider", payload.provider, active=True),
        room=None if payload.clear_room else (room if room is not None else False),
        reason=payload.reason,
    )
    return _series_out(appointment)


@router.post(
    "/appointments/{public_id}/series-cancel", response=SeriesOut, summary="Cancel this visit, or this and following"
)
@api_requires(Cap.SCHEDULE_WRITE)
def series_cancel_write(request, public_id: UUID, payload: SeriesCancelIn):
    appointment = _series_anchor(request, public_id)
    series.series_cancel(actor=request.user, appointment=appointment, scope=payload.scope, reason=payload.reason)
    return _series_out(appointment)
