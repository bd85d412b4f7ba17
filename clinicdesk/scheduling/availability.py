"""Provider availability: weekly template versions, exceptions and public holidays.

Two halves. The first is pure (no database): `open_intervals` turns already-loaded template
versions, exceptions, opening hours and closed days into a provider's bookable UTC intervals
at one location, so it can be unit- and property-tested on its own. The second is the
services the office manager's pages and the API call to change availability; each validates
first, raises ValidationError keyed by field name, and writes one audit event in the same
transaction as the change.

Local wall time and DST. Templates and opening hours are wall-clock times of the location's
time zone; a block covers the instants whose clock reads between its start and end:
 * a start or end that does not exist (02:30 on the spring-forward day) is the moment the
   clock jumps (03:00 daylight time), so the block simply loses the skipped part;
 * an ambiguous start (01:30 on the fall-back day) is its first occurrence and an ambiguous
   end its last, so the block lasts as long as the clock says it does.
A 09:00 block is therefore 09:00 local on both sides of a change (13:00 or 14:00 UTC).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.lookups import get_or_404

from .clock import clock_text
from .models import (
    AppointmentType,
    AvailabilityException,
    AvailabilityTemplate,
    ExceptionKind,
    HolidayOverride,
    Location,
    Provider,
    Room,
    TemplateBlock,
    Weekday,
)

Errors = dict[str, list[str]]
MAX_EXCEPTION_DAYS = 366
MAX_REASON = 200

# ---------------------------------------------------------------------------------------------
# Pure core: no database below this line until the services.


@dataclass(frozen=True)
class BlockSpec:
    """A template block as plain data: weekday (Monday 0), local start and end, and its limits."""

    weekday: int
    starts: time
    ends: time
    room_ids: frozenset[int] = frozenset()  # empty: any room the appointment type allows
    type_ids: frozenset[int] = frozenset()  # empty: any type the provider takes


@dataclass(frozen=True)
class VersionSpec:
    valid_from: date
    valid_until: date | None
    blocks: tuple[BlockSpec, ...]

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class Span:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True)
class OpenInterval:
    """A bookable UTC interval with the limits of the block it comes from."""

    start: datetime
    end: datetime
    room_ids: frozenset[int] = frozenset()
    type_ids: frozenset[int] = frozenset()

    def allows_type(self, type_id: int) -> bool:
        return not self.type_ids or type_id in self.type_ids

    def contains(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end


def _transition(tz: tzinfo, naive: datetime) -> datetime:
    """The UTC instant at which the clock jumps over `naive`, a wall time that does not exist."""
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)  # read with the offset after the jump
    high = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)  # read with the offset before it
    low, high = min(low, high), max(low, high)
    # Binary search to the second for the first instant whose wall time is past `naive`.
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) > naive:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def local_to_utc(day: date, clock: time, tz: tzinfo, *, end: bool = False) -> datetime:
    """The UTC instant of wall time `clock` on `day` in `tz` (see the module docstring for DST).

    A nonexistent time is the moment the clock jumps over it; an ambiguous time is its first
    occurrence for a start and its last for an end (`end=True`).
    """
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) != naive:
        return _transition(tz, naive)
    if first == second:
        return first
    return max(first, second) if end else min(first, second)


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC start and end of local `day` (23 or 25 hours long on DST change days)."""
    return local_to_utc(day, time(0), tz), local_to_utc(day + timedelta(days=1), time(0), tz)


def subtract(spans: Sequence[OpenInterval], cuts: Sequence[Span]) -> list[OpenInterval]:
    """`spans` minus every cut, keeping each piece's limits."""
    result = list(spans)
    for cut in cuts:
        pieces: list[OpenInterval] = []
        for span in result:
            if cut.end <= span.start or span.end <= cut.start:
                pieces.append(span)
                continue
            if span.start < cut.start:
                pieces.append(OpenInterval(span.start, cut.start, span.room_ids, span.type_ids))
            if cut.end < span.end:
                pieces.append(OpenInterval(cut.end, span.end, span.room_ids, span.type_ids))
        result = pieces
    return result


