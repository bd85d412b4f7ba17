"""Recurring series: plan, book, and change "this one" or "this and following".

A series repeats every `interval` days or weeks from its first visit, until a last date or for
a number of visits, at most MAX_OCCURRENCES visits within MAX_SPAN_DAYS (about two years).
Every visit keeps the first visit's *local* wall time in the location's zone, so a weekly
09:00 visit stays 09:00 after the clocks change. On the spring-forward day a wall time in the
skipped hour (02:30 in New York) does not exist; that visit is a conflict to skip or move.
An ambiguous wall time (the repeated hour in autumn) is read as its first occurrence, like
the first visit's.

Visit numbers (`series_index`) are positions in the plan, 1-based. A skipped visit leaves its
number unused, so the numbers always say which repetition a row is. Rows are never deleted
or renumbered: a series keeps exactly the rows it was booked with, cancelled or not.

Editing:
- "this" moves or cancels one visit, through appointment_move / appointment_cancel.
- "following" changes this visit and every later one that is still scheduled and not yet
  started, all or nothing in one transaction. Each visit keeps its current local date (a
  visit moved on its own to another day stays on that day) and gets the new time of day,
  provider or room. Visits already arrived, completed, no-show or cancelled, and visits in the
  past, are left as they are. Each change goes through the booking service, so history,
  audit and the no-double-booking guarantee are the same as for a single appointment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.datetimes import weekday_date_text

from .availability import day_text
from .booking import (
    REASON_NEEDED,
    BookingInput,
    BookingRefused,
    appointment_book,
    appointment_cancel,
    appointment_move,
    booking_problem,
)
from .clock import clock_text
from .models import Appointment, AppointmentSeries, AppointmentStatus, Provider, Room
from .slots import slot_search

# A local time that the clocks skip that day (spring forward): the visit cannot be put there.
NO_SUCH_TIME = "Time does not exist on that day"


def _title_of(exc: ValidationError) -> str | None:
    """The refusal title of a service error being passed on (None: the error had none)."""
    return getattr(exc, "title", None) if isinstance(exc, BookingRefused) else None


MAX_OCCURRENCES = 104
MAX_SPAN_DAYS = 731  # two years from the first visit to the last
SUGGESTIONS = 3
SUGGESTION_DAYS = 3  # alternatives are looked for on the visit's day and the next three
_CANDIDATES = 60  # free slots read from slot search before picking the closest SUGGESTIONS

Unit = AppointmentSeries.Unit


class Scope(TextChoices):
    THIS = "this", "This visit only"
    FOLLOWING = "following", "This and following visits"


@dataclass
class Occurrence:
    """One planned visit: its number, local date, start (None if the wall time does not exist)."""

    index: int
    day: date
    starts_at: datetime | None  # UTC
    local_start: datetime | None
    wall: time
    problem: str | None = None
    suggestions: list[datetime] = field(default_factory=list)  # local, aware

    @property
    def bookable(self) -> bool:
        return self.problem is None

    @property
    def label(self) -> str:
        return f"Visit {self.index} ({weekday_date_text(self.day)})"


def _wall_instant(day: date, wall: time, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of wall time `wall` on `day`, or None on the day that hour is skipped."""
    naive = datetime.combine(day, wall.replace(tzinfo=None))
    local = naive.replace(tzinfo=tz, fold=wall.fold)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return instant


def _clock(wall: time) -> str:
    return clock_text(wall)


def _missing_time(day: date, wall: time) -> str:
    return (
        f"{_clock(wall)} does not exist on {day_text(day)}: the clocks go forward that night. "
        "Skip this visit or choose another time."
    )


def _require_aware(starts_at: datetime) -> None:
    if timezone.is_naive(starts_at):
        raise ValidationError(
            {"starts_at": ["Give the start time with its time zone (ISO 8601, e.g. 2026-12-01T14:00:00Z)."]}
        )


