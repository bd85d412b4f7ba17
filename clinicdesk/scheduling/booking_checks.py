"""Checks of one proposed booking: is the time open for this provider, room and visit type, is the
patient new or established as the type requires, and how many overbooked visits the day holds.

The booking, moving and waitlist services call these under the booking locks; the slot search
(slots.py) offers only times that pass the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError

from clinicdesk.core import clock
from clinicdesk.core.datetimes import weekday_datetime_text
from clinicdesk.patients.models import Patient

from .availability import (
    day_bounds,
    day_text,
    local_to_utc,
    location_holidays,
)
from .clock import clock_text
from .models import (
    Appointment,
    AppointmentType,
    ExceptionKind,
    Location,
    Provider,
    Room,
    Weekday,
)
from .setup_snapshot import SetupSnapshot, current_setup
from .slots import (
    MAX_BLOCK,
    NEXT_OPENING_DAYS,
    SearchContext,
    active_rooms,
    holding,
    load_one,
    provider_flags,
    slot_search,
)

# --- One proposed booking ----------------------------------------------------------------------


def _clock(moment: datetime) -> str:
    return clock_text(moment)


def _when(moment: datetime) -> str:
    return weekday_datetime_text(moment, moment.tzinfo)


@dataclass
class _OneBooking:
    """What availability_problem knows of the records named in one booking, fresh."""

    kind: AppointmentType
    provider: Provider
    location: Location
    room: Room | None
    takes: bool  # the provider takes the type
    works: bool  # the provider works at the location
    type_rooms: list[Room]  # the rooms the type is limited to (none: any)
    ctx: SearchContext | None = None  # local day-1..day+1 for this provider at this location


def _from_database(kind, provider, location, room, day: date) -> _OneBooking:
    takes, works = provider_flags(kind, provider, location)
    type_rooms = [] if kind.telehealth else list(kind.rooms.all())
    one = _OneBooking(kind, provider, location, room, takes, works, type_rooms)
    if takes and works:
        allowed = frozenset(r.pk for r in type_rooms)
        one.ctx = load_one(kind, provider, location, day, allowed, rooms=room is None and not kind.telehealth)
    return one


def _from_snapshot(setup: SetupSnapshot, kind, provider, location, room, day: date) -> _OneBooking | None:
    """The same facts from the setup snapshot, with no query; None when it does not cover `day`."""
    fresh = (
        setup.types.get(kind.pk),
        setup.providers.get(provider.pk),
        setup.locations.get(location.pk),
        setup.rooms.get(room.pk) if room is not None else None,
    )
    if not setup.covers(day - timedelta(days=1)) or None in fresh[:3] or (room is not None and fresh[3] is None):
        return None
    kind, provider, location, room = fresh  # type: ignore[assignment]  # the snapshot answers Model rows typed loosely; each is the model named
    takes = provider.pk in setup.type_providers.get(kind.pk, ())
    works = location.pk in setup.provider_locations.get(provider.pk, ())
    allowed = frozenset() if kind.telehealth else setup.type_rooms.get(kind.pk, frozenset())
    type_rooms = sorted((setup.rooms[pk] for pk in allowed), key=lambda r: (r.name, r.pk))
    start, end = day - timedelta(days=1), day + timedelta(days=1)
    ctx = SearchContext(
        kind=kind,
        providers=[provider],
        locations={location.pk: location},
        hours={location.pk: setup.hours.get(location.pk, {})},
        rooms={location.pk: setup.location_rooms.get(location.pk, [])},
        type_room_ids=allowed,
        versions={(provider.pk, location.pk): setup.versions.get((provider.pk, location.pk), [])},
        exceptions=setup.exceptions_for(provider.pk, location.pk, start, end),
        overrides={location.pk: set(setup.overrides.get(location.pk, ()))},
        provider_locations={provider.pk: [location.pk]},
    )
    return _OneBooking(kind, provider, location, room, takes, works, type_rooms, ctx)


def availability_problem(
    *,
    appointment_type: AppointmentType,
    provider: Provider,
    location: Location,
    room: Room | None,
    starts_at: datetime,
    patient: Patient | None = None,
    now: datetime | None = None,
    setup: SetupSnapshot | None = None,
) -> str | None:
    """Why this booking does not fit the schedule, in words for the front desk; None if it fits.

    Checks everything but overlaps with other appointments (the booking service checks those
    under its lock): the past, inactive records, who takes the type and works where, the room
    (telehealth takes none; otherwise an active room of the location, allowed by the type and
    by the block's room pool), public holidays, opening hours, the template and exceptions,
    with the buffers included. `patient` is accepted for symmetry with the booking call.

    The setup comes from `setup` or the process's setup snapshot (one query while current), or from
    a few small queries for a day before the snapshot's horizon. The records' own state
    (active or not) is read fresh either way, not taken from the caller's instances.
    """
    now = now or clock.now()
    if starts_at.tzinfo is None:
        return "Give the start time with its time zone."
    tz = ZoneInfo(location.time_zone)
    local = starts_at.astimezone(tz)
    if starts_at < now:
        return f"{_when(local)} is in the past; choose a later time."
    day = local.date()
    setup = setup or current_setup()
    one = (setup and _from_snapshot(setup, appointment_type, provider, location, room, day)) or _from_database(
        appointment_type, provider, location, room, day
    )
    kind, provider, location, room = one.kind, one.provider, one.location, one.room
    if not kind.active:
        return f"{kind.name} is inactive and cannot be booked."
    if not provider.active or not provider.user.is_active:
        return f"{provider} is inactive and cannot be booked."
    if not location.active:
        return f"{location.name} is inactive and cannot be booked."
    if not one.takes:
        return f"{provider} does not take {kind.name}; choose a provider who does."
    if not one.works:
        return f"{provider} does not work at {location.name}."
    if kind.telehealth and room is not None:
        return f"{kind.name} is a telehealth visit and takes no room; leave the room empty."
    allowed = frozenset(r.pk for r in one.type_rooms)
    if not kind.telehealth:
        # No room is allowed: it may be chosen at rooming; then a suitable one must exist (below).
        if room is not None and room.location_id != location.pk:
            return f"{room} is not at {location.name}."
        if room is not None and not room.active:
            return f"{room.name} is inactive; choose another room."
        if room is not None and allowed and room.pk not in allowed:
            return f"{kind.name} cannot be done in {room.name}; it needs {', '.join(r.name for r in one.type_rooms)}."
    assert one.ctx is not None  # noqa: S101 - built whenever the provider takes the type and works here
    ctx = one.ctx
    before = timedelta(minutes=kind.buffer_before_minutes)
    block_start, block_end = starts_at - before, starts_at - before + timedelta(minutes=kind.blocked_minutes)
    holiday = location_holidays(location, day, day).get(day)
    if holiday and day not in ctx.overrides.get(location.pk, set()):
        return f"{day_text(day)} is a public holiday ({holiday}) at {location.name}; it is closed unless opened anyway in availability."
    hours = ctx.hours.get(location.pk, {}).get(day.weekday())
    weekday = Weekday(day.weekday()).label
    if hours is None:
        return f"{location.name} is closed on {weekday}s.{_next_opening(kind, provider, location, day, now)}"
    intervals = ctx.intervals(provider, location, day - timedelta(days=1), day + timedelta(days=1))
    fitting = [i for i in intervals if i.contains(block_start, block_end)]
    for interval in fitting:
        if not interval.allows_type(kind.pk):
            continue
        if room is not None and interval.room_ids and room.pk not in interval.room_ids:
            continue
        if room is None and ctx.room_candidates(location, interval) == []:
            continue
        return None
    if fitting:
        interval = fitting[0]
        if not interval.allows_type(kind.pk):
            return f"{provider}'s hours at {location.name} then are kept for other appointment types than {kind.name}."
        if room is None:
            return f"No active room at {location.name} suits {kind.name} then; add or activate a room."
        pool = active_rooms({location.pk: location})[location.pk]  # only for this message
        names = ", ".join(r.name for r in pool if r.pk in interval.room_ids)
        return f"{provider} uses {names or 'other rooms'} then, not {room.name if room else 'this room'}; choose one of those."
    for e in ctx.exceptions:
        if e.kind != ExceptionKind.EXTRA and e.starts_at < block_end and e.ends_at > block_start:
            if e.provider_id is None and e.location_id == location.pk:
                return f"{location.name} is closed then: {e.reason}."
            if e.provider_id == provider.pk and e.location_id in (None, location.pk):
                what = "on vacation" if e.kind == ExceptionKind.VACATION else "blocked"
                return f"That time is {what} for {provider}: {e.reason}.{_next_opening(kind, provider, location, day, now)}"
    opens = local_to_utc(day, hours[0], tz).astimezone(tz)
    closes = local_to_utc(day, hours[1], tz, end=True).astimezone(tz)
    if block_start.astimezone(tz) < opens or block_end.astimezone(tz) > closes:
        return (
            f"{location.name} is open {_clock(opens)}–{_clock(closes)} on {weekday}s; the visit with its buffers "
            f"({_clock(block_start.astimezone(tz))}–{_clock(block_end.astimezone(tz))}) does not fit."
        )
    same_day = [i for i in intervals if i.start.astimezone(tz).date() == day]
    if not same_day:
        return f"{provider} is not working at {location.name} on {weekday}s.{_next_opening(kind, provider, location, day, now)}"
    for interval in same_day:
        if interval.start <= block_start < interval.end:
            return (
                f"The visit with its buffers ({_clock(block_start.astimezone(tz))}–{_clock(block_end.astimezone(tz))}) "
                f"runs past the end of {provider}'s hours at {_clock(interval.end.astimezone(tz))}."
            )
    spans = ", ".join(f"{_clock(i.start.astimezone(tz))}–{_clock(i.end.astimezone(tz))}" for i in same_day)
    return f"That is outside {provider}'s availability at {location.name} on {day_text(day)} ({spans})."


def _next_opening(kind: AppointmentType, provider: Provider, location: Location, day: date, now: datetime) -> str:
    try:
        result = slot_search(
            appointment_type=kind,
            providers=[provider],
            locations=[location],
            start_date=day,
            end_date=day + timedelta(days=NEXT_OPENING_DAYS),
            limit=1,
            now=now,
        )
    except ValidationError:
        return ""
    if not result.count:
        return f" No opening in the next {NEXT_OPENING_DAYS} days."
    return f" The next opening is {_when(result.days[0].slots[0].local_start)}."


def overbook_count(provider: Provider, appointment_type: AppointmentType, day: date, *, time_zone: str = "") -> int:
    """How many overbooked, time-holding appointments of this type `provider` has on local `day`.

    `time_zone` is the IANA zone of the day (the booking's location); blank means the
    practice's. The booking service compares it with `appointment_type.overbook_limit`.
    """
    tz = ZoneInfo(time_zone or settings.TIME_ZONE)
    start, end = day_bounds(day, tz)
    return holding(
        Appointment.objects.filter(
            provider=provider,
            appointment_type=appointment_type,
            overbooked=True,
            block_start__gte=start - MAX_BLOCK,
            block_start__lt=end,
            starts_at__gte=start,
            starts_at__lt=end,
        )
    ).count()