def merge(spans: Iterable[OpenInterval]) -> list[OpenInterval]:
    """Join overlapping or touching intervals that have the same limits; sorted by start."""
    merged: list[OpenInterval] = []
    for span in sorted(spans, key=lambda s: (sorted(s.room_ids), sorted(s.type_ids), s.start)):
        last = merged[-1] if merged else None
        same = last is not None and (last.room_ids, last.type_ids) == (span.room_ids, span.type_ids)
        if last is not None and same and span.start <= last.end:
            merged[-1] = OpenInterval(last.start, max(last.end, span.end), last.room_ids, last.type_ids)
        else:
            merged.append(span)
    return sorted(merged, key=lambda s: (s.start, s.end))


def open_intervals(
    *,
    tz: tzinfo,
    start_date: date,
    end_date: date,
    versions: Sequence[VersionSpec],
    opening_hours: Mapping[int, tuple[time, time]],
    closed_days: Collection[date] = (),
    extras: Sequence[Span] = (),
    closures: Sequence[Span] = (),
) -> list[OpenInterval]:
    """A provider's bookable UTC intervals at one location, for local days start_date..end_date.

    Per local day: the blocks of the template version valid that day, plus extra hours, cut
    to the location's opening hours of that weekday, minus closures (vacation, meetings,
    blocked time, whole-location closures). A closed day (a public holiday without an
    override) has nothing, extra hours included; so has a weekday without opening hours.
    Intervals with the same limits that touch are merged; ones with different limits (a
    block kept for one appointment type, extra hours that allow any) stay apart and may
    overlap. Sorted by start.
    """
    found: list[OpenInterval] = []
    day = start_date
    while day <= end_date:
        hours = opening_hours.get(day.weekday())
        if hours is not None and day not in closed_days:
            open_at = local_to_utc(day, hours[0], tz)
            close_at = local_to_utc(day, hours[1], tz, end=True)
            pieces = [
                OpenInterval(
                    local_to_utc(day, b.starts, tz), local_to_utc(day, b.ends, tz, end=True), b.room_ids, b.type_ids
                )
                for version in versions
                if version.covers(day)
                for b in version.blocks
                if b.weekday == day.weekday()
            ]
            pieces += [OpenInterval(e.start, e.end) for e in extras if e.start < close_at and e.end > open_at]
            clipped = [
                OpenInterval(max(p.start, open_at), min(p.end, close_at), p.room_ids, p.type_ids)
                for p in pieces
                if max(p.start, open_at) < min(p.end, close_at)
            ]
            found += subtract(clipped, [c for c in closures if c.start < close_at and c.end > open_at])
        day += timedelta(days=1)
    return merge(found)


# ---------------------------------------------------------------------------------------------
# Holidays


@functools.lru_cache(maxsize=256)
def _holiday_year(country: str, subdivision: str, year: int) -> dict[date, str]:
    try:
        calendar = holiday_calendars.country_holidays(country, subdiv=subdivision or None, years=year)
    except (NotImplementedError, KeyError, ValueError):
        return {}
    return dict(calendar.items())


def location_holidays(location: Location, start: date, end: date) -> dict[date, str]:
    """Public holidays (date -> name) of the location's calendar between two dates, inclusive."""
    found: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        for day, name in _holiday_year(location.holiday_country, location.holiday_subdivision, year).items():
            if start <= day <= end:
                found[day] = name
    return dict(sorted(found.items()))


def day_text(day: date) -> str:
    """ "07/03/2026": how staff read a date (core/datetimes.py)."""
    return date_text(day)


def location_zone(location: Location) -> ZoneInfo:
    return ZoneInfo(location.time_zone)


# ---------------------------------------------------------------------------------------------
# Services


@dataclass
class BlockInput:
    weekday: int
    starts: time
    ends: time
    rooms: Sequence[Room] = field(default_factory=list)
    appointment_types: Sequence[AppointmentType] = field(default_factory=list)


