"""Slot search ("next available") and the availability check the booking service calls.

Reads only. A search makes a fixed number of queries whatever the number of providers, days
or appointments in the database: the setup rows (providers, locations with hours and rooms,
template versions with blocks, exceptions, holiday overrides) once, as flat rows (no
prefetch_related: it clones a queryset per instance), then the appointments of one search
window per phase, as (provider, room, start, end) tuples only. Phases count open days (days on
which some searched location has opening hours and no holiday): the first open day, the next
five, then the rest of the range; a search stops at the first phase whose `limit` earliest
slots all start before the next phase could, so "next available" reads one day of
appointments and a search that starts on a Saturday reads Monday. At most three phases run.
Within a phase, once `limit` slots are known no later candidate is tried. Appointment reads
are bounded by the (provider, block_start), (room, block_start) and (patient, starts_at)
indexes: a block that overlaps a window starts before the window ends and, being at most
MAX_BLOCK long, no earlier than MAX_BLOCK before the window starts.

`availability_problem` (called by every booking) reads only what one provider at one location
needs around one day: a handful of small indexed queries, no slot search unless it explains
a refusal.

Candidate visit starts lie on a grid of local wall-clock minutes (default every 15 minutes:
:00, :15, :30, :45), plus the start of each free stretch and the end of each of the provider's
booked blocks, so a 20-minute visit can follow another without a 10-minute hole.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, Q

from clinicdesk.core import clock
from clinicdesk.core.datetimes import date_text, weekday_datetime_text
from clinicdesk.patients.models import Patient

from .availability import (
    OpenInterval,
    Span,
    VersionSpec,
    day_bounds,
    day_text,
    local_to_utc,
    location_holidays,
    open_intervals,
)
from .clock import clock_text
from .models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentType,
    ExceptionKind,
    HolidayOverride,
    Location,
    OpeningHours,
    PatientKind,
    Provider,
    Room,
    Weekday,
)
from .setup import MAX_BUFFER_MINUTES, MAX_DURATION_MINUTES
from .setup_snapshot import ExceptionRow, SetupSnapshot, current_setup, exceptions_in, versions_of

MAX_BLOCK = timedelta(minutes=MAX_DURATION_MINUTES + 2 * MAX_BUFFER_MINUTES)
MAX_RANGE_DAYS = 366
MAX_LIMIT = 200
DEFAULT_GRID_MINUTES = 15
GRID_CHOICES = (5, 10, 15, 20, 30, 60)
PHASE_DAYS = (1, 5)  # open days (see _phase_end); then the rest of the range
NEXT_OPENING_DAYS = 60


@dataclass(frozen=True)
class Slot:
    provider: Provider
    location: Location
    starts_at: datetime  # the visit, UTC
    ends_at: datetime
    room: Room | None  # a free room to suggest; None for telehealth

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.location.time_zone))

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(ZoneInfo(self.location.time_zone))


@dataclass(frozen=True)
class SlotDay:
    day: date  # the location's local date
    slots: list[Slot]


@dataclass
class SlotResult:
    days: list[SlotDay]
    count: int
    start_date: date
    end_date: date
    notes: list[str] = field(default_factory=list)  # e.g. chosen providers who do not take the type


# --- Loading (a fixed number of queries) ------------------------------------------------------


@dataclass
class _Context:
    kind: AppointmentType
    providers: list[Provider]
    locations: dict[int, Location]
    hours: dict[int, dict[int, tuple[Any, Any]]]  # location -> weekday -> (opens, closes)
    rooms: dict[int, list[Room]]  # location -> active rooms, by name
    type_room_ids: frozenset[int]
    versions: dict[tuple[int, int], list[VersionSpec]]  # (provider, location) -> versions
    exceptions: list[ExceptionRow]
    overrides: dict[int, set[date]]
    provider_locations: dict[int, list[int]] = field(default_factory=dict)  # provider -> location ids

    def pairs(self) -> list[tuple[Provider, Location]]:
        chosen = []
        for provider in self.providers:
            mine = [self.locations[pk] for pk in self.provider_locations.get(provider.pk, []) if pk in self.locations]
            for location in sorted(mine, key=lambda loc: loc.name):
                chosen.append((provider, location))
        return chosen

    def closed_days(self, location: Location, start: date, end: date) -> set[date]:
        return set(location_holidays(location, start, end)) - self.overrides.get(location.pk, set())

    def intervals(self, provider: Provider, location: Location, start: date, end: date) -> list[OpenInterval]:
        extras, closures = [], []
        for e in self.exceptions:
            span = Span(e.starts_at, e.ends_at, e.reason)
            if e.kind == ExceptionKind.EXTRA:
                if e.provider_id == provider.pk and e.location_id == location.pk:
                    extras.append(span)
            elif (e.provider_id == provider.pk and e.location_id in (None, location.pk)) or (
                e.provider_id is None and e.location_id == location.pk
            ):
                closures.append(span)
        return open_intervals(
            tz=ZoneInfo(location.time_zone),
            start_date=start,
            end_date=end,
            versions=self.versions.get((provider.pk, location.pk), []),
            opening_hours=self.hours.get(location.pk, {}),
            closed_days=self.closed_days(location, start, end),
            extras=extras,
            closures=closures,
        )

    def room_candidates(self, location: Location, interval: OpenInterval) -> list[Room] | None:
        """Rooms a visit of the type may use in `interval`; None when the type takes no room."""
        if self.kind.telehealth:
            return None
        return [
            room
            for room in self.rooms.get(location.pk, [])
            if (not self.type_room_ids or room.pk in self.type_room_ids)
            and (not interval.room_ids or room.pk in interval.room_ids)
        ]


def _overrides(location_ids: Sequence[int], start_date: date, end_date: date) -> dict[int, set[date]]:
    overrides: dict[int, set[date]] = defaultdict(set)
    for location_id, day in HolidayOverride.objects.filter(
        location__in=location_ids, day__gte=start_date, day__lte=end_date
    ).values_list("location_id", "day"):
        overrides[location_id].add(day)
    return dict(overrides)


def _hours(location_ids: Sequence[int]) -> dict[int, dict[int, tuple[Any, Any]]]:
    hours: dict[int, dict[int, tuple[Any, Any]]] = {pk: {} for pk in location_ids}
    for location_id, weekday, opens, closes in OpeningHours.objects.filter(location__in=location_ids).values_list(
        "location_id", "weekday", "opens", "closes"
    ):
        hours[location_id][weekday] = (opens, closes)
    return hours


def _active_rooms(locations: dict[int, Location]) -> dict[int, list[Room]]:
    rooms: dict[int, list[Room]] = {pk: [] for pk in locations}
    for room in Room.objects.filter(location__in=list(locations), active=True).order_by("name", "pk"):
        room.location = locations[room.location_id]  # str(room) needs it; no query per room
        rooms[room.location_id].append(room)
    return rooms


def _load(
    *,
    kind: AppointmentType,
    providers: Sequence[Provider] | None,
    locations: Sequence[Location] | None,
    start_date: date,
    end_date: date,
) -> _Context:
    chosen = Provider.objects.filter(appointment_types=kind, active=True, user__is_active=True)
    if providers is not None:
        chosen = chosen.filter(pk__in=[p.pk for p in providers])
    provider_list = list(chosen.select_related("user").order_by("user__display_name", "user__username"))
    provider_ids = [p.pk for p in provider_list]
    provider_locations: dict[int, list[int]] = defaultdict(list)
    for provider_id, location_id in Provider.locations.through.objects.filter(provider_id__in=provider_ids).values_list(
        "provider_id", "location_id"
    ):
        provider_locations[provider_id].append(location_id)
    location_ids = {pk for pks in provider_locations.values() for pk in pks}
    if locations is not None:
        location_ids &= {loc.pk for loc in locations}
    location_map: dict[int, Location] = {
        loc.pk: loc for loc in Location.objects.filter(pk__in=location_ids, active=True).order_by("name")
    }
    chosen_locations = list(location_map)
    blocks = Q(
        template__provider__in=provider_ids, template__location__in=chosen_locations, template__valid_from__lte=end_date
    ) & (Q(template__valid_until__isnull=True) | Q(template__valid_until__gte=start_date))
    exceptions = exceptions_in(
        Q(provider__in=provider_ids) | Q(provider__isnull=True, location__in=chosen_locations), start_date, end_date
    )
    return _Context(
        kind=kind,
        providers=provider_list,
        locations=location_map,
        hours=_hours(chosen_locations),
        rooms=_active_rooms(location_map),
        type_room_ids=frozenset(kind.rooms.values_list("pk", flat=True)),
        versions=versions_of(blocks),
        exceptions=exceptions,
        overrides=_overrides(chosen_locations, start_date, end_date),
        provider_locations=dict(provider_locations),
    )


def _provider_flags(kind: AppointmentType, provider: Provider, location: Location) -> tuple[bool, bool]:
    """(does `provider` take `kind`?, do they work at `location`?) in one query."""
    takes = AppointmentType.providers.through.objects.filter(appointmenttype_id=kind.pk, provider_id=provider.pk)
    works = Provider.locations.through.objects.filter(provider_id=provider.pk, location_id=location.pk)
    row = (
        Provider.objects.filter(pk=provider.pk)
        .annotate(takes=Exists(takes), works=Exists(works))
        .values_list("takes", "works")
        .first()
    )
    return (bool(row[0]), bool(row[1])) if row else (False, False)


def _load_one(
    kind: AppointmentType,
    provider: Provider,
    location: Location,
    day: date,
    type_room_ids: frozenset[int],
    *,
    rooms: bool,
) -> _Context:
    """The setup `availability_problem` needs for one provider at one location around local `day`.

    Days day-1..day+1 (a block in UTC may reach into the neighbours). Three small indexed
    queries: opening hours, the template blocks of those weekdays with their rooms and
    types (one joined query), the exceptions; holiday overrides only when one of the days is a holiday, the
    location's active rooms only when `rooms` (a booking without a room needs a free one).
    """
    start, end = day - timedelta(days=1), day + timedelta(days=1)
    weekdays = sorted({(start + timedelta(days=n)).weekday() for n in range(3)})
    blocks = Q(
        template__provider=provider.pk,
        template__location=location.pk,
        template__valid_from__lte=end,
        weekday__in=weekdays,
    ) & (Q(template__valid_until__isnull=True) | Q(template__valid_until__gte=start))
    scope = Q(provider=provider.pk, location__isnull=True) | Q(location=location.pk) & (
        Q(provider=provider.pk) | Q(provider__isnull=True)
    )
    overrides = _overrides([location.pk], start, end) if location_holidays(location, start, end) else {}
    return _Context(
        kind=kind,
        providers=[provider],
        locations={location.pk: location},
        hours=_hours([location.pk]),
        rooms=_active_rooms({location.pk: location}) if rooms else {},
        type_room_ids=type_room_ids,
        versions=versions_of(blocks, joined=True),
        exceptions=exceptions_in(scope, start, end),
        overrides=overrides,
        provider_locations={provider.pk: [location.pk]},
    )


class _Busy:
    """Sorted half-open [start, end) intervals with a fast "is [s, e) free?"."""

    def __init__(self, spans: Sequence[tuple[datetime, datetime]]) -> None:
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def free(self, start: datetime, end: datetime) -> bool:
        # Only spans starting in (start - MAX_BLOCK, end) can overlap: bookings are at most MAX_BLOCK long.
        low = bisect.bisect_right(self.starts, start - MAX_BLOCK)
        high = bisect.bisect_left(self.starts, end)
        return all(not (s < end and start < e) for s, e in self.spans[low:high])

    def ends(self) -> list[datetime]:
        return [e for _, e in self.spans]


def _holding(queryset):
    return queryset.filter(status__in=HOLDING_STATUSES)


def _appointments_in(
    ctx: _Context, window_start: datetime, window_end: datetime, patient: Patient | None
) -> tuple[dict[int, _Busy], dict[int, _Busy], _Busy]:
    """Three queries: the providers', the rooms' and the patient's blocks overlapping the window."""
    overlaps = Q(block_start__lt=window_end, block_start__gte=window_start - MAX_BLOCK, block_end__gt=window_start)
    provider_ids = [p.pk for p in ctx.providers]
    room_ids = [room.pk for rooms in ctx.rooms.values() for room in rooms]
    rooms_wanted = set(room_ids) if not ctx.kind.telehealth else set()
    by_provider: dict[int, list] = defaultdict(list)
    by_room: dict[int, list] = defaultdict(list)
    rows = _holding(Appointment.objects.filter(overlaps, provider__in=provider_ids, overbooked=False)).order_by()
    for provider_id, room_id, start, end in rows.values_list("provider_id", "room_id", "block_start", "block_end"):
        by_provider[provider_id].append((start, end))
        if room_id in rooms_wanted:
            by_room[room_id].append((start, end))
    if rooms_wanted:
        # The searched providers' own bookings of these rooms came with the first query.
        rows = _holding(
            Appointment.objects.filter(overlaps, room__in=room_ids, overbooked=False).exclude(provider__in=provider_ids)
        ).order_by()
        for room_id, start, end in rows.values_list("room_id", "block_start", "block_end"):
            by_room[room_id].append((start, end))
    mine: list = []
    if patient is not None:
        # The patient index is on starts_at: a block overlapping the window has its visit start
        # at most MAX_BLOCK before the window and at most the largest buffer after its end.
        rows = _holding(
            Appointment.objects.filter(
                patient=patient,
                starts_at__gte=window_start - MAX_BLOCK,
                starts_at__lt=window_end + timedelta(minutes=MAX_BUFFER_MINUTES),
                block_start__lt=window_end,
                block_end__gt=window_start,
            )
        )
        mine = list(rows.order_by().values_list("block_start", "block_end"))
    return (
        {pid: _Busy(spans) for pid, spans in by_provider.items()},
        {rid: _Busy(spans) for rid, spans in by_room.items()},
        _Busy(mine),
    )


