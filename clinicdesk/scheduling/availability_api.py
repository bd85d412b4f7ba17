"""API of availability and slot search, over the same services as the pages (availability.py, slots.py).

Reading availability needs schedule.read; changing it schedule.setup; slot search schedule.write.
Template versions are not edited in place: add a new version from a date, or delete one that
has not started.
"""

from datetime import date, datetime, time
from typing import Annotated, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from clinicdesk.accounts.access import EmergencyAccessRequired
from clinicdesk.core import clock
from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.schemas import Between, InputSchema, ScheduleDate, ScheduleDateTime
from clinicdesk.patients.access import access_patient

from . import availability, selectors, slots
from .models import WEEKDAY_KEYS, ExceptionKind
from .setup_api import ClockTime

router = Router(tags=["availability"])

WeekdayKey = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class BlockOut(Schema):
    weekday: str = Field(description="mon .. sun")
    starts: time
    ends: time
    rooms: list[UUID] = Field(description="The room pool; empty: any room the type allows")
    appointment_types: list[UUID] = Field(description="Empty: any type the provider takes")

    @staticmethod
    def resolve_weekday(obj) -> str:
        return WEEKDAY_KEYS[obj.weekday]

    @staticmethod
    def resolve_rooms(obj) -> list[UUID]:
        return [r.public_id for r in obj.rooms.all()]

    @staticmethod
    def resolve_appointment_types(obj) -> list[UUID]:
        return [t.public_id for t in obj.appointment_types.all()]


class TemplateOut(Schema):
    public_id: UUID
    location: UUID
    valid_from: date
    valid_until: date | None
    blocks: list[BlockOut]

    @staticmethod
    def resolve_location(obj) -> UUID:
        return obj.location.public_id

    @staticmethod
    def resolve_blocks(obj) -> list:
        return list(obj.blocks.all())


class BlockIn(InputSchema):
    weekday: WeekdayKey
    starts: ClockTime
    ends: ClockTime
    rooms: list[UUID] = []
    appointment_types: list[UUID] = []


class TemplateIn(InputSchema):
    location: UUID
    valid_from: ScheduleDate
    valid_until: ScheduleDate | None = None
    blocks: list[BlockIn]


class ExceptionOut(Schema):
    public_id: UUID
    kind: str
    provider: UUID | None
    location: UUID | None
    starts_at: datetime
    ends_at: datetime
    reason: str

    @staticmethod
    def resolve_provider(obj) -> UUID | None:
        return obj.provider.public_id if obj.provider else None

    @staticmethod
    def resolve_location(obj) -> UUID | None:
        return obj.location.public_id if obj.location else None


class ExceptionIn(InputSchema):
    kind: ExceptionKind
    provider: UUID | None = Field(None, description="Empty with a location: the whole location")
    location: UUID | None = Field(None, description="Empty with a provider: everywhere they work")
    starts_at: ScheduleDateTime = Field(description="With its offset, e.g. 2026-03-02T09:00:00-05:00")
    ends_at: ScheduleDateTime
    reason: str = Field(max_length=200)


class HolidayOut(Schema):
    day: date
    name: str
    open_anyway: bool
    note: str


class HolidayOpenIn(InputSchema):
    note: str = Field("", max_length=200)


class SlotOut(Schema):
    provider: UUID
    location: UUID
    room: UUID | None
    starts_at: datetime = Field(description="UTC")
    ends_at: datetime
    local_start: datetime = Field(description="In the location's time zone")


class SlotDayOut(Schema):
    day: date
    slots: list[SlotOut]


class SlotsOut(Schema):
    count: int
    days: list[SlotDayOut]
    notes: list[str]


def _slot(slot: slots.Slot) -> dict:
    return {
        "provider": slot.provider.public_id,
        "location": slot.location.public_id,
        "room": slot.room.public_id if slot.room else None,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "local_start": slot.local_start,
    }


@router.get("/slots", response=SlotsOut, summary="Next available slots for an appointment type")
@api_requires(Cap.SCHEDULE_WRITE)
def slot_index(
    request,
    appointment_type: UUID,
    start_date: ScheduleDate,
    end_date: ScheduleDate,
    providers: list[UUID] = Query(None),  # noqa: B008  # ninja's way to declare a repeated query parameter
    locations: list[UUID] = Query(None),  # noqa: B008
    patient: str = "",
    limit: Annotated[int, Between(1, slots.MAX_LIMIT)] = 10,
    grid_minutes: Annotated[
        int, Between(min(slots.GRID_CHOICES), max(slots.GRID_CHOICES))
    ] = slots.DEFAULT_GRID_MINUTES,
):
    kind = selectors.appointment_type_get(public_id=appointment_type)
    chosen_patient = None
    if patient:
        try:
            chosen_patient = access_patient(actor=request.user, mrn=patient.strip().upper(), purpose="slot search")
        except (Http404, EmergencyAccessRequired) as exc:
            raise ValidationError({"patient": ["No patient with this MRN that you may open."]}) from exc
    result = slots.slot_search(
        appointment_type=kind,
        providers=selectors.providers_find(public_ids=providers) if providers else None,
        locations=selectors.locations_find(public_ids=locations) if locations else None,
        start_date=start_date,
        end_date=end_date,
        patient=chosen_patient,
        limit=limit,
        grid_minutes=grid_minutes,
    )
    days = [{"day": d.day, "slots": [_slot(s) for s in d.slots]} for d in result.days]
    return {"count": result.count, "days": days, "notes": result.notes}


