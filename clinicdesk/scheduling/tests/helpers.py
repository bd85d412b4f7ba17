"""Times and booking helpers the scheduling tests share (fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinicdesk.core import clock as app_clock
from clinicdesk.patients.services import PatientInput, patient_register
from clinicdesk.scheduling.booking import BookingInput, appointment_book
from clinicdesk.scheduling.models import HOLDING_STATUSES, Appointment
from clinicdesk.scheduling.series import series_book
from clinicdesk.scheduling.setup import HoursInput

NY = ZoneInfo("America/New_York")
WEEKDAYS_8_TO_5 = [HoursInput(weekday=d, opens=time(8), closes=time(17)) for d in range(5)]

# The booking tests' moment and slot: Tuesday 1 December 2026 and the Monday after, 10:00 in New York.
BOOKING_NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
AT_10 = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
# The patient-flow tests' moment: Monday 4 March 2030, 10:00 in New York (EST, UTC-5).
FLOW_NOW = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)
# The slot-search tests' moment and the Monday they search.
SLOTS_NOW = datetime(2026, 1, 1, tzinfo=UTC)
SLOTS_MONDAY = date(2026, 3, 2)


def registered_patient(actor, first="Jane", last="Doe"):
    values = {"first_name": first, "last_name": last, "date_of_birth": date(1962, 3, 14), "sex_at_birth": "F"}
    return patient_register(actor=actor, data=PatientInput(values=values))


def book_at(practice, *, at=AT_10, patient="jane", provider="provider", room=None, kind="type", **extra):
    """Book in the `practice` fixture's clinic, as of BOOKING_NOW."""
    data = BookingInput(
        patient=practice[patient],
        provider=practice[provider],
        location=practice["location"],
        appointment_type=practice[kind],
        starts_at=at,
        room=room,
        **extra,
    )
    return appointment_book(actor=practice["actor"], data=data, now=BOOKING_NOW)


def overlapping_pairs() -> list[tuple[int, int]]:
    """Every pair of holding appointments that share a provider, a room or a patient in time."""
    holding = list(
        Appointment.objects.filter(status__in=HOLDING_STATUSES).values(
            "pk", "provider_id", "room_id", "patient_id", "block_start", "block_end", "overbooked"
        )
    )
    pairs = []
    for i, a in enumerate(holding):
        for b in holding[i + 1 :]:
            if a["block_start"] < b["block_end"] and b["block_start"] < a["block_end"]:
                same_provider = a["provider_id"] == b["provider_id"] and not (a["overbooked"] or b["overbooked"])
                same_room = a["room_id"] is not None and a["room_id"] == b["room_id"]
                if same_provider or same_room or a["patient_id"] == b["patient_id"]:
                    pairs.append((a["pk"], b["pk"]))
    return pairs


def next_monday(weeks: int = 1) -> date:
    """A Monday at least a week away, so every test books in the future whatever day it runs."""
    today = app_clock.today()
    return today + timedelta(days=7 * weeks + (7 - today.weekday()) % 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """`hour:minute` New York time on `day`, as UTC."""
    return datetime.combine(day, time(hour, minute), NY).astimezone(UTC)


def book_now(clinic, *, patient="jane", hour=10, minute=0, room=0, provider="provider", kind="type"):
    """Book on the `clinic` fixture's Monday, as of the application's clock."""
    data = BookingInput(
        patient=clinic[patient],
        provider=clinic[provider],
        location=clinic["location"],
        appointment_type=clinic[kind],
        starts_at=at(clinic["monday"], hour, minute),
        room=None if room is None else clinic["rooms"][room],
    )
    return appointment_book(actor=clinic["actor"], data=data)


# Series: `p` is factories.make_weekday_practice's practice.


def monday_at(hour: int = 9, minute: int = 0, *, weeks_ahead: int = 2) -> datetime:
    """A Monday at least `weeks_ahead` weeks from today, at that New York wall time."""
    today = app_clock.now().astimezone(NY).date()
    day = today + timedelta(days=7 * weeks_ahead + (7 - today.weekday()) % 7)
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


def data_for(p, starts_at, *, patient=None, provider=None, room=None) -> BookingInput:
    """Jane in Exam 1, Joe in Exam 2 (the type needs a room), so clashes are about the provider."""
    patient = patient or p.jane
    return BookingInput(
        patient=patient,
        provider=provider or p.provider,
        location=p.location,
        appointment_type=p.kind,
        starts_at=starts_at,
        room=room or p.rooms[0 if patient == p.jane else 1],
    )


def book_series(p, starts_at, *, count=10, unit="weeks", interval=1, choices=None, **extra):
    return series_book(
        actor=p.actor,
        data=data_for(p, starts_at, **extra),
        unit=unit,
        interval=interval,
        count=count,
        choices=choices or {},
    )


def book_one(p, starts_at, **extra):
    return appointment_book(actor=p.actor, data=data_for(p, starts_at, **extra))


def rows(series) -> list[Appointment]:
    return list(Appointment.objects.filter(series=series).order_by("series_index"))


def local(appointment: Appointment) -> datetime:
    return appointment.starts_at.astimezone(NY)