# --- Search ---------------------------------------------------------------------------------


def _aligned(moment: datetime, tz: ZoneInfo, grid: int) -> datetime:
    """The first instant at or after `moment` whose local wall time is on the grid."""
    local = moment.astimezone(tz)
    minutes = local.hour * 60 + local.minute
    extra = (-minutes) % grid
    if extra == 0 and local.second == 0 and local.microsecond == 0:
        return moment
    if extra == 0:
        extra = grid
    return (moment - timedelta(seconds=local.second, microseconds=local.microsecond)) + timedelta(minutes=extra)


def _candidates(
    interval: OpenInterval,
    kind: AppointmentType,
    tz: ZoneInfo,
    grid: int,
    busy_ends: list[datetime],
    cutoff: datetime | None = None,
):
    """Visit starts to try in `interval`, sorted; none after `cutoff`."""
    before = timedelta(minutes=kind.buffer_before_minutes)
    total = timedelta(minutes=kind.blocked_minutes)
    first = interval.start + before
    last = interval.end - total + before
    if cutoff is not None and cutoff < last:
        last = cutoff
    if last < first:
        return []
    found = {first}
    moment = _aligned(first, tz, grid)
    while moment <= last:
        found.add(moment)
        moment = _aligned(moment + timedelta(minutes=grid), tz, grid)
    for end in busy_ends:
        if first <= end + before <= last:
            found.add(end + before)
    return sorted(found)


