"""A seeded practice for the scheduling benchmarks: 50 providers at 5 locations, years of history.

Written with `clinicdesk.core.bulk.RowWriter` (COPY on PostgreSQL), because the booking service
at a few hundred bookings a second would take hours for 2,750,000 appointments. The rows are
what the service would write: each provider works Monday–Friday 08:00–17:00 at one location
(a template per provider), every appointment lies inside those hours, and no provider, room
or patient ever has two overlapping appointments holding time (PostgreSQL's exclusion
constraints check every row as it is copied in).

Past days are full (18 visits of 20 minutes with a 10-minute buffer a day, 08:00 to 17:00);
most are completed, some no-shows and cancellations. The future days of the benchmark window
are booked to `future_fill`, so slot search has real gaps to find.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SEED = 20261127
ZONE = ZoneInfo("America/New_York")
PROVIDERS, LOCATIONS, ROOMS_PER_LOCATION = 50, 5, 20
MAIN_PROVIDERS = 20  # the first location (the day view and flow board benchmarks) has 20 providers
VISIT, BUFFER = 20, 10  # minutes
SLOTS_PER_DAY = 18  # 08:00 .. 17:00 in steps of VISIT + BUFFER
PATIENT_POOL = 100_000


def _mrn(i: int) -> str:
    from clinicdesk.core.luhn import luhn_check_digit

    body = f"{4_000_000 + i:07d}"
    return body + str(luhn_check_digit(body))


@dataclass
class Practice:
    location_ids: list[int]
    provider_ids: list[int]
    provider_location: dict[int, int]
    rooms_by_location: dict[int, list[int]]
    room_of: dict[int, int]  # each provider keeps to one room of their location
    type_id: int
    creator_id: int
    patient_ids: list[int]


def _workdays_back(start: date) -> Iterator[date]:
    day = start
    while True:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            yield day


def practice_create(today: date, advance: Callable[[int], None] = lambda n: None) -> Practice:
    """Staff, locations, rooms, providers with templates, one visit type and a pool of patients."""
    from django.db import transaction

    from clinicdesk.accounts.models import User
    from clinicdesk.core.bulk import RowWriter
    from clinicdesk.patients.models import Patient
    from clinicdesk.scheduling.models import (
        AppointmentType,
        AvailabilityTemplate,
        Location,
        OpeningHours,
        Provider,
        Room,
        TemplateBlock,
    )

    rng = random.Random(SEED)  # noqa: S311 (reproducible data, not secrets)
    with transaction.atomic():
        creator = User.objects.create_user("bench-om", password=None, role="office_manager")
        locations = [
            Location.objects.create(
                name=f"Bench Site {n}", address_line1=f"{n} Main St", city="Kingston", state="NY",
                zip_code="12401", time_zone="America/New_York", holiday_country="US", holiday_subdivision="NY",
            )
            for n in range(LOCATIONS)
        ]  # fmt: skip
        for location in locations:
            for weekday in range(5):
                OpeningHours.objects.create(location=location, weekday=weekday, opens=time(8), closes=time(17))
        rooms = {
            loc.pk: [Room.objects.create(location=loc, name=f"Exam {n}").pk for n in range(ROOMS_PER_LOCATION)]
            for loc in locations
        }
        kind = AppointmentType.objects.create(
            name="Bench follow-up", duration_minutes=VISIT, buffer_after_minutes=BUFFER
        )
        providers, where = [], {}
        for n in range(PROVIDERS):
            user = User.objects.create_user(f"bench-dr{n}", password=None, role="clinician")
            location = locations[0] if n < MAIN_PROVIDERS else locations[1 + (n - MAIN_PROVIDERS) % (LOCATIONS - 1)]
            provider = Provider.objects.create(user=user, specialty="Family medicine")
            provider.locations.add(location)
            kind.providers.add(provider)
            template = AvailabilityTemplate.objects.create(
                provider=provider, location=location, valid_from=today - timedelta(days=5000)
            )
            for weekday in range(5):
                TemplateBlock.objects.create(template=template, weekday=weekday, starts=time(8), ends=time(17))
            providers.append(provider.pk)
            where[provider.pk] = location.pk
        writer = RowWriter(Patient, [f.name for f in Patient._meta.concrete_fields])
        ids = writer.ids_reserve(PATIENT_POOL)
        now = datetime.now(UTC)
        writer.insert(
            writer.row({"id": pk, "mrn": _mrn(i), "first_name": rng.choice(("Ann", "Bo", "Cy")),
                        "last_name": f"Bench{i}", "date_of_birth": date(1960, 1, 1) + timedelta(days=i % 20000),
                        "sex_at_birth": "U", "created_at": now, "updated_at": now})
            for i, pk in enumerate(ids)
        )  # fmt: skip
    advance(0)
    room_of: dict[int, int] = {}
    for provider in providers:
        location = where[provider]
        room_of[provider] = rooms[location][sum(1 for p in room_of if where[p] == location)]
    return Practice(
        location_ids=[loc.pk for loc in locations],
        provider_ids=providers,
        provider_location=where,
        rooms_by_location=rooms,
        room_of=room_of,
        type_id=kind.pk,
        creator_id=creator.pk,
        patient_ids=ids,
    )


def _columns() -> list[str]:
    from clinicdesk.scheduling.models import Appointment

    return [f.name for f in Appointment._meta.concrete_fields if f.name != "id"]


def _day_rows(practice, day, fill, rng, counter, past, providers=None, statuses=None):
    import uuid

    for provider in providers if providers is not None else practice.provider_ids:
        location = practice.provider_location[provider]
        room = practice.room_of[provider]
        for slot in range(SLOTS_PER_DAY):
            if fill < 1 and rng.random() > fill:
                continue
            local = datetime.combine(day, time(8), ZONE) + timedelta(minutes=slot * (VISIT + BUFFER))
            starts = local.astimezone(UTC)
            # Patients in turn: two appointments of one patient are PATIENT_POOL bookings apart.
            patient = practice.patient_ids[counter[0] % len(practice.patient_ids)]
            counter[0] += 1
            status, cancelled = "scheduled", None
            if statuses is not None:
                status = statuses(starts)
            elif past:
                roll = rng.random()
                status = "completed" if roll < 0.9 else "no_show" if roll < 0.95 else "cancelled"
                cancelled = starts - timedelta(days=1) if status == "cancelled" else None
            yield {
                "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "patient": patient, "provider": provider, "location": location, "room": room,
                "appointment_type": practice.type_id, "starts_at": starts,
                "ends_at": starts + timedelta(minutes=VISIT), "block_start": starts,
                "block_end": starts + timedelta(minutes=VISIT + BUFFER), "reason": "", "overbooked": False,
                "status": status, "confirmation": "confirmed" if past else "unconfirmed",
                "confirmation_method": "sms" if past else "", "cancel_reason": "Patient called" if cancelled else "",
                "late_cancel": False, "cancelled_at": cancelled,
                "arrived_at": starts - timedelta(minutes=5) if status not in ("scheduled", "no_show", "cancelled") else None,
                "roomed_at": starts if status in ("roomed", "with_provider", "checked_out", "completed") else None,
                "with_provider_at": starts + timedelta(minutes=5) if status in ("with_provider", "checked_out", "completed") else None,
                "checked_out_at": starts + timedelta(minutes=VISIT) if status in ("checked_out", "completed") else None,
                "completed_at": starts + timedelta(minutes=VISIT) if status == "completed" else None,
                "created_by": practice.creator_id, "created_at": starts - timedelta(days=14), "updated_at": starts,
            }  # fmt: skip


def appointments_add(
    practice: Practice, *, past: int, before: date, advance: Callable[[int], None] = lambda n: None, seed: int = SEED
) -> date:
    """About `past` completed/no-show/cancelled appointments on the workdays before `before`.

    Returns the earliest day written, so a second call can extend the history further back.
    """
    from django.db import transaction

    from clinicdesk.core.bulk import RowWriter
    from clinicdesk.scheduling.models import Appointment

    rng = random.Random(seed)  # noqa: S311
    writer = RowWriter(Appointment, _columns())
    per_day = PROVIDERS * SLOTS_PER_DAY
    counter = [rng.randrange(PATIENT_POOL)]
    written, day = 0, before
    days = _workdays_back(before)
    while written < past:
        batch = []
        for _ in range(max(1, min(20, (past - written) // per_day))):
            day = next(days)
            batch.extend(writer.row(r) for r in _day_rows(practice, day, 1.0, rng, counter, past=True))
        with transaction.atomic():
            written += writer.insert(batch)
        advance(len(batch))
    return day


def future_add(practice: Practice, *, start: date, days: int, fill: float, seed: int = SEED + 1) -> int:
    """Book `fill` of every provider's slots on the workdays from `start` for `days` days."""
    from django.db import transaction

    from clinicdesk.core.bulk import RowWriter
    from clinicdesk.scheduling.models import Appointment

    rng = random.Random(seed)  # noqa: S311
    writer = RowWriter(Appointment, _columns())
    counter = [PATIENT_POOL // 2]
    rows = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day.weekday() < 5:
            rows.extend(writer.row(r) for r in _day_rows(practice, day, fill, rng, counter, past=False))
    with transaction.atomic():
        return writer.insert(rows)


def today_add(practice: Practice, *, day: date, now: datetime, count: int = 300) -> int:
    """`count` appointments on `day` at the first location, in every state of the flow by the clock."""
    from django.db import transaction

    from clinicdesk.core.bulk import RowWriter
    from clinicdesk.scheduling.models import Appointment

    def state(starts: datetime) -> str:
        minutes = (now - starts).total_seconds() / 60
        if minutes < -30:
            return "scheduled"
        return "arrived" if minutes < 0 else "roomed" if minutes < 5 else "with_provider" if minutes < 20 else (
            "checked_out" if minutes < 40 else "completed"
        )  # fmt: skip

    rng = random.Random(SEED + 2)  # noqa: S311
    writer = RowWriter(Appointment, _columns())
    main = [p for p in practice.provider_ids if practice.provider_location[p] == practice.location_ids[0]]
    rows = list(_day_rows(practice, day, 1.0, rng, [PATIENT_POOL // 4], past=False, providers=main, statuses=state))
    rows.sort(key=lambda r: (r["starts_at"], r["provider"]))
    with transaction.atomic():
        return writer.insert(writer.row(r) for r in rows[:count])
