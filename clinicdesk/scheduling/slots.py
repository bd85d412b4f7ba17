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
from clinicdesk.patients.models import Patient

from .availability import (
    OpenInterval,
    Span,
    VersionSpec,
    day_bounds,
    location_holidays,
    open_intervals,
)
from .models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentType,
    ExceptionKind,
    HolidayOverride,
    Location,
    OpeningHours,
    Provider,
    Room,
)
from .patient_kind import patient_kind_problem
from .setup import MAX_BUFFER_MINUTES, MAX_DURATION_MINUTES
from .setup_snapshot import ExceptionRow, exceptions_in, versions_of

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
class SearchContext:
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


def active_rooms(locations: dict[int, Location]) -> dict[int, list[Room]]:
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
) -> SearchContext:
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
    return SearchContext(
        kind=kind,
        providers=provider_list,
        locations=location_map,
        hours=_hours(chosen_locations),
        rooms=active_rooms(location_map),
        type_room_ids=frozenset(kind.rooms.values_list("pk", flat=True)),
        versions=versions_of(blocks),
        exceptions=exceptions,
        overrides=_overrides(chosen_locations, start_date, end_date),
        provider_locations=dict(provider_locations),
    )


def provider_flags(kind: AppointmentType, provider: Provider, location: Location) -> tuple[bool, bool]:
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


def load_one(
    kind: AppointmentType,
    provider: Provider,
    location: Location,
    day: date,
    type_room_ids: frozenset[int],
    *,
    rooms: bool,
) -> SearchContext:
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
    return SearchContext(
        kind=kind,
        providers=[provider],
        locations={location.pk: location},
        hours=_hours([location.pk]),
        rooms=active_rooms({location.pk: location}) if rooms else {},
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


def holding(queryset):
    return queryset.filter(status__in=HOLDING_STATUSES)


def _appointments_in(
    ctx: SearchContext, window_start: datetime, window_end: datetime, patient: Patient | None
) -> tuple[dict[int, _Busy], dict[int, _Busy], _Busy]:
    """Three queries: the providers', the rooms' and the patient's blocks overlapping the window."""
    overlaps = Q(block_start__lt=window_end, block_start__gte=window_start - MAX_BLOCK, block_end__gt=window_start)
    provider_ids = [p.pk for p in ctx.providers]
    room_ids = [room.pk for rooms in ctx.rooms.values() for room in rooms]
    rooms_wanted = set(room_ids) if not ctx.kind.telehealth else set()
    by_provider: dict[int, list] = defaultdict(list)
    by_room: dict[int, list] = defaultdict(list)
    rows = holding(Appointment.objects.filter(overlaps, provider__in=provider_ids, overbooked=False)).order_by()
    for provider_id, room_id, start, end in rows.values_list("provider_id", "room_id", "block_start", "block_end"):
        by_provider[provider_id].append((start, end))
        if room_id in rooms_wanted:
            by_room[room_id].append((start, end))
    if rooms_wanted:
        # The searched providers' own bookings of these rooms came with the first query.
        rows = holding(
            Appointment.objects.filter(overlaps, room__in=room_ids, overbooked=False).exclude(provider__in=provider_ids)
        ).order_by()
        for room_id, start, end in rows.values_list("room_id", "block_start", "block_end"):
            by_room[room_id].append((start, end))
    mine: list = []
    if patient is not None:
        # The patient index is on starts_at: a block overlapping the window has its visit start
        # at most MAX_BLOCK before the window and at most the largest buffer after its end.
        rows = holding(
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
    ctx: SearchContext,
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


def _phase_end(
    ctx: SearchContext, phase_start: date, end_date: date, open_days: int, closed: dict[int, set[date]]
) -> date:
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
