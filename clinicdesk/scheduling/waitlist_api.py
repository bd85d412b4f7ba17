"""API for the waitlist: entries, matches for a freed slot, and offers, over the services in waitlist.py.

A slot that cannot be offered or booked (taken meanwhile, offer already answered) answers 409;
unknown references answer 422 naming the field; entries and offers one may not see answer 404.
"""

from datetime import date, datetime, time
from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.lookups import one_active
from clinicdesk.core.schemas import EachBetween, InputSchema, PlausibleDate, ScheduleDateTime
from clinicdesk.patients.access import access_patient

from . import waitlist
from .access import access_appointment
from .appointment_api import AppointmentOut
from .models import AppointmentType, Location, Provider, Room, WaitlistEntry

router = Router(tags=["waitlist"])


class EntryOut(Schema):
    public_id: UUID
    patient_mrn: str = Field(alias="patient.mrn")
    appointment_type: UUID = Field(alias="appointment_type.public_id")
    providers: list[UUID]
    location: UUID | None = Field(None, alias="location.public_id")
    weekdays: list[int]
    earliest_time: time | None
    latest_time: time | None
    wait_until: date
    current_appointment: UUID | None = Field(None, alias="current_appointment.public_id")
    note: str
    active: bool
    created_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_providers(entry: WaitlistEntry) -> list[UUID]:
        return [p.public_id for p in entry.providers.all()]


class OfferOut(Schema):
    public_id: UUID
    entry: UUID = Field(alias="entry.public_id")
    patient_mrn: str = Field(alias="entry.patient.mrn")
    provider: UUID = Field(alias="provider.public_id")
    location: UUID = Field(alias="location.public_id")
    starts_at: datetime
    channel: str
    status: str
    expires_at: datetime | None
    booked: UUID | None = Field(None, alias="booked.public_id")
    offered_at: datetime
    answered_at: datetime | None


class EntryIn(InputSchema):
    patient_mrn: str = Field(min_length=1, max_length=20)
    appointment_type: UUID
    wait_until: PlausibleDate  # a past day is the service's to explain
    providers: list[UUID] = Field(default_factory=list, max_length=50)
    location: UUID | None = None
    weekdays: Annotated[list[int], EachBetween(0, 6)] = Field(
        default_factory=list, max_length=7, description="0 = Monday … 6 = Sunday"
    )
    earliest_time: time | None = None
    latest_time: time | None = None
    current_appointment: UUID | None = Field(None, description="The patient's later appointment to move")
    note: str = Field("", max_length=200)


class CloseIn(InputSchema):
    reason: str = Field("", max_length=200)


class OfferIn(InputSchema):
    provider: UUID
    location: UUID
    starts_at: ScheduleDateTime


class AcceptIn(InputSchema):
    room: UUID | None = Field(None, description="Empty: a free room the type allows")
    reason: str = Field("", max_length=200)


class MatchesQuery(Schema):
    appointment: UUID | None = Field(None, description="A freed (cancelled) appointment: its slot, not its patient")
    provider: UUID | None = None
    location: UUID | None = None
    appointment_type: UUID | None = None
    starts_at: ScheduleDateTime | None = None


@router.post("/waitlist", response={201: EntryOut}, summary="Put a patient on the waitlist")
@api_requires(Cap.SCHEDULE_WRITE)
def waitlist_entry_create(request, payload: EntryIn):
    patient = access_patient(actor=request.user, mrn=payload.patient_mrn, purpose="waitlist")
    current = None
    if payload.current_appointment is not None:
        try:
            current = access_appointment(actor=request.user, public_id=payload.current_appointment)
        except Http404 as exc:
            raise ValidationError({"current_appointment": ["No appointment has this id."]}) from exc
    providers = [one_active(Provider, "providers", pid, active=True) for pid in payload.providers]
    entry = waitlist.waitlist_add(
        actor=request.user,
        data=waitlist.WaitlistInput(
            patient=patient,
            appointment_type=one_active(AppointmentType, "appointment_type", payload.appointment_type, active=True),
            wait_until=payload.wait_until,
            providers=providers,
            location=one_active(Location, "location", payload.location, active=True),
            weekdays=payload.weekdays,
            earliest_time=payload.earliest_time,
            latest_time=payload.latest_time,
            current_appointment=current,
            note=payload.note,
        ),
    )
    return Status(201, entry)


