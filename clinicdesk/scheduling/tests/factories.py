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