def _pair_slots(
    ctx: _Context,
    provider: Provider,
    location: Location,
    days: tuple[date, date],
    busy: tuple[dict[int, _Busy], dict[int, _Busy], _Busy],
    now: datetime,
    grid: int,
    limit: int,
    cutoff: datetime | None = None,
) -> list[Slot]:
    """The pair's first `limit` free slots in `days`; none starting after `cutoff`.

    `cutoff` is the start of the `limit`-th earliest slot already found elsewhere: a later
    slot cannot make the answer, so its candidates are never tried.
    """
    kind = ctx.kind
    tz = ZoneInfo(location.time_zone)
    provider_busy = busy[0].get(provider.pk, _Busy([]))
    room_busy, patient_busy = busy[1], busy[2]
    before = timedelta(minutes=kind.buffer_before_minutes)
    duration = timedelta(minutes=kind.duration_minutes)
    total = timedelta(minutes=kind.blocked_minutes)
    found: list[Slot] = []
    seen: set[datetime] = set()
    for interval in ctx.intervals(provider, location, days[0], days[1]):
        if len(found) >= limit:
            found.sort(key=lambda s: s.starts_at)
            if interval.start >= found[limit - 1].starts_at:
                break
        if cutoff is not None and interval.start + before > cutoff:
            break
        if not interval.allows_type(kind.pk):
            continue
        rooms = ctx.room_candidates(location, interval)
        if rooms is not None and not rooms:
            continue
        # Besides the grid, try the moments the provider, the patient or a room becomes free.
        ends = provider_busy.ends() + patient_busy.ends()
        for room in rooms or ():
            ends += room_busy[room.pk].ends() if room.pk in room_busy else []
        for start in _candidates(interval, kind, tz, grid, ends, cutoff):
            block_start, block_end = start - before, start - before + total
            if cutoff is not None and start > cutoff:
                break
            if start < now or start in seen:
                continue
            if not provider_busy.free(block_start, block_end) or not patient_busy.free(block_start, block_end):
                continue
            free_room: Room | None = None
            if rooms is not None:
                free_room = next(
                    (r for r in rooms if room_busy.get(r.pk, _Busy([])).free(block_start, block_end)), None
                )
                if free_room is None:
                    continue
            seen.add(start)
            found.append(Slot(provider, location, start, start + duration, free_room))
    found.sort(key=lambda s: s.starts_at)
    return found[:limit] if len(found) > limit else found


