"""Demo schedule: weekly hours for the five demo providers, three months of past and future
appointments in every state, today's visits spread over the flow board, and a waitlist.

Hours go through the availability service (audited like the office manager's own). The
appointments, about eight thousand, are written in bulk (`core.bulk.RowWriter`), as the
booking service would leave them: inside each provider's hours and the location's opening
hours, never two of a provider, room or patient at once (PostgreSQL's exclusion constraints
check every row), holidays left free. Seeded, so the same people get the same visits; runs
once (a practice that already has appointments is left alone).
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from django.db import transaction

from clinicdesk.accounts.models import User
from clinicdesk.core import clock
from clinicdesk.core.bulk import RowWriter
from clinicdesk.core.capabilities import Role
from clinicdesk.core.demo import DemoOptions, register
from clinicdesk.patients.models import Patient

from .availability import BlockInput, template_version_create
from .models import Appointment, AppointmentType, Location, Provider, Room
from .waitlist import WaitlistInput, waitlist_add

DAYS_BACK = DAYS_AHEAD = 91
# username -> (location name, weekdays, start, end) blocks of the weekly template
HOURS: dict[str, list[tuple[str, tuple[int, ...], str, str]]] = {
    "okafor": [("Main Street Clinic", (0, 2, 4), "08:00", "16:30"), ("Riverside Clinic", (1, 3), "08:00", "16:30")],
    "lee": [("Main Street Clinic", (0, 1, 2, 3, 4), "08:30", "16:00")],
    "nguyen": [("Riverside Clinic", (0, 1, 2, 3, 4), "08:00", "17:00")],
    "garcia": [("Main Street Clinic", (0, 1), "09:00", "17:00"), ("Riverside Clinic", (2, 3), "09:00", "17:00")],
    "sam": [("Main Street Clinic", (0, 1, 2, 3, 4), "08:00", "12:00"), ("Riverside Clinic", (0, 2, 4), "13:00", "17:00")],
}  # fmt: skip
PAST_FILL, FUTURE_FILL = 0.8, 0.55  # share of each provider's time that is booked
REASONS = ("Blood pressure check", "Medication review", "Cough", "Back pain", "Rash", "Diabetes follow-up",
           "Lab results", "Knee pain", "Headaches", "Well visit")  # fmt: skip


def _clock(text: str) -> time:
    return time.fromisoformat(text)


def _templates(manager: User, providers: dict[str, Provider], locations: dict[str, Location], start: date) -> int:
    made = 0
    for username, spans in HOURS.items():
        provider = providers.get(username)
        if provider is None:
            continue
        by_location: dict[str, list[BlockInput]] = {}
        for location_name, weekdays, opens, closes in spans:
            for weekday in weekdays:
                by_location.setdefault(location_name, []).append(BlockInput(weekday, _clock(opens), _clock(closes)))
        for location_name, blocks in by_location.items():
            if provider.templates.filter(location=locations[location_name]).exists():
                continue
            template_version_create(
                actor=manager, provider=provider, location=locations[location_name], valid_from=start, blocks=blocks
            )
            made += 1
    return made


class _Calendar:
    """Who is busy when, so the generated visits never overlap for a provider, room or patient."""

    def __init__(self) -> None:
        self.busy: dict[tuple[str, int], list[tuple[datetime, datetime]]] = {}

    def free(self, key: tuple[str, int], start: datetime, end: datetime) -> bool:
        return all(end <= s or start >= e for s, e in self.busy.get(key, []))

    def take(self, key: tuple[str, int], start: datetime, end: datetime) -> None:
        self.busy.setdefault(key, []).append((start, end))


def _state(starts: datetime, ends: datetime, now: datetime, rng: random.Random) -> str:
    if ends < now - timedelta(hours=2):
        roll = rng.random()
        return "completed" if roll < 0.85 else "no_show" if roll < 0.92 else "cancelled"
    if starts > now + timedelta(minutes=15):
        return "cancelled" if rng.random() < 0.04 else "scheduled"
    minutes = (now - starts).total_seconds() / 60  # today, around now: spread over the flow board
    return ("arrived" if minutes < -5 else "roomed" if minutes < 5 else "with_provider" if minutes < 25
            else "checked_out" if minutes < 45 else "completed")  # fmt: skip


def _row(kind: AppointmentType, provider: Provider, location: Location, patient: int, starts: datetime,
         status: str, room: Room | None, creator: User, now: datetime, rng: random.Random) -> dict:  # fmt: skip
    ends = starts + timedelta(minutes=kind.duration_minutes)
    done = status in ("roomed", "with_provider", "checked_out", "completed")
    row: dict[str, Any] = {
        "public_id": uuid.UUID(int=rng.getrandbits(128), version=4), "patient": patient, "provider": provider.pk,
        "location": location.pk, "room": room.pk if room else None, "appointment_type": kind.pk,
        "starts_at": starts, "ends_at": ends,
        "block_start": starts - timedelta(minutes=kind.buffer_before_minutes),
        "block_end": ends + timedelta(minutes=kind.buffer_after_minutes),
        "reason": kind.default_reason or rng.choice(REASONS), "status": status, "created_by": creator.pk,
        "created_at": min(now, starts) - timedelta(days=rng.randint(1, 30)), "updated_at": min(now, starts),
        "arrived_at": starts - timedelta(minutes=rng.randint(2, 15)) if status != "scheduled" and status not in (
            "no_show", "cancelled") else None,
        "roomed_at": starts + timedelta(minutes=2) if done else None,
        "with_provider_at": starts + timedelta(minutes=8) if status in ("with_provider", "checked_out", "completed") else None,
        "checked_out_at": ends + timedelta(minutes=5) if status in ("checked_out", "completed") else None,
        "completed_at": ends + timedelta(minutes=10) if status == "completed" else None,
        "no_show_at": starts + timedelta(minutes=20) if status == "no_show" else None,
    }  # fmt: skip
    for name in ("arrived_at", "roomed_at", "with_provider_at", "checked_out_at", "completed_at", "no_show_at"):
        if row[name] is not None and row[name] > now:  # nothing is recorded ahead of the clock
            row[name] = now
    if status == "cancelled":
        row.update(cancelled_at=starts - timedelta(hours=rng.choice((3, 20, 48, 96))), cancelled_by=creator.pk,
                   cancel_reason=rng.choice(("Patient called", "Feeling better", "Provider out", "Transport")))  # fmt: skip
        row["cancelled_at"] = min(row["cancelled_at"], now)
        row["late_cancel"] = starts - row["cancelled_at"] < timedelta(hours=24)
    if starts < now or rng.random() < 0.5:
        row.update(confirmation="confirmed", confirmation_method=rng.choice(("sms", "phone", "email", "portal")),
                   confirmed_by=creator.pk, confirmed_at=starts - timedelta(days=2))  # fmt: skip
    elif rng.random() < 0.2:
        row.update(confirmation="left_message", confirmed_by=creator.pk, confirmed_at=now - timedelta(hours=5))
    return row


@register(name="appointments", order=50)
def demo_appointments(options: DemoOptions) -> str:
    if Appointment.objects.exists():
        return "skipped (the practice already has appointments)"
    manager = User.objects.filter(role=Role.OFFICE_MANAGER, is_active=True).order_by("pk").first()
    if manager is None:
        return "skipped (no office manager)"
    desk = User.objects.filter(role=Role.FRONT_DESK, is_active=True).order_by("pk").first() or manager
    rng = random.Random(options.seed + 40)  # noqa: S311 (reproducible demo data)
    now = clock.now()
    today = clock.today()
    providers = {p.user.username: p for p in Provider.objects.select_related("user")}
    locations = {loc.name: loc for loc in Location.objects.all()}
    if not providers or not locations:
        return "skipped (no practice setup)"
    patients = list(Patient.objects.filter(status="active").values_list("pk", flat=True).order_by("pk"))
    if not patients:
        return "skipped (no patients)"
    kinds = {
        p.pk: list(p.appointment_types.filter(active=True).order_by("name"))
        for p in providers.values()
    }  # fmt: skip
    rooms = {loc.pk: list(loc.rooms.filter(active=True).order_by("name")) for loc in locations.values()}
    closed = holidays.country_holidays("US", subdiv="NY", years=range(today.year - 1, today.year + 2))
    calendar = _Calendar()
    rows: list[dict] = []
    with transaction.atomic():
        made_templates = _templates(manager, providers, locations, today - timedelta(days=DAYS_BACK + 7))
        for offset in range(-DAYS_BACK, DAYS_AHEAD + 1):
            day = today + timedelta(days=offset)
            if day in closed:
                continue
            for username, spans in HOURS.items():
                provider = providers.get(username)
                if provider is None or not kinds.get(provider.pk):
                    continue
                for location_name, weekdays, opens, closes in spans:
                    if day.weekday() not in weekdays:
                        continue
                    location = locations[location_name]
                    zone = ZoneInfo(location.time_zone)
                    at = datetime.combine(day, _clock(opens), zone)
                    end = datetime.combine(day, _clock(closes), zone)
                    fill = PAST_FILL if day <= today else FUTURE_FILL
                    while at < end:
                        kind = rng.choice(kinds[provider.pk])
                        length = timedelta(minutes=kind.blocked_minutes)
                        if at + length > end:
                            break
                        if rng.random() > fill:
                            at += timedelta(minutes=15)
                            continue
                        start_utc, end_utc = at.astimezone(ZoneInfo("UTC")), (at + length).astimezone(ZoneInfo("UTC"))
                        status = _state(start_utc, end_utc, now, rng)
                        room = None
                        if status in ("roomed", "with_provider") and not kind.telehealth:
                            room = next((r for r in rooms[location.pk]
                                         if calendar.free(("room", r.pk), start_utc, end_utc)), None)  # fmt: skip
                        patient = next(
                            (p for p in (rng.choice(patients) for _ in range(20))
                             if calendar.free(("patient", p), start_utc, end_utc)), None,
                        )  # fmt: skip
                        if patient is None:
                            at += length
                            continue
                        if status not in ("cancelled", "no_show"):
                            calendar.take(("patient", patient), start_utc, end_utc)
                            if room is not None:
                                calendar.take(("room", room.pk), start_utc, end_utc)
                        rows.append(_row(kind, provider, location, patient, start_utc, status, room, desk, now, rng))
                        at += length
        writer = RowWriter(Appointment, [f.name for f in Appointment._meta.concrete_fields if f.name != "id"])
        writer.insert(writer.row(r) for r in rows)
        waiting = _waitlist(desk, providers, patients, today, rng)
    states: dict[str, int] = {}
    for row in rows:
        states[row["status"]] = states.get(row["status"], 0) + 1
    summary = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in sorted(states.items()))
    return f"{made_templates} weekly template(s), {len(rows)} appointments ({summary}), {waiting} on the waitlist"


def _waitlist(actor: User, providers: dict[str, Provider], patients: list[int], today: date,
              rng: random.Random) -> int:  # fmt: skip
    follow_up = AppointmentType.objects.filter(name="Follow-up").first()
    physical = AppointmentType.objects.filter(name="Annual physical").first()
    wishes = [
        (follow_up, ["lee"], [0, 1, 2, 3, 4], time(8), time(12), "Mornings only"),
        (follow_up, [], [], None, None, "Any time, any doctor"),
        (physical, ["okafor"], [0, 2, 4], None, None, "Wants Dr. Okafor"),
        (follow_up, ["garcia"], [1, 3], time(13), time(17), "After school"),
        (physical, [], [4], None, None, "Fridays"),
        (follow_up, ["nguyen"], [], time(9), time(15), ""),
    ]
    added = 0
    for kind, who, days, earliest, latest, note in wishes:
        if kind is None:
            continue
        patient = Patient.objects.get(pk=rng.choice(patients))
        waitlist_add(
            actor=actor,
            data=WaitlistInput(
                patient=patient, appointment_type=kind, wait_until=today + timedelta(days=rng.randint(14, 60)),
                providers=[providers[u] for u in who if u in providers], weekdays=days, earliest_time=earliest,
                latest_time=latest, note=note,
            ),
            today=today,
        )  # fmt: skip
        added += 1
    return added