@router.get(
    "/providers/{uuid:public_id}/templates", response=list[TemplateOut], summary="A provider's weekly-hours versions"
)
@api_requires(Cap.SCHEDULE_READ)
def template_index(request, public_id: UUID, include_past: bool = False):
    provider = selectors.provider_get(public_id=public_id)
    since = None if include_past else clock.now().date()
    return availability.template_versions(provider=provider, since=since)


@router.post(
    "/providers/{uuid:public_id}/templates", response={201: TemplateOut}, summary="Add weekly hours from a date"
)
@api_requires(Cap.SCHEDULE_SETUP)
def template_add(request, public_id: UUID, payload: TemplateIn):
    provider = selectors.provider_get(public_id=public_id)
    (location,) = selectors.locations_find(public_ids=[payload.location], field="location")
    blocks = []
    for index, block in enumerate(payload.blocks):
        rooms = selectors.rooms_find(public_ids=block.rooms) if block.rooms else []
        kinds = list(selectors.appointment_type_list().filter(public_id__in=block.appointment_types))
        if len(kinds) != len(set(block.appointment_types)):
            raise ValidationError({f"blocks.{index}.appointment_types": ["No appointment type with one of these ids."]})
        blocks.append(
            availability.BlockInput(
                weekday=WEEKDAY_KEYS.index(block.weekday),
                starts=block.starts,
                ends=block.ends,
                rooms=rooms,
                appointment_types=kinds,
            )
        )
    template = availability.template_version_create(
        actor=request.user,
        provider=provider,
        location=location,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
        blocks=blocks,
    )
    return Status(201, availability.template_get(public_id=template.public_id))


@router.delete("/templates/{uuid:public_id}", response={204: None}, summary="Delete a version that has not started")
@api_requires(Cap.SCHEDULE_SETUP)
def template_remove(request, public_id: UUID):
    template = availability.template_get(public_id=public_id)
    today = clock.now().astimezone(availability.location_zone(template.location)).date()
    availability.template_version_delete(actor=request.user, template=template, today=today)
    return Status(204, None)


@router.get(
    "/providers/{uuid:public_id}/exceptions", response=list[ExceptionOut], summary="Time off and extra hours ahead"
)
@api_requires(Cap.SCHEDULE_READ)
def exception_index(request, public_id: UUID):
    provider = selectors.provider_get(public_id=public_id)
    return availability.exceptions_for(provider=provider, since=clock.now())


@router.post(
    "/exceptions", response={201: ExceptionOut}, summary="Add vacation, a meeting, blocked time or extra hours"
)
@api_requires(Cap.SCHEDULE_SETUP)
def exception_create(request, payload: ExceptionIn):
    provider = selectors.providers_find(public_ids=[payload.provider])[0] if payload.provider else None
    location = (
        selectors.locations_find(public_ids=[payload.location], field="location")[0] if payload.location else None
    )
    exception = availability.exception_add(
        actor=request.user,
        kind=str(payload.kind),
        provider=provider,
        location=location,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        reason=payload.reason,
    )
    return Status(201, availability.exception_get(public_id=exception.public_id))


@router.delete("/exceptions/{uuid:public_id}", response={204: None}, summary="Remove an exception")
@api_requires(Cap.SCHEDULE_SETUP)
def exception_delete(request, public_id: UUID):
    availability.exception_remove(actor=request.user, exception=availability.exception_get(public_id=public_id))
    return Status(204, None)


@router.get(
    "/locations/{uuid:public_id}/holidays", response=list[HolidayOut], summary="Public holidays of a location in a year"
)
@api_requires(Cap.SCHEDULE_READ)
def holiday_index(request, public_id: UUID, year: Annotated[int, Between(1900, 2200)] | None = None):
    location = selectors.location_get(public_id=public_id)
    year = year or clock.now().year
    if not 1900 <= year <= 2200:
        raise ValidationError({"year": ["Give a year between 1900 and 2200."]})
    return availability.holiday_rows(location=location, year=year)


@router.put(
    "/locations/{uuid:public_id}/holidays/{day}/open", response=HolidayOut, summary="Open on a public holiday anyway"
)
@api_requires(Cap.SCHEDULE_SETUP)
def holiday_open(request, public_id: UUID, day: ScheduleDate, payload: HolidayOpenIn):
    location = selectors.location_get(public_id=public_id)
    availability.holiday_override_add(actor=request.user, location=location, day=day, note=payload.note)
    return next(r for r in availability.holiday_rows(location=location, year=day.year) if r.day == day)


@router.delete(
    "/locations/{uuid:public_id}/holidays/{day}/open", response={204: None}, summary="Close on the holiday again"
)
@api_requires(Cap.SCHEDULE_SETUP)
def holiday_close(request, public_id: UUID, day: ScheduleDate):
    location = selectors.location_get(public_id=public_id)
    availability.holiday_override_remove(actor=request.user, location=location, day=day)
    return Status(204, None)