@router.get("/waitlist", response=list[EntryOut], summary="Active entries, longest wait first (audited)")
@api_requires(Cap.SCHEDULE_READ)
def waitlist_entry_list(request, patient_mrn: str | None = None, appointment_type: UUID | None = None):
    patient = access_patient(actor=request.user, mrn=patient_mrn, purpose="waitlist") if patient_mrn else None
    kind = one_active(AppointmentType, "appointment_type", appointment_type)
    return waitlist.access_waitlist(actor=request.user, appointment_type=kind, patient=patient)


@router.get("/waitlist/matches", response=list[EntryOut], summary="Who could take a freed slot, longest wait first")
@api_requires(Cap.SCHEDULE_READ)
def waitlist_match_list(request, filters: Query[MatchesQuery]):
    if filters.appointment is not None:
        appointment = access_appointment(actor=request.user, public_id=filters.appointment)
        return waitlist.access_waitlist_matches(actor=request.user, appointment=appointment)
    missing = [
        name for name in ("provider", "location", "appointment_type", "starts_at") if getattr(filters, name) is None
    ]
    if missing:
        raise ValidationError({name: ["Give this, or `appointment` (a freed appointment)."] for name in missing})
    starts_at = filters.starts_at
    if starts_at is None or starts_at.tzinfo is None:
        raise ValidationError({"starts_at": ["Give the start time with its time zone."]})
    return waitlist.access_slot_matches(
        actor=request.user,
        provider=one_active(Provider, "provider", filters.provider),
        location=one_active(Location, "location", filters.location),
        appointment_type=one_active(AppointmentType, "appointment_type", filters.appointment_type),
        starts_at=starts_at,
    )


@router.get("/waitlist/{public_id}", response=EntryOut, summary="One entry (audited read)")
@api_requires(Cap.SCHEDULE_READ)
def waitlist_entry_read(request, public_id: UUID):
    return waitlist.access_waitlist_entry(actor=request.user, public_id=public_id)


@router.post("/waitlist/{public_id}/close", response=EntryOut, summary="Take a patient off the waitlist")
@api_requires(Cap.SCHEDULE_WRITE)
def waitlist_entry_close(request, public_id: UUID, payload: CloseIn):
    entry = waitlist.access_waitlist_entry(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    return waitlist.waitlist_close(actor=request.user, entry=entry, reason=payload.reason)


@router.post("/waitlist/{public_id}/offers", response={201: OfferOut}, summary="Offer a slot (409 if it does not fit)")
@api_requires(Cap.SCHEDULE_WRITE)
def waitlist_offer_create(request, public_id: UUID, payload: OfferIn):
    entry = waitlist.access_waitlist_entry(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    offer = waitlist.offer_slot(
        actor=request.user,
        entry=entry,
        provider=one_active(Provider, "provider", payload.provider, active=True),
        location=one_active(Location, "location", payload.location, active=True),
        starts_at=payload.starts_at,
    )
    return Status(201, offer)


@router.post("/waitlist/offers/{public_id}/accept", response=AppointmentOut, summary="Accept: book (409 if taken)")
@api_requires(Cap.SCHEDULE_WRITE)
def waitlist_offer_accept(request, public_id: UUID, payload: AcceptIn):
    offer = waitlist.access_waitlist_offer(actor=request.user, public_id=public_id)
    room = one_active(Room, "room", payload.room, active=True)
    return waitlist.offer_accept(actor=request.user, offer=offer, room=room, reason=payload.reason)


@router.post("/waitlist/offers/{public_id}/decline", response=OfferOut, summary="Decline: the entry stays")
@api_requires(Cap.SCHEDULE_WRITE)
def waitlist_offer_decline(request, public_id: UUID):
    offer = waitlist.access_waitlist_offer(actor=request.user, public_id=public_id)
    return waitlist.offer_decline(actor=request.user, offer=offer)
