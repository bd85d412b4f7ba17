"""The demo practice's setup: two locations, their rooms, five providers and six appointment types.

Entered "by" the demo office manager, so the audit trail reads like a real office's. The demo
has one clinician login per role; three more clinicians are created here (same password as
the other demo logins) so the schedule has several doctors. NPIs are well formed (they pass
the check digit) but are for the demo only; 1234567893 is the example NPI CMS publishes.
Idempotent: whatever exists already (matched by name, username or staff account) is left as is.
"""

from __future__ import annotations

from datetime import time

from django.db import transaction

from clinicdesk.accounts.demo import DEMO_PASSWORD
from clinicdesk.accounts.models import User
from clinicdesk.accounts.services import staff_create
from clinicdesk.core.capabilities import Role
from clinicdesk.core.demo import DemoOptions, register

from .models import AppointmentType, Location, PatientKind, Provider, Room, Weekday
from .setup import (
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

WEEKDAYS = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)
_WEEK = [HoursInput(weekday=day, opens=time(8), closes=time(17)) for day in WEEKDAYS]
MAIN, RIVERSIDE = "Main Street Clinic", "Riverside Clinic"

DEMO_LOCATIONS = (
    LocationInput(
        name=MAIN,
        address_line1="120 Main Street",
        city="Kingston",
        state="NY",
        zip_code="12401",
        phone="(845) 555-0140",
        time_zone="America/New_York",
        holiday_country="US",
        holiday_subdivision="NY",
        opening_hours=[*_WEEK, HoursInput(weekday=Weekday.SATURDAY, opens=time(9), closes=time(12))],
    ),
    LocationInput(
        name=RIVERSIDE,
        address_line1="45 River Road",
        address_line2="Suite 200",
        city="Kingston",
        state="NY",
        zip_code="12401",
        phone="(845) 555-0141",
        time_zone="America/New_York",
        holiday_country="US",
        holiday_subdivision="NY",
        opening_hours=list(_WEEK),
    ),
)
DEMO_ROOMS = {MAIN: ("Exam 1", "Exam 2", "Procedure room"), RIVERSIDE: ("Exam A", "Exam B", "Procedure room")}
# Extra clinicians of the demo (username, name); okafor and sam come from the staff step.
DEMO_CLINICIANS = (("lee", "Dr. Harold Lee"), ("nguyen", "Dr. Linh Nguyen"), ("garcia", "Dr. Sofia Garcia"))
# username, NPI, taxonomy, specialty, locations
DEMO_PROVIDERS = (
    ("okafor", "1234567893", "207Q00000X", "Family medicine", (MAIN, RIVERSIDE)),
    ("lee", "1049382710", "207R00000X", "Internal medicine", (MAIN,)),
    ("nguyen", "1192837460", "208000000X", "Pediatrics", (RIVERSIDE,)),
    ("garcia", "1283746505", "207N00000X", "Dermatology", (MAIN, RIVERSIDE)),
    ("sam", "1374658296", "163W00000X", "Nursing", (MAIN, RIVERSIDE)),
)
_DOCTORS = ("okafor", "lee", "nguyen", "garcia")
# name, minutes, colour, providers, extra fields
DEMO_TYPES: tuple[tuple[str, int, str, tuple[str, ...], dict], ...] = (
    ("New patient visit", 40, "#1F77B4", _DOCTORS, {"patient_kind": PatientKind.NEW, "default_reason": "New patient"}),
    (
        "Follow-up",
        20,
        "#2CA02C",
        _DOCTORS,
        {"patient_kind": PatientKind.ESTABLISHED, "overbook_allowed": True, "overbook_limit": 2},
    ),
    ("Annual physical", 30, "#9467BD", ("okafor", "lee", "nguyen"), {"default_reason": "Annual physical"}),
    (
        "Telehealth follow-up",
        20,
        "#17BECF",
        ("okafor", "lee", "garcia"),
        {"patient_kind": PatientKind.ESTABLISHED, "telehealth": True},
    ),
    ("Procedure", 60, "#D62728", ("okafor", "garcia"), {"buffer_after_minutes": 10, "rooms": "Procedure room"}),
    ("Nurse visit", 15, "#FF7F0E", ("sam",), {"patient_kind": PatientKind.ESTABLISHED}),
)


def _clinicians(options: DemoOptions) -> int:
    created = 0
    for username, name in DEMO_CLINICIANS:
        if User.objects.filter(username=username).exists():
            continue
        staff_create(
            actor=None,
            system="system:demo",
            username=username,
            role=Role.CLINICIAN,
            password=DEMO_PASSWORD,
            display_name=name,
            email=f"{username}@demo.clinicdesk.test",
        )
        created += 1
    options.lines.append("More demo clinicians (same password): " + ", ".join(u for u, _ in DEMO_CLINICIANS))
    return created


@register(name="scheduling", order=40)
def demo_scheduling(options: DemoOptions) -> str:
    created: dict[str, int] = {"location": 0, "room": 0, "provider": 0, "type": 0}
    with transaction.atomic():
        staff = _clinicians(options)
        manager = User.objects.filter(role=Role.OFFICE_MANAGER, is_active=True).order_by("pk").first()
        if manager is None:
            return "skipped (no office manager to enter the setup)"
        for data in DEMO_LOCATIONS:
            if not Location.objects.filter(name=data.name).exists():
                location_create(actor=manager, data=data)
                created["location"] += 1
        locations = {loc.name: loc for loc in Location.objects.filter(name__in=DEMO_ROOMS)}
        for location_name, room_names in DEMO_ROOMS.items():
            for room_name in room_names:
                location = locations[location_name]
                if not Room.objects.filter(location=location, name=room_name).exists():
                    room_create(actor=manager, location=location, data=RoomInput(name=room_name))
                    created["room"] += 1
        for username, npi, taxonomy, specialty, where in DEMO_PROVIDERS:
            user = User.objects.filter(username=username).first()
            if user is None or Provider.objects.filter(user=user).exists():
                continue
            provider_create(
                actor=manager,
                data=ProviderInput(
                    user=user,
                    npi=npi,
                    taxonomy_code=taxonomy,
                    specialty=specialty,
                    locations=[locations[name] for name in where],
                ),
            )
            created["provider"] += 1
        providers = {p.user.username: p for p in Provider.objects.select_related("user")}
        for name, minutes, color, who, extra in DEMO_TYPES:
            if AppointmentType.objects.filter(name=name).exists():
                continue
            fields = dict(extra)
            room_name = fields.pop("rooms", None)
            rooms = list(Room.objects.filter(name=room_name, location__in=locations.values())) if room_name else []
            appointment_type_create(
                actor=manager,
                data=AppointmentTypeInput(
                    name=name,
                    duration_minutes=minutes,
                    color=color,
                    providers=[providers[u] for u in who if u in providers],
                    rooms=rooms,
                    **fields,
                ),
            )
            created["type"] += 1
    return (
        f"{created['location']} location(s), {created['room']} room(s), {created['provider']} provider(s) "
        f"({staff} new clinician login(s)), {created['type']} appointment type(s) created"
    )
