"""API of the practice setup, over the same services as the pages (setup.py) and the same reads.

Lists and reads need schedule.read; creating and changing need schedule.setup (office manager).
PUT replaces every field of the record, as the edit page does; on a location, leaving out
`opening_hours` keeps the hours as they are.
"""

import re
from datetime import time
from typing import Annotated, Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from ninja import Router, Schema, Status
from pydantic import BeforeValidator, Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.schemas import Between, InputSchema

from . import selectors, setup
from .models import WEEKDAY_KEYS, PatientKind

router = Router(tags=["practice setup"])

WeekdayKey = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_HH_MM = re.compile(r"\d{2}:\d{2}(:\d{2})?")


def _clock_text_only(value: Any) -> Any:
    """Only "HH:MM" text is a time of day here; pydantic alone reads 28800 as 08:00."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _HH_MM.fullmatch(value.strip()):
        raise ValueError("give the time of day as HH:MM, e.g. 08:30")
    return value.strip()


ClockTime = Annotated[time, BeforeValidator(_clock_text_only)]


class HoursOut(Schema):
    weekday: str = Field(description="mon .. sun")
    opens: time
    closes: time

    @staticmethod
    def resolve_weekday(obj) -> str:
        return WEEKDAY_KEYS[obj.weekday]


class RoomOut(Schema):
    public_id: UUID
    location: UUID
    name: str
    active: bool

    @staticmethod
    def resolve_location(obj) -> UUID:
        return obj.location.public_id


class LocationOut(Schema):
    public_id: UUID
    name: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    phone: str
    time_zone: str = Field(description="IANA time zone name")
    holiday_country: str = Field(description="Country of the public holidays calendar (holidays package), e.g. US")
    holiday_subdivision: str = Field(description="Its subdivision, e.g. NY; blank for national holidays only")
    active: bool
    opening_hours: list[HoursOut] = Field(description="One span per open weekday; days not listed are closed")
    rooms: list[RoomOut]

    @staticmethod
    def resolve_opening_hours(obj) -> list:
        return list(obj.opening_hours.all())

    @staticmethod
    def resolve_rooms(obj) -> list:
        return list(obj.rooms.all())


class HoursIn(InputSchema):
    weekday: WeekdayKey
    opens: ClockTime
    closes: ClockTime


class LocationIn(InputSchema):
    name: str = Field(max_length=120)
    address_line1: str = Field(max_length=200)
    address_line2: str = Field("", max_length=200)
    city: str = Field(max_length=100)
    state: str = Field(max_length=2)
    zip_code: str = Field(max_length=10)
    phone: str = Field("", max_length=30)
    time_zone: str = Field("", max_length=64, description="IANA name; blank for the practice's time zone")
    holiday_country: str = Field("", max_length=2, description="Blank for the practice default (settings)")
    holiday_subdivision: str = Field("", max_length=10)
    active: bool = True
    opening_hours: list[HoursIn] | None = Field(None, description="Replaces all hours; leave out to keep them")


class RoomIn(InputSchema):
    name: str = Field(max_length=60)
    active: bool = True


class ProviderOut(Schema):
    public_id: UUID
    user: UUID = Field(description="public_id of the staff account")
    name: str
    role: str
    npi: str
    taxonomy_code: str
    specialty: str
    locations: list[UUID]
    active: bool

    @staticmethod
    def resolve_user(obj) -> UUID:
        return obj.user.public_id

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj.user)

    @staticmethod
    def resolve_role(obj) -> str:
        return obj.user.role

    @staticmethod
    def resolve_locations(obj) -> list[UUID]:
        return [location.public_id for location in obj.locations.all()]


class ProviderUpdateIn(InputSchema):
    npi: str = Field("", max_length=14, description="10 digits; required for clinicians")
    taxonomy_code: str = Field("", max_length=10, description="NUCC code, e.g. 207Q00000X; required for clinicians")
    specialty: str = Field(max_length=100)
    locations: list[UUID] = Field(description="public_ids of the locations the provider works at")
    active: bool = True


class ProviderIn(ProviderUpdateIn):
    user: UUID = Field(description="public_id of an active clinician or nurse staff account")


class AppointmentTypeOut(Schema):
    public_id: UUID
    name: str
    duration_minutes: int
    color: str
    buffer_before_minutes: int
    buffer_after_minutes: int
    patient_kind: str
    telehealth: bool
    default_reason: str
    providers: list[UUID]
    rooms: list[UUID] = Field(description="Empty: any room of the location (telehealth: no room)")
    overbook_allowed: bool
    overbook_limit: int = Field(description="Overbooked appointments of this type a provider may take a day")
    active: bool

    @staticmethod
    def resolve_providers(obj) -> list[UUID]:
        return [provider.public_id for provider in obj.providers.all()]

    @staticmethod
    def resolve_rooms(obj) -> list[UUID]:
        return [room.public_id for room in obj.rooms.all()]


class AppointmentTypeIn(InputSchema):
    name: str = Field(max_length=80)
    duration_minutes: Annotated[int, Between(1, setup.MAX_DURATION_MINUTES)]
    color: str = Field("#1F77B4", max_length=7, description="#RRGGBB")
    buffer_before_minutes: Annotated[int, Between(0, setup.MAX_BUFFER_MINUTES)] = 0
    buffer_after_minutes: Annotated[int, Between(0, setup.MAX_BUFFER_MINUTES)] = 0
    patient_kind: PatientKind = PatientKind.ANY
    telehealth: bool = False
    default_reason: str = Field("", max_length=200)
    providers: list[UUID]
    rooms: list[UUID] = []
    overbook_allowed: bool = False
    overbook_limit: Annotated[int, Between(0, setup.MAX_OVERBOOK_LIMIT)] = 0
    active: bool = True


def _location_input(payload: LocationIn) -> setup.LocationInput:
    values = payload.model_dump(exclude={"opening_hours"})
    hours = None
    if payload.opening_hours is not None:
        hours = [
            setup.HoursInput(weekday=WEEKDAY_KEYS.index(h.weekday), opens=h.opens, closes=h.closes)
            for h in payload.opening_hours
        ]
    return setup.LocationInput(**values, opening_hours=hours)


def _provider_input(payload: ProviderUpdateIn, user=None) -> setup.ProviderInput:
    return setup.ProviderInput(
        user=user,
        npi=payload.npi,
        taxonomy_code=payload.taxonomy_code,
        specialty=payload.specialty,
        locations=selectors.locations_find(public_ids=payload.locations),
        active=payload.active,
    )


def _type_input(payload: AppointmentTypeIn) -> setup.AppointmentTypeInput:
    values = payload.model_dump(exclude={"providers", "rooms"})
    values["patient_kind"] = str(payload.patient_kind)
    return setup.AppointmentTypeInput(
        **values,
        providers=selectors.providers_find(public_ids=payload.providers),
        rooms=selectors.rooms_find(public_ids=payload.rooms),
    )


# --- Locations and rooms ---------------------------------------------------------------------


@router.get("/locations", response=list[LocationOut], summary="The practice's locations")
@api_requires(Cap.SCHEDULE_READ)
def location_index(request, include_inactive: bool = False):
    return list(selectors.location_list(include_inactive=include_inactive))


@router.post("/locations", response={201: LocationOut}, summary="Add a location")
@api_requires(Cap.SCHEDULE_SETUP)
def location_add(request, payload: LocationIn):
    location = setup.location_create(actor=request.user, data=_location_input(payload))
    return Status(201, selectors.location_get(public_id=location.public_id))


@router.get("/locations/{uuid:public_id}", response=LocationOut, summary="One location with its hours and rooms")
@api_requires(Cap.SCHEDULE_READ)
def location_read(request, public_id: UUID):
    return selectors.location_get(public_id=public_id)


@router.put("/locations/{uuid:public_id}", response=LocationOut, summary="Change a location")
@api_requires(Cap.SCHEDULE_SETUP)
def location_change(request, public_id: UUID, payload: LocationIn):
    location = selectors.location_get(public_id=public_id)
    setup.location_update(actor=request.user, location=location, data=_location_input(payload))
    return selectors.location_get(public_id=public_id)


@router.get("/locations/{uuid:public_id}/rooms", response=list[RoomOut], summary="The rooms of a location")
@api_requires(Cap.SCHEDULE_READ)
def room_index(request, public_id: UUID, include_inactive: bool = False):
    location = selectors.location_get(public_id=public_id)
    return list(selectors.room_list(location=location, include_inactive=include_inactive))


@router.post("/locations/{uuid:public_id}/rooms", response={201: RoomOut}, summary="Add a room to a location")
@api_requires(Cap.SCHEDULE_SETUP)
def room_add(request, public_id: UUID, payload: RoomIn):
    location = selectors.location_get(public_id=public_id)
    data = setup.RoomInput(name=payload.name, active=payload.active)
    return Status(201, setup.room_create(actor=request.user, location=location, data=data))


@router.get("/rooms/{uuid:public_id}", response=RoomOut, summary="One room")
@api_requires(Cap.SCHEDULE_READ)
def room_read(request, public_id: UUID):
    return selectors.room_get(public_id=public_id)


@router.put("/rooms/{uuid:public_id}", response=RoomOut, summary="Rename a room or make it (in)active")
@api_requires(Cap.SCHEDULE_SETUP)
def room_change(request, public_id: UUID, payload: RoomIn):
    room = selectors.room_get(public_id=public_id)
    setup.room_update(actor=request.user, room=room, data=setup.RoomInput(name=payload.name, active=payload.active))
    return room


# --- Providers -------------------------------------------------------------------------------


@router.get("/providers", response=list[ProviderOut], summary="Providers patients can be booked with")
@api_requires(Cap.SCHEDULE_READ)
def provider_index(request, include_inactive: bool = False):
    return list(selectors.provider_list(include_inactive=include_inactive))


@router.post("/providers", response={201: ProviderOut}, summary="Make a clinician or nurse bookable")
@api_requires(Cap.SCHEDULE_SETUP)
def provider_add(request, payload: ProviderIn):
    user = selectors.staff_find(public_id=payload.user)
    if user is None:
        raise ValidationError({"user": ["No staff account with this id."]})
    provider = setup.provider_create(actor=request.user, data=_provider_input(payload, user))
    return Status(201, selectors.provider_get(public_id=provider.public_id))


@router.get("/providers/{uuid:public_id}", response=ProviderOut, summary="One provider")
@api_requires(Cap.SCHEDULE_READ)
def provider_read(request, public_id: UUID):
    return selectors.provider_get(public_id=public_id)


@router.put("/providers/{uuid:public_id}", response=ProviderOut, summary="Change a provider")
@api_requires(Cap.SCHEDULE_SETUP)
def provider_change(request, public_id: UUID, payload: ProviderUpdateIn):
    provider = selectors.provider_get(public_id=public_id)
    setup.provider_update(actor=request.user, provider=provider, data=_provider_input(payload))
    return selectors.provider_get(public_id=public_id)


# --- Appointment types -----------------------------------------------------------------------


@router.get("/appointment-types", response=list[AppointmentTypeOut], summary="What patients can be booked for")
@api_requires(Cap.SCHEDULE_READ)
def appointment_type_index(request, include_inactive: bool = False):
    return list(selectors.appointment_type_list(include_inactive=include_inactive))


@router.post("/appointment-types", response={201: AppointmentTypeOut}, summary="Add an appointment type")
@api_requires(Cap.SCHEDULE_SETUP)
def appointment_type_add(request, payload: AppointmentTypeIn):
    kind = setup.appointment_type_create(actor=request.user, data=_type_input(payload))
    return Status(201, selectors.appointment_type_get(public_id=kind.public_id))


@router.get("/appointment-types/{uuid:public_id}", response=AppointmentTypeOut, summary="One appointment type")
@api_requires(Cap.SCHEDULE_READ)
def appointment_type_read(request, public_id: UUID):
    return selectors.appointment_type_get(public_id=public_id)


@router.put("/appointment-types/{uuid:public_id}", response=AppointmentTypeOut, summary="Change an appointment type")
@api_requires(Cap.SCHEDULE_SETUP)
def appointment_type_change(request, public_id: UUID, payload: AppointmentTypeIn):
    kind = selectors.appointment_type_get(public_id=public_id)
    setup.appointment_type_update(actor=request.user, kind=kind, data=_type_input(payload))
    return selectors.appointment_type_get(public_id=public_id)