def _add(errors: Errors, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _hhmm(value: time) -> str:
    return clock_text(value)


def _blocks_clean(provider: Provider, location: Location, blocks: Sequence[BlockInput], errors: Errors) -> None:
    hours = {h.weekday: (h.opens, h.closes) for h in location.opening_hours.all()}
    taken = set(provider.appointment_types.values_list("pk", flat=True))
    by_day: dict[int, list[tuple[int, BlockInput]]] = {}
    for index, block in enumerate(blocks):
        key = f"blocks.{index}"
        if block.weekday not in Weekday.values:
            _add(errors, f"{key}.weekday", "A weekday is Monday (0) to Sunday (6).")
            continue
        label = Weekday(block.weekday).label
        if block.ends <= block.starts:
            _add(errors, f"{key}.ends", f"{label}: the end must be after the start.")
            continue
        span = hours.get(block.weekday)
        if span is None:
            _add(
                errors,
                f"{key}.weekday",
                f"{location.name} is closed on {label}s. Add opening hours for {label} to the location first.",
            )
        elif block.starts < span[0] or block.ends > span[1]:
            _add(
                errors,
                f"{key}.ends" if block.starts >= span[0] else f"{key}.starts",
                f"{label} {_hhmm(block.starts)}–{_hhmm(block.ends)} is outside {location.name}'s opening hours "
                f"({_hhmm(span[0])}–{_hhmm(span[1])}). Shorten the block or change the location's hours.",
            )
        for room in block.rooms:
            if room.location_id != location.pk:
                _add(errors, f"{key}.rooms", f"{room} is not at {location.name}.")
            elif not room.active:
                _add(errors, f"{key}.rooms", f"{room.name} is inactive; choose an active room.")
        for kind in block.appointment_types:
            if kind.pk not in taken:
                _add(
                    errors, f"{key}.appointment_types", f"{provider} does not take {kind.name} (see Appointment types)."
                )
        by_day.setdefault(block.weekday, []).append((index, block))
    for day_blocks in by_day.values():
        day_blocks.sort(key=lambda item: item[1].starts)
        for (_, before), (index, after) in zip(day_blocks, day_blocks[1:], strict=False):
            if after.starts < before.ends:
                _add(
                    errors,
                    f"blocks.{index}.starts",
                    f"{Weekday(after.weekday).label} {_hhmm(after.starts)}–{_hhmm(after.ends)} overlaps "
                    f"{_hhmm(before.starts)}–{_hhmm(before.ends)}; join them or make them follow each other.",
                )


@transaction.atomic
def template_version_create(
    *,
    actor: User,
    provider: Provider,
    location: Location,
    valid_from: date,
    blocks: Sequence[BlockInput],
    valid_until: date | None = None,
) -> AvailabilityTemplate:
    """Add a version of `provider`'s weekly hours at `location`, valid from `valid_from`.

    The version in force on `valid_from` (one that started earlier) is ended the day before,
    so past weeks keep the hours they had. A version that starts on or after `valid_from`
    and would overlap the new one is refused: delete it first, or end the new one before it.
    Blocks must lie inside the location's opening hours and not overlap on one weekday.
    """
    errors: Errors = {}
    if not location.active:
        _add(errors, "location", f"{location.name} is inactive; it cannot get new hours.")
    if not provider.locations.filter(pk=location.pk).exists():
        _add(errors, "location", f"{provider} does not work at {location.name} (see Providers).")
    if valid_until is not None and valid_until < valid_from:
        _add(errors, "valid_until", "The last day must be on or after the first day.")
    if not blocks:
        _add(errors, "blocks", "Add at least one weekly block, e.g. Monday 09:00–12:00.")
    _blocks_clean(provider, location, blocks, errors)
    versions = AvailabilityTemplate.objects.select_for_update().filter(provider=provider, location=location)
    later = versions.filter(valid_from__gte=valid_from).order_by("valid_from")
    if valid_until is not None:
        later = later.filter(valid_from__lte=valid_until)
    clash = later.first()
    if clash is not None:
        _add(
            errors,
            "valid_from",
            f"A version starting {day_text(clash.valid_from)} already exists. Delete it first, or end this one "
            f"before {day_text(clash.valid_from)}.",
        )
    if errors:
        raise ValidationError(errors)
    current = versions.filter(valid_from__lt=valid_from).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)
    )
    for old in current:
        old.valid_until = valid_from - timedelta(days=1)
        old.save(update_fields=["valid_until"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.AVAILABILITY_TEMPLATE,
            object_id=old.public_id,
            changed_fields=["valid_until"],
        )
    template = AvailabilityTemplate.objects.create(
        provider=provider, location=location, valid_from=valid_from, valid_until=valid_until
    )
    for block in blocks:
        row = TemplateBlock.objects.create(
            template=template, weekday=block.weekday, starts=block.starts, ends=block.ends
        )
        if block.rooms:
            row.rooms.set(block.rooms)
        if block.appointment_types:
            row.appointment_types.set(block.appointment_types)
    changed = ["provider", "location", "valid_from", "blocks"] + (["valid_until"] if valid_until else [])
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.AVAILABILITY_TEMPLATE,
        object_id=template.public_id,
        changed_fields=changed,
    )
    return template