def _phase_end(ctx: _Context, phase_start: date, end_date: date, open_days: int, closed: dict[int, set[date]]) -> date:
    """The last day of a phase that starts on `phase_start` and holds `open_days` open days.

    A day is open when some searched location has opening hours that weekday and is not
    closed for a holiday; on other days nobody has availability (extra hours included), so
    they cost nothing and do not count: a search starting on a Saturday reads Monday too.
    """
    day, seen = phase_start, 0
    while day < end_date:
        if any(day.weekday() in ctx.hours.get(pk, {}) and day not in closed[pk] for pk in ctx.locations):
            seen += 1
            if seen >= open_days:
                return day
        day += timedelta(days=1)
    return end_date


def _check_input(kind: AppointmentType, start_date: date, end_date: date, limit: int, grid: int) -> None:
    errors: dict[str, list[str]] = {}
    if end_date < start_date:
        errors["end_date"] = ["The last day must be on or after the first day."]
    elif (end_date - start_date).days + 1 > MAX_RANGE_DAYS:
        errors["end_date"] = [f"Search at most {MAX_RANGE_DAYS} days at a time; choose an earlier last day."]
    if not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = [f"Ask for 1 to {MAX_LIMIT} slots."]
    if grid not in GRID_CHOICES:
        errors["grid_minutes"] = [f"Use a grid of {', '.join(map(str, GRID_CHOICES))} minutes."]
    if not kind.active:
        errors["appointment_type"] = [f"{kind.name} is inactive and cannot be booked."]
    if errors:
        raise ValidationError(errors)