def series_days(*, first_day: date, unit: str, interval: int, until: date | None, count: int | None) -> list[date]:
    """The local dates of a series, first included; ValidationError by field for a bad rule.

    Refused: an unknown unit, an interval outside 1..52, no end or two ends, a last date before
    the first visit, more than MAX_OCCURRENCES visits, or a last visit more than MAX_SPAN_DAYS
    after the first. The count is worked out before any date is, so asking for 10,000 visits
    costs nothing.
    """
    errors: dict[str, list[str]] = {}
    if unit not in Unit.values:
        errors["unit"] = ["Repeat every so many days or weeks."]
    if not isinstance(interval, int) or not 1 <= interval <= 52:
        errors["interval"] = ["Repeat every 1 to 52 days or weeks."]
    if until is None and count is None:
        errors["count"] = ["Say when the series ends: after a number of visits, or on a last date."]
    elif until is not None and count is not None:
        errors["count"] = ["Give a number of visits or a last date, not both."]
    if errors:
        raise ValidationError(errors)
    step = interval * (7 if unit == Unit.WEEKS else 1)
    limit_text = (
        f"A series may have at most {MAX_OCCURRENCES} visits and run at most two years; "
        "book a shorter series now and another one later."
    )
    if count is not None:
        if count < 1:
            raise ValidationError({"count": ["A series has at least one visit."]})
        total, end_field = count, "count"
    else:
        assert until is not None
        if until < first_day:
            raise ValidationError({"until": [f"The last date is before the first visit ({day_text(first_day)})."]})
        total, end_field = (until - first_day).days // step + 1, "until"
    if total > MAX_OCCURRENCES:
        raise ValidationError({end_field: [f"This series would have {total} visits. {limit_text}"]})
    try:
        days = [first_day + timedelta(days=step * n) for n in range(total)]
    except OverflowError as exc:
        raise ValidationError({end_field: ["That series runs past the last date the calendar can hold."]}) from exc
    if (days[-1] - first_day).days > MAX_SPAN_DAYS:
        raise ValidationError({end_field: [f"This series would end on {day_text(days[-1])}. {limit_text}"]})
    return days


def series_starts(
    *, starts_at: datetime, time_zone: str, unit: str, interval: int, until: date | None, count: int | None
) -> list[Occurrence]:
    """Every visit of the rule from `starts_at`, at its local wall time in `time_zone`; pure.

    A visit whose wall time does not exist that day (the clocks jump over it) has `starts_at`
    None. The first visit is `starts_at` itself. ValidationError as `series_days`.
    """
    _require_aware(starts_at)
    tz = ZoneInfo(time_zone)
    first = starts_at.astimezone(tz)
    wall = first.timetz().replace(tzinfo=None, fold=first.fold)
    days = series_days(first_day=first.date(), unit=unit, interval=interval, until=until, count=count)
    found = []
    for index, day in enumerate(days, start=1):
        instant = starts_at if index == 1 else _wall_instant(day, wall, tz)
        local = instant.astimezone(tz) if instant is not None else None
        found.append(Occurrence(index=index, day=day, starts_at=instant, local_start=local, wall=wall))
    return found


def _occurrences(
    data: BookingInput, unit: str, interval: int, until: date | None, count: int | None
) -> list[Occurrence]:
    return series_starts(
        starts_at=data.starts_at,
        time_zone=data.location.time_zone,
        unit=unit,
        interval=interval,
        until=until,
        count=count,
    )


def _block(data: BookingInput, starts_at: datetime) -> tuple[datetime, datetime]:
    kind = data.appointment_type
    start = starts_at - timedelta(minutes=kind.buffer_before_minutes)
    return start, start + timedelta(minutes=kind.blocked_minutes)


def _suggestions(
    data: BookingInput, occurrence: Occurrence, held: list[tuple[datetime, datetime]], now: datetime
) -> list[datetime]:
    """Up to SUGGESTIONS free times of the same provider, the visit's day first, closest to its time."""
    tz = ZoneInfo(data.location.time_zone)
    try:
        result = slot_search(
            appointment_type=data.appointment_type,
            providers=[data.provider],
            locations=[data.location],
            start_date=occurrence.day,
            end_date=occurrence.day + timedelta(days=SUGGESTION_DAYS),
            patient=data.patient,
            limit=_CANDIDATES,
            now=now,
        )
    except ValidationError:
        return []
    wanted = occurrence.wall.hour * 60 + occurrence.wall.minute

    def closeness(moment: datetime) -> tuple[date, int]:
        local = moment.astimezone(tz)
        return local.date(), abs(local.hour * 60 + local.minute - wanted)

    candidates = sorted((slot.starts_at for day in result.days for slot in day.slots), key=closeness)
    chosen: list[datetime] = []
    for start in candidates:
        block = _block(data, start)
        if any(block[0] < end and begin < block[1] for begin, end in held):
            continue  # another visit of this series
        if data.room is not None and booking_problem(replace(data, starts_at=start), now=now):
            continue  # slot search may have found a free time in another room only
        chosen.append(start.astimezone(tz))
        if len(chosen) == SUGGESTIONS:
            break
    return chosen