@transaction.atomic
def template_version_delete(*, actor: User, template: AvailabilityTemplate, today: date) -> None:
    """Delete a version that has not started yet (`today` is the location's date).

    Versions that have started are history (past appointments were booked against them); to
    change them add a new version. The version before is left as it is: if it was ended by the
    deleted one, give it a new version (or the deleted one again) to cover the days after.
    """
    if template.valid_from <= today:
        raise ValidationError(
            {"valid_from": ["This version has already started. Add a new version from the day the hours change."]}
        )
    public_id = template.public_id
    template.delete()
    audit_record(
        actor=actor,
        action=Action.DELETE,
        object_type=ObjectType.AVAILABILITY_TEMPLATE,
        object_id=public_id,
        changed_fields=["blocks"],
    )


@transaction.atomic
def exception_add(
    *,
    actor: User,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    provider: Provider | None = None,
    location: Location | None = None,
) -> AvailabilityException:
    """Take time out of a schedule (vacation, meeting, blocked) or add extra hours, with a reason.

    A provider without a location: everywhere they work. A location without a provider: the
    whole site (a snow day). Extra hours need both, and lie inside the location's opening hours.
    """
    errors: Errors = {}
    reason = (reason or "").strip()
    if kind not in ExceptionKind.values:
        _add(errors, "kind", "Choose vacation, meeting, blocked time or extra hours.")
    if not reason:
        _add(errors, "reason", "Give a reason staff will understand, e.g. Staff meeting.")
    elif len(reason) > MAX_REASON or "\x00" in reason:
        _add(errors, "reason", f"Keep the reason under {MAX_REASON} characters of plain text.")
    if provider is None and location is None:
        _add(errors, "provider", "Choose a provider, a location (the whole site), or both.")
    if kind == ExceptionKind.EXTRA and (provider is None or location is None):
        _add(errors, "location", "Extra hours are for one provider at one location: choose both.")
    if provider is not None and location is not None and not provider.locations.filter(pk=location.pk).exists():
        _add(errors, "location", f"{provider} does not work at {location.name}.")
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is None or value.tzinfo is None:
            _add(errors, name, "Give a date and time.")
    if not errors.get("starts_at") and not errors.get("ends_at"):
        if ends_at <= starts_at:
            _add(errors, "ends_at", "The end must be after the start.")
        elif ends_at - starts_at > timedelta(days=MAX_EXCEPTION_DAYS):
            _add(errors, "ends_at", f"An exception lasts at most {MAX_EXCEPTION_DAYS} days; add another for longer.")
        elif kind == ExceptionKind.EXTRA and location is not None:
            problem = _extra_outside_hours(location, starts_at, ends_at)
            if problem:
                _add(errors, "ends_at", problem)
    if errors:
        raise ValidationError(errors)
    exception = AvailabilityException.objects.create(
        provider=provider,
        location=location,
        kind=kind,
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC),
        reason=reason,
        created_by=actor,
    )
    changed = (
        ["kind", "starts_at", "ends_at", "reason"]
        + (["provider"] if provider else [])
        + (["location"] if location else [])
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.AVAILABILITY_EXCEPTION,
        object_id=exception.public_id,
        changed_fields=changed,
    )
    return exception


def _extra_outside_hours(location: Location, starts_at: datetime, ends_at: datetime) -> str | None:
    tz = location_zone(location)
    local_start, local_end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    hours = {h.weekday: (h.opens, h.closes) for h in location.opening_hours.all()}
    span = hours.get(local_start.weekday())
    day = local_start.date()
    if span is None:
        return f"{location.name} is closed on {Weekday(day.weekday()).label}s; extra hours need the location open."
    if local_start < local_to_utc(day, span[0], tz).astimezone(tz) or local_end > local_to_utc(
        day, span[1], tz, end=True
    ).astimezone(tz):
        return (
            f"Extra hours must lie inside {location.name}'s opening hours that day ({_hhmm(span[0])}–{_hhmm(span[1])})."
        )
    return None