def slot_search(
    *,
    appointment_type: AppointmentType,
    providers: Sequence[Provider] | None = None,
    locations: Sequence[Location] | None = None,
    start_date: date,
    end_date: date,
    patient: Patient | None = None,
    limit: int = 10,
    now: datetime | None = None,
    grid_minutes: int = DEFAULT_GRID_MINUTES,
) -> SlotResult:
    """The first `limit` free slots for `appointment_type`, earliest first, grouped by local day.

    `providers` None means everyone who takes the type; `locations` None means everywhere they
    work. Dates are local dates of each location. A slot needs the type's whole block (buffer
    before + visit + buffer after) inside the provider's availability, free of the provider's
    and (unless telehealth) a suitable room's holding, non-overbooked appointments, and of the
    patient's own holding appointments; it starts no earlier than `now`. With a patient, a
    new-patient type is refused for an established patient and the other way round. Raises
    ValidationError by field for impossible input.
    """
    now = now or clock.now()
    _check_input(appointment_type, start_date, end_date, limit, grid_minutes)
    if patient is not None:
        # New or established is judged at the start of the range; a booking checks its own time again.
        first = max(now, datetime.combine(start_date, datetime.min.time(), tzinfo=ZoneInfo(settings.TIME_ZONE)))
        problem = patient_kind_problem(appointment_type, patient, first, settings.TIME_ZONE)
        if problem:
            raise ValidationError({"appointment_type": [problem]})
    ctx = _load(
        kind=appointment_type, providers=providers, locations=locations, start_date=start_date, end_date=end_date
    )
    notes: list[str] = []
    if providers is not None:
        taking = {p.pk for p in ctx.providers}
        skipped = [str(p) for p in providers if p.pk not in taking]
        if not ctx.providers:
            raise ValidationError(
                {"providers": [f"None of the chosen providers takes {appointment_type.name}; choose others."]}
            )
        if skipped:
            notes.append(f"Not searched (they do not take {appointment_type.name}): {', '.join(skipped)}.")
    pairs = ctx.pairs()
    if not ctx.providers:
        raise ValidationError({"appointment_type": [f"No active provider takes {appointment_type.name}."]})
    if not pairs:
        raise ValidationError(
            {"locations": [f"None of the chosen locations has a provider who takes {appointment_type.name}."]}
        )
    zones = [ZoneInfo(loc.time_zone) for loc in ctx.locations.values()]
    found: list[Slot] = []
    closed = {pk: ctx.closed_days(location, start_date, end_date) for pk, location in ctx.locations.items()}
    phase_start = start_date
    lengths = [*PHASE_DAYS, MAX_RANGE_DAYS]
    for length in lengths:
        if phase_start > end_date:
            break
        phase_end = _phase_end(ctx, phase_start, end_date, length, closed)
        window_start = max(now, min(day_bounds(phase_start, tz)[0] for tz in zones))
        window_end = max(day_bounds(phase_end, tz)[1] for tz in zones)
        if window_end > window_start:
            busy = _appointments_in(ctx, window_start, window_end, patient)
            starts = sorted(slot.starts_at for slot in found)
            for provider, location in pairs:
                cutoff = starts[limit - 1] if len(starts) >= limit else None
                more = _pair_slots(
                    ctx, provider, location, (phase_start, phase_end), busy, now, grid_minutes, limit, cutoff
                )
                if more:
                    found += more
                    starts = sorted(starts + [slot.starts_at for slot in more])[:limit]
        found.sort(key=lambda s: (s.starts_at, str(s.provider), s.location.name))
        phase_start = phase_end + timedelta(days=1)
        # Stop once `limit` slots start before anything the next phase could offer.
        if len(found) >= limit and (
            phase_start > end_date or found[limit - 1].starts_at < min(day_bounds(phase_start, tz)[0] for tz in zones)
        ):
            break
    found = found[:limit]
    grouped: dict[date, list[Slot]] = defaultdict(list)
    for slot in found:
        grouped[slot.local_start.date()].append(slot)
    days = [SlotDay(day, grouped[day]) for day in sorted(grouped)]
    return SlotResult(days=days, count=len(found), start_date=start_date, end_date=end_date, notes=notes)