def series_plan(
    *,
    data: BookingInput,
    unit: str,
    interval: int,
    until: date | None = None,
    count: int | None = None,
    now: datetime | None = None,
) -> list[Occurrence]:
    """Every visit of the series `data` starts, each with `problem` None when it can be booked.

    For a visit that cannot, `problem` says why (in the booking service's words, or that the
    wall time does not exist that day) and `suggestions` holds up to three free times of the
    same provider on that day or the next days, not clashing with the series' other visits.
    Reads only; ValidationError by field for a bad repetition rule (see `series_days`).
    """
    now = now or clock.now()
    plan = _occurrences(data, unit, interval, until, count)
    for occurrence in plan:
        if occurrence.starts_at is None:
            occurrence.problem = _missing_time(occurrence.day, occurrence.wall)
        else:
            occurrence.problem = booking_problem(replace(data, starts_at=occurrence.starts_at), now=now)
    held = [_block(data, o.starts_at) for o in plan if o.bookable and o.starts_at is not None]
    for occurrence in plan:
        if not occurrence.bookable:
            occurrence.suggestions = _suggestions(data, occurrence, held, now)
    return plan


def series_book(
    *,
    actor: User,
    data: BookingInput,
    unit: str,
    interval: int,
    until: date | None = None,
    count: int | None = None,
    choices: dict[int, datetime | None],
    now: datetime | None = None,
) -> AppointmentSeries:
    """Book the whole series in one transaction, or nothing.

    `choices` maps a visit number to None (skip it) or to the start to book instead; visits
    not in it are booked at their planned time. Any visit that cannot be booked refuses the
    whole series (BookingRefused naming the visit; a ValidationError for bad input), and no
    row is left behind. Skipped numbers stay unused.
    """
    now = now or clock.now()
    plan = _occurrences(data, unit, interval, until, count)
    unknown = sorted(set(choices) - {o.index for o in plan})
    if unknown:
        raise ValidationError(
            {"choices": [f"This series has visits 1 to {len(plan)}; there is no visit {unknown[0]}."]}
        )
    if all(o.index in choices and choices[o.index] is None for o in plan):
        raise ValidationError({"choices": ["Every visit is skipped; there is nothing to book."]})
    with transaction.atomic():
        series = AppointmentSeries.objects.create(
            patient=data.patient, unit=unit, interval=interval, until=until, count=count, created_by=actor
        )
        booked = 0
        for occurrence in plan:
            if occurrence.index in choices and choices[occurrence.index] is None:
                continue
            start = choices.get(occurrence.index, occurrence.starts_at)
            if start is None:
                raise BookingRefused(
                    {"choices": [f"{occurrence.label}: {_missing_time(occurrence.day, occurrence.wall)}"]},
                    title=NO_SUCH_TIME,
                )
            try:
                appointment_book(
                    actor=actor,
                    data=replace(data, starts_at=start),
                    now=now,
                    series=series,
                    series_index=occurrence.index,
                )
            except BookingRefused as exc:
                raise BookingRefused(
                    {"choices": [f"{occurrence.label}: {' '.join(exc.messages)} Nothing was booked."]},
                    title=exc.title,
                ) from exc
            except ValidationError as exc:
                raise ValidationError({"choices": [f"{occurrence.label}: {' '.join(exc.messages)}"]}) from exc
            booked += 1
        audit_record(
            actor=actor,
            action=Action.CREATE,
            object_type=ObjectType.APPOINTMENT_SERIES,
            object_id=str(series.public_id),
            patient_id=data.patient.mrn,
            changed_fields=["unit", "interval", "until", "count"],
            detail=f"{booked} of {len(plan)} visits booked, every {interval} {unit}",
        )
    return series


def _targets(appointment: Appointment, scope: str, now: datetime) -> list[Appointment]:
    if appointment.series_id is None or appointment.series_index is None:
        raise ValidationError({"scope": ["This appointment is not part of a series."]})
    if scope not in Scope.values:
        raise ValidationError({"scope": ["Choose this visit only, or this and following visits."]})
    # Lock the series so two edits of one series take turns; each row is locked when changed.
    AppointmentSeries.objects.select_for_update().filter(pk=appointment.series_id).first()
    if scope == Scope.THIS:
        return [appointment]
    targets = list(
        Appointment.objects.filter(
            series_id=appointment.series_id,
            series_index__gte=appointment.series_index,
            status=AppointmentStatus.SCHEDULED,
            starts_at__gte=now,
        )
        .select_related("patient", "provider__user", "location", "room", "appointment_type")
        .order_by("series_index")
    )
    if not targets:
        raise ValidationError(
            {"scope": [f"No visit from number {appointment.series_index} on is still scheduled; nothing to change."]}
        )
    return targets