@transaction.atomic
def exception_remove(*, actor: User, exception: AvailabilityException) -> None:
    """Delete an exception: the template's hours apply again (or the extra hours are gone)."""
    public_id = exception.public_id
    exception.delete()
    audit_record(
        actor=actor,
        action=Action.DELETE,
        object_type=ObjectType.AVAILABILITY_EXCEPTION,
        object_id=public_id,
        changed_fields=["kind", "starts_at", "ends_at", "reason"],
    )


@transaction.atomic
def holiday_override_add(*, actor: User, location: Location, day: date, note: str = "") -> HolidayOverride:
    """Open `location` on public holiday `day` after all (templates then apply as on any day)."""
    note = (note or "").strip()
    errors: Errors = {}
    if day not in location_holidays(location, day, day):
        _add(errors, "day", f"{day_text(day)} is not a public holiday at {location.name}; nothing to open.")
    if len(note) > MAX_REASON or "\x00" in note:
        _add(errors, "note", f"Keep the note under {MAX_REASON} characters of plain text.")
    if errors:
        raise ValidationError(errors)
    override, created = HolidayOverride.objects.get_or_create(
        location=location, day=day, defaults={"note": note, "created_by": actor}
    )
    if created:
        audit_record(
            actor=actor,
            action=Action.CREATE,
            object_type=ObjectType.HOLIDAY_OVERRIDE,
            object_id=f"{location.public_id}:{day.isoformat()}",
            changed_fields=["day", "note"],
        )
    return override


@transaction.atomic
def holiday_override_remove(*, actor: User, location: Location, day: date) -> bool:
    """Close `location` again on holiday `day`; False when it was not opened."""
    deleted, _ = HolidayOverride.objects.filter(location=location, day=day).delete()
    if deleted:
        audit_record(
            actor=actor,
            action=Action.DELETE,
            object_type=ObjectType.HOLIDAY_OVERRIDE,
            object_id=f"{location.public_id}:{day.isoformat()}",
            changed_fields=["day"],
        )
    return bool(deleted)


# ---------------------------------------------------------------------------------------------
# Reads for the pages and the API


def template_versions(*, provider: Provider, since: date | None = None) -> list[AvailabilityTemplate]:
    """The provider's versions (all locations) that are in force on or after `since`, oldest first."""
    versions = AvailabilityTemplate.objects.filter(provider=provider).select_related("location")
    if since is not None:
        versions = versions.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=since))
    return list(
        versions.prefetch_related("blocks__rooms", "blocks__appointment_types").order_by("location__name", "valid_from")
    )


def template_get(*, public_id: Any) -> AvailabilityTemplate:
    return get_or_404(AvailabilityTemplate.objects.select_related("provider__user", "location"), public_id)


def exceptions_for(*, provider: Provider, since: datetime) -> list[AvailabilityException]:
    """Exceptions touching the provider (their own, and whole-location ones where they work) ending after `since`."""
    location_ids = list(provider.locations.values_list("pk", flat=True))
    scope = Q(provider=provider) | Q(provider__isnull=True, location_id__in=location_ids)
    return list(
        AvailabilityException.objects.filter(scope, ends_at__gt=since)
        .select_related("location", "provider__user")
        .order_by("starts_at")
    )


def exception_get(*, public_id: Any) -> AvailabilityException:
    return get_or_404(AvailabilityException.objects.select_related("location", "provider__user"), public_id)


@dataclass(frozen=True)
class HolidayRow:
    day: date
    name: str
    open_anyway: bool
    note: str


def holiday_rows(*, location: Location, year: int) -> list[HolidayRow]:
    """The location's public holidays in `year`, each with whether it was opened anyway."""
    days = location_holidays(location, date(year, 1, 1), date(year, 12, 31))
    overrides = {o.day: o.note for o in HolidayOverride.objects.filter(location=location, day__year=year)}
    return [HolidayRow(day, name, day in overrides, overrides.get(day, "")) for day, name in days.items()]