# --- New or established patient ----------------------------------------------------------------

# A patient seen by the practice within this many years is established (the usual billing rule).
ESTABLISHED_YEARS = 3
_SEEN = ("checked_out", "completed")


def patient_kind_problem(kind: AppointmentType, patient: Patient, at: datetime, time_zone: str) -> str | None:
    """Why `patient` may not have a `kind` visit at `at` (new-patient types only for patients
    not seen in three years, established ones only for the others); None if they may.

    One query on the (patient, starts_at) index, none for types open to any patient.
    """
    if kind.patient_kind == PatientKind.ANY:
        return None
    last = (
        Appointment.objects.filter(
            patient=patient,
            status__in=_SEEN,
            starts_at__lt=at,
            starts_at__gte=at - timedelta(days=365 * ESTABLISHED_YEARS),
        )
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    if kind.patient_kind == PatientKind.NEW and last is not None:
        return (
            f"{kind} is for new patients, and this patient was seen on "
            f"{date_text(last, time_zone)}. Book an established-patient visit."
        )
    if kind.patient_kind == PatientKind.ESTABLISHED and last is None:
        return (
            f"{kind} is for established patients, and this patient has no visit in the last "
            f"{ESTABLISHED_YEARS} years. Book a new-patient visit."
        )
    return None


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
    ctx: _Context | None = None  # local day-1..day+1 for this provider at this location


def _from_database(kind, provider, location, room, day: date) -> _OneBooking:
    takes, works = _provider_flags(kind, provider, location)
    type_rooms = [] if kind.telehealth else list(kind.rooms.all())
    one = _OneBooking(kind, provider, location, room, takes, works, type_rooms)
    if takes and works:
        allowed = frozenset(r.pk for r in type_rooms)
        one.ctx = _load_one(kind, provider, location, day, allowed, rooms=room is None and not kind.telehealth)
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
    ctx = _Context(
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
        pool = _active_rooms({location.pk: location})[location.pk]  # only for this message
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
    return _holding(
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