def _visit_label(appointment: Appointment) -> str:
    local = appointment.starts_at.astimezone(ZoneInfo(appointment.location.time_zone))
    return f"Visit {appointment.series_index} ({weekday_date_text(local, local.tzinfo)})"


def series_edit(
    *,
    actor: User,
    appointment: Appointment,
    scope: str,
    starts_at_time: time | None = None,
    day: date | None = None,
    provider: Provider | None = None,
    room: Room | None | bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> list[Appointment]:
    """Move one visit ("this") or this and every later scheduled visit ("following").

    `starts_at_time` is the new local time of day (None keeps each visit's own); `day` moves a
    single visit to another date ("this" only); `provider` None keeps the provider; `room`
    False keeps the room, None clears it. Returns the visits that changed (a visit already at
    the wanted time, provider and room is left untouched). All or nothing: if one visit cannot
    move, BookingRefused names it and no visit changes.
    """
    now = now or clock.now()
    if starts_at_time is None and day is None and provider is None and room is False:
        raise ValidationError({"starts_at_time": ["Say what to change: the time, the provider or the room."]})
    if day is not None and scope != Scope.THIS:
        raise ValidationError(
            {"day": ["Only a single visit moves to another date; this and following keep their dates."]}
        )
    changed: list[Appointment] = []
    with transaction.atomic():
        for target in _targets(appointment, scope, now):
            tz = ZoneInfo(target.location.time_zone)
            local = target.starts_at.astimezone(tz)
            wall = starts_at_time or local.timetz().replace(tzinfo=None, fold=local.fold)
            new_day = day or local.date()
            start = _wall_instant(new_day, wall, tz)
            if start is None:
                raise BookingRefused(
                    {"starts_at_time": [f"{_visit_label(target)}: {_missing_time(new_day, wall)}"]},
                    title=NO_SUCH_TIME,
                )
            same_provider = provider is None or provider.pk == target.provider_id
            same_room = room is False or (room.pk if isinstance(room, Room) else None) == target.room_id
            if start == target.starts_at and same_provider and same_room:
                continue
            try:
                changed.append(
                    appointment_move(
                        actor=actor,
                        appointment=target,
                        starts_at=start,
                        provider=provider,
                        room=room,
                        reason=reason or ("series: this and following" if scope == Scope.FOLLOWING else ""),
                        now=now,
                    )
                )
            except ValidationError as exc:
                raise BookingRefused(
                    {"starts_at_time": [f"{_visit_label(target)}: {' '.join(exc.messages)} Nothing was changed."]},
                    title=_title_of(exc),
                ) from exc
    return changed


def series_cancel(
    *, actor: User, appointment: Appointment, scope: str, reason: str, now: datetime | None = None
) -> list[Appointment]:
    """Cancel one visit ("this") or this and every later scheduled visit ("following").

    Rows stay (cancelled, with who, when and why); visits already arrived, completed or
    cancelled, and past ones, are left alone by "following". All or nothing.
    """
    now = now or clock.now()
    if not (reason or "").strip():
        raise BookingRefused(
            {"reason": ["Say why the visits are cancelled (e.g. patient called, course finished)."]},
            title=REASON_NEEDED,
        )
    cancelled: list[Appointment] = []
    with transaction.atomic():
        for target in _targets(appointment, scope, now):
            try:
                cancelled.append(appointment_cancel(actor=actor, appointment=target, reason=reason, now=now))
            except ValidationError as exc:
                raise BookingRefused(
                    {"scope": [f"{_visit_label(target)}: {' '.join(exc.messages)} Nothing was cancelled."]},
                    title=_title_of(exc),
                ) from exc
    return cancelled


# --- Reads for the pages and the API ------------------------------------------------------------


def series_members(*, series_id: int) -> list[Appointment]:
    """Every row of the series (whatever its status), by visit number. The caller opened one with access_*."""
    return list(
        Appointment.objects.filter(series_id=series_id)
        .select_related("patient", "provider__user", "location", "room", "appointment_type")
        .order_by("series_index")
    )


def series_edit_options(*, appointment: Appointment) -> tuple[list[Provider], list[Room]]:
    """Providers who take the visit's type at its location, and the location's active rooms."""
    providers = list(
        Provider.objects.filter(
            active=True, user__is_active=True, appointment_types=appointment.appointment_type,
            locations=appointment.location,
        ).select_related("user").order_by("user__display_name", "user__username")
    )  # fmt: skip
    rooms = list(Room.objects.filter(location=appointment.location, active=True).order_by("name"))
    return providers, rooms
