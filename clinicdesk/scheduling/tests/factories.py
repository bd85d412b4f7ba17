"""Shared setup for the scheduling tests: a location, a provider, inputs that pass validation."""

from __future__ import annotations

from datetime import time
from typing import Any

from clinicdesk.scheduling.setup import (
    AppointmentTypeInput,
    HoursInput,
    LocationInput,
    ProviderInput,
    RoomInput,
    appointment_type_create,
    location_create,
    provider_create,
    room_create,
)

VALID_NPI = "1234567893"  # the example NPI CMS publishes


def location_input(**extra) -> LocationInput:
    values: dict[str, Any] = {
        "name": "Main Street Clinic",
        "address_line1": "120 Main Street",
        "city": "Kingston",
        "state": "NY",
        "zip_code": "12401",
        "time_zone": "America/New_York",
        "opening_hours": [HoursInput(weekday=0, opens=time(8), closes=time(17))],
    }
    values.update(extra)
    return LocationInput(**values)


def make_location(actor, **extra):
    return location_create(actor=actor, data=location_input(**extra))


def make_room(actor, location, name="Exam 1"):
    return room_create(actor=actor, location=location, data=RoomInput(name=name))


def make_provider(actor, user, locations, npi=VALID_NPI, **extra):
    values = {"user": user, "npi": npi, "taxonomy_code": "207Q00000X", "specialty": "Family medicine"}
    values.update(extra)
    return provider_create(actor=actor, data=ProviderInput(locations=locations, **values))


def make_type(actor, providers, **extra):
    values = {"name": "Follow-up", "duration_minutes": 20}
    values.update(extra)
    return appointment_type_create(actor=actor, data=AppointmentTypeInput(providers=providers, **values))


# --- Availability, appointments and patients (slot search tests) ------------------------------


def make_template(actor, provider, location, valid_from, blocks, valid_until=None):
    """`blocks`: (weekday, "09:00", "12:00") tuples, or BlockInput for rooms and types."""
    from datetime import time as clock

    from clinicdesk.scheduling.availability import BlockInput, template_version_create

    inputs = [
        b if isinstance(b, BlockInput) else BlockInput(b[0], clock.fromisoformat(b[1]), clock.fromisoformat(b[2]))
        for b in blocks
    ]
    return template_version_create(
        actor=actor, provider=provider, location=location, valid_from=valid_from, valid_until=valid_until, blocks=inputs
    )


def make_patient(actor, first="Jane", last="Doe"):
    from datetime import date

    from clinicdesk.patients.services import PatientInput, patient_register

    values = {"first_name": first, "last_name": last, "date_of_birth": date(1962, 3, 14), "sex_at_birth": "F"}
    return patient_register(actor=actor, data=PatientInput(values=values, phones={"mobile": "(202) 555-0123"}))


def make_appointment(actor, *, patient, provider, location, kind, starts_at, room=None, **extra):
    """An Appointment row written straight with the ORM (the booking service is not needed here)."""
    from datetime import timedelta

    from clinicdesk.scheduling.models import Appointment

    ends_at = starts_at + timedelta(minutes=kind.duration_minutes)
    return Appointment.objects.create(
        patient=patient,
        provider=provider,
        location=location,
        room=room,
        appointment_type=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        block_start=starts_at - timedelta(minutes=kind.buffer_before_minutes),
        block_end=ends_at + timedelta(minutes=kind.buffer_after_minutes),
        created_by=actor,
        **extra,
    )


# --- A small practice for the flow board and calendar tests ----------------------------------


def make_practice(office_manager, clinician_user):
    """Main Street Clinic (New York time, open 08:00-17:00 Monday to Friday) with two rooms,
    one clinician provider, a Follow-up type (20 min, green) and a telehealth type.

    Returns a namespace with location, rooms, provider, kind and video.
    """
    from types import SimpleNamespace

    hours = [HoursInput(weekday=day, opens=time(8), closes=time(17)) for day in range(5)]
    location = make_location(office_manager, opening_hours=hours)
    rooms = [make_room(office_manager, location, "Exam 1"), make_room(office_manager, location, "Exam 2")]
    provider = make_provider(office_manager, clinician_user, [location])
    kind = make_type(office_manager, [provider], color="#2CA02C")
    video = make_type(office_manager, [provider], name="Video follow-up", telehealth=True, color="#9467BD")
    return SimpleNamespace(location=location, rooms=rooms, provider=provider, kind=kind, video=video)


# --- Recurring series (test_series*.py) --------------------------------------------------------


def make_weekday_practice(office_manager, front_desk, clinician, *, second_username="drlee"):
    """A location open Mon–Fri 08:00–17:00 with no public holidays, two rooms, two providers who
    work those hours from 2026 on, a 20-minute follow-up (10 minutes' buffer after) and two patients.

    The holiday calendar is switched off so that dates computed from today stay bookable
    whichever holidays they happen to fall on; holiday refusals are slot search's tests.
    """
    from datetime import date
    from types import SimpleNamespace

    from clinicdesk.scheduling.models import Location
    from clinicdesk.scheduling.setup import HoursInput
    from conftest import make_staff

    week = [HoursInput(weekday=day, opens=time(8), closes=time(17)) for day in range(5)]
    location = make_location(office_manager, opening_hours=week)
    Location.objects.filter(pk=location.pk).update(holiday_country="ZZ")  # no such calendar: no holidays
    location.refresh_from_db()
    rooms = [make_room(office_manager, location, f"Exam {n}") for n in (1, 2)]
    provider = make_provider(office_manager, clinician, [location])
    other = make_provider(office_manager, make_staff(second_username, "clinician"), [location], npi="1245319599")
    kind = make_type(office_manager, [provider, other], buffer_after_minutes=10)
    for person in (provider, other):
        make_template(office_manager, person, location, date(2026, 1, 1), [(day, "08:00", "17:00") for day in range(5)])
    return SimpleNamespace(
        location=location,
        rooms=rooms,
        provider=provider,
        other=other,
        kind=kind,
        jane=make_patient(front_desk),
        joe=make_patient(front_desk, "Joe", "Roe"),
        actor=front_desk,
    )
