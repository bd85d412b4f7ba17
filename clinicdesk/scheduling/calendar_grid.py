"""The day and week grids of the calendar (and the printed day): columns, blocks, open times.

Every read costs a fixed number of queries however many appointments the day holds (the tests
count them at 5 and at 50 appointments). The grids hold PHI (patient names): views call them
through `calendar_access`, which checks the capability and audits the read.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from clinicdesk.core.datetimes import weekday_date_text
from clinicdesk.patients.display import OPENED, PatientLens

from .clock import clock_text
from .models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentStatus,
    Location,
    OpeningHours,
    Provider,
)
from .selectors_calendar import (
    BRIEF_ROWS,
    DEFAULT_DAY,
    ROW_MINUTES,
    SHORT_ROWS,
    SLOT_MINUTES,
    RowLinks,
    appointments_between,
    book_prefix,
    day_bounds,
    patient_label,
    utc_text,
    with_location,
    zone_of,
)

S = AppointmentStatus


# --- Day and week grids ----------------------------------------------------------------------


@dataclass
class Block:
    """One appointment placed on the grid: `row` is its first grid row (1-based), `span` its rows.

    The strings the page shows are worked out once here (`finish`), so the template only prints them.
    """

    appointment: Appointment
    label: str
    starts: datetime  # local
    ends: datetime  # local
    row: int
    span: int
    lane: int = 1
    status_label: str = ""
    time_label: str = ""  # "9:30 AM", local
    url: str = ""  # the appointment page
    no_show_url: str = ""  # set while a no-show can be marked (scheduled, start time passed)
    css: str = ""  # grid placement and state classes
    meta: str = ""  # "status · room · overbooked"
    type_line: str = ""  # "type · reason" (the reason left out for a masked patient)
    title: str = ""  # the whole text on one line, the block's tooltip
    masked: bool = False  # a restricted patient shown by initials (see patients/display.py)

    @property
    def color(self) -> str:
        return self.appointment.appointment_type.color

    @property
    def can_no_show(self) -> bool:
        return self.appointment.status == S.SCHEDULED

    @property
    def reason(self) -> str:
        """The visit reason, or "" for a masked patient (a restricted record without a grant)."""
        return "" if self.masked else self.appointment.reason

    def finish(self, links: RowLinks, now: datetime | None) -> None:
        appt = self.appointment
        public_id = str(appt.public_id)
        self.time_label = clock_text(self.starts)
        self.url = links.appointment.format(public_id)
        if now is not None and appt.status == S.SCHEDULED and appt.starts_at <= now:
            self.no_show_url = links.no_show.format(public_id)
        css = f"cal-row-{self.row} cal-span-{self.span} cal-lane-{min(self.lane, 6)} cal-status-{appt.status}"
        # A short block holds whole lines only: one (up to 15 minutes) or two (up to 25); the rest
        # of its text is in the tooltip (`title`) and on the appointment page.
        if self.span <= SHORT_ROWS:
            css += " cal-short"
        elif self.span <= BRIEF_ROWS:
            css += " cal-brief"
        self.css = css + " cal-overbooked" if appt.overbooked else css
        kind = appt.appointment_type.name
        self.type_line = f"{kind} · {self.reason}" if self.reason else kind
        parts = [self.status_label]
        if appt.room is not None:
            parts.append(appt.room.name)
        if appt.overbooked:
            parts.append("overbooked")
        self.meta = " · ".join(parts)
        self.title = f"{self.time_label} {self.label} · {self.type_line} · {self.meta}"


@dataclass
class OpenSlot:
    starts: datetime  # local
    row: int
    span: int
    url: str

    @property
    def label(self) -> str:
        return clock_text(self.starts)


@dataclass
class Column:
    key: str
    title: str
    subtitle: str = ""
    blocks: list[Block] = field(default_factory=list)
    open_slots: list[OpenSlot] = field(default_factory=list)
    lanes: int = 1
    closed: bool = False
    body_html: str = ""  # built by the calendar views (calendar_views._columns_html)


@dataclass
class HourMark:
    label: str
    row: int


@dataclass
class Grid:
    location: Location
    zone: ZoneInfo
    first: time
    last: time
    rows: int
    hours: list[HourMark]
    columns: list[Column]
    appointments: list[Appointment]

    @property
    def patient_mrns(self) -> list[str]:
        return list(dict.fromkeys(a.patient.mrn for a in self.appointments))


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _range(spans: Iterable[tuple[time, time]], local_times: Iterable[tuple[datetime, datetime]], day: date):
    """Earliest and latest whole hour to show: opening hours widened to every appointment."""
    starts, ends = [], []
    for opens, closes in spans:
        starts.append(_minutes(opens))
        ends.append(_minutes(closes))
    for begin, finish in local_times:
        starts.append(0 if begin.date() < day else _minutes(begin.time()))
        ends.append(24 * 60 if finish.date() > day else _minutes(finish.time()))
    if not starts:
        starts, ends = [_minutes(DEFAULT_DAY[0])], [_minutes(DEFAULT_DAY[1])]
    first = min(starts) // 60 * 60
    last = min(24 * 60, math.ceil(max(ends) / 60) * 60)
    return first, max(last, first + 60)


def _place(begin: datetime, finish: datetime, day: date, first: int, last: int) -> tuple[int, int]:
    start = 0 if begin.date() < day else _minutes(begin.time())
    end = 24 * 60 if finish.date() > day else _minutes(finish.time())
    start, end = max(start, first), min(max(end, start + ROW_MINUTES), last)
    row = (start - first) // ROW_MINUTES + 1
    span = max(1, math.ceil((end - start) / ROW_MINUTES))
    return row, span


def _lanes(blocks: list[Block]) -> int:
    """Side-by-side lanes for overlapping appointments (overbooking); returns how many were needed."""
    lane_ends: list[int] = []
    for block in sorted(blocks, key=lambda b: (b.row, -b.span)):
        for index, ends in enumerate(lane_ends):
            if ends <= block.row:
                block.lane = index + 1
                lane_ends[index] = block.row + block.span
                break
        else:
            lane_ends.append(block.row + block.span)
            block.lane = len(lane_ends)
    return max(1, len(lane_ends))


def _open_slots(
    *,
    provider: Provider,
    location: Location,
    day: date,
    zone: ZoneInfo,
    spans: Sequence[tuple[time, time]],
    busy: list[tuple[datetime, datetime]],
    first: int,
    last: int,
    not_before: datetime | None,
) -> list[OpenSlot]:
    """Free SLOT_MINUTES slots inside the opening hours that no appointment of the provider holds.

    Whether the provider works then (availability templates, exceptions) is for the booking
    page to check; the calendar offers the location's open time that is not taken.
    """
    slots: list[OpenSlot] = []
    if not spans:
        return slots
    prefix = book_prefix(provider=provider, location=location)
    for opens, closes in spans:
        moment = datetime.combine(day, opens, zone)
        closing = datetime.combine(day, closes, zone)
        while moment + timedelta(minutes=SLOT_MINUTES) <= closing:
            finish = moment + timedelta(minutes=SLOT_MINUTES)
            taken = any(b < finish and moment < e for b, e in busy)
            if not taken and (not_before is None or moment >= not_before):
                row, span = _place(moment, finish, day, first, last)
                slots.append(OpenSlot(moment, row, span, prefix + quote_plus(utc_text(moment))))
            moment = finish
    return slots


def _column_for(
    *,
    column: Column,
    appointments: list[Appointment],
    provider: Provider,
    location: Location,
    day: date,
    zone: ZoneInfo,
    spans: Sequence[tuple[time, time]],
    first: int,
    last: int,
    lens: PatientLens,
    not_before: datetime | None,
    links: RowLinks,
) -> Column:
    busy = []
    for appt in appointments:
        begin, finish = appt.starts_at.astimezone(zone), appt.ends_at.astimezone(zone)
        row, span = _place(begin, finish, day, first, last)
        column.blocks.append(
            Block(appt, patient_label(appt.patient, lens=lens), begin, finish, row, span,
                  status_label=S(appt.status).label, masked=lens.masks(appt.patient))
        )  # fmt: skip
        if appt.status in HOLDING_STATUSES:
            busy.append((appt.block_start.astimezone(zone), appt.block_end.astimezone(zone)))
    column.lanes = _lanes(column.blocks)
    for block in column.blocks:
        block.finish(links, not_before)
    column.closed = not spans
    column.open_slots = _open_slots(
        provider=provider, location=location, day=day, zone=zone, spans=spans, busy=busy,
        first=first, last=last, not_before=not_before,
    )  # fmt: skip
    return column


def _hours(first: int, last: int) -> list[HourMark]:
    return [
        HourMark(clock_text(time(minute // 60)), (minute - first) // ROW_MINUTES + 1)
        for minute in range(first, last, 60)
    ]


def _spans_by_weekday(location: Location) -> dict[int, list[tuple[time, time]]]:
    spans: dict[int, list[tuple[time, time]]] = {}
    for hours in OpeningHours.objects.filter(location=location):
        spans.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
    return spans


def providers_at(*, location: Location) -> QuerySet[Provider]:
    """Active providers who work at `location`, for the filters and the day view's columns."""
    return (
        Provider.objects.filter(locations=location, active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__display_name", "user__username")
    )


def day_schedule(
    *,
    location: Location,
    day: date,
    providers: Sequence[Provider] | None = None,
    lens: PatientLens = OPENED,
    now: datetime | None = None,
) -> Grid:
    """The day at `location`: one column per provider (those working there, plus anyone booked),
    time rows from the earliest opening or appointment to the latest, cancelled visits left out.

    `providers` narrows the columns (the provider filter). Open times before `now` are not offered.
    """
    zone = zone_of(location)
    start, end = day_bounds(day, zone)
    appointments = with_location(appointments_between(location, start, end).exclude(status=S.CANCELLED), location)
    spans = _spans_by_weekday(location).get(day.weekday(), [])
    wanted = None if providers is None else {p.pk for p in providers}
    columns_of: dict[int, Provider] = {}
    if providers is None:
        columns_of = {p.pk: p for p in providers_at(location=location)}
    else:
        columns_of = {p.pk: p for p in providers}
    for appt in appointments:
        if wanted is None or appt.provider_id in wanted:
            columns_of.setdefault(appt.provider_id, appt.provider)
    appointments = [a for a in appointments if a.provider_id in columns_of]
    first, last = _range(spans, ((a.starts_at.astimezone(zone), a.ends_at.astimezone(zone)) for a in appointments), day)
    by_provider: dict[int, list[Appointment]] = {}
    for appt in appointments:
        by_provider.setdefault(appt.provider_id, []).append(appt)
    ordered = sorted(columns_of.values(), key=lambda p: (p.display_name.lower(), p.pk))
    links = RowLinks()
    columns = [
        _column_for(
            column=Column(key=str(p.public_id), title=p.display_name, subtitle=p.specialty),
            appointments=by_provider.get(p.pk, []),
            provider=p,
            location=location,
            day=day,
            zone=zone,
            spans=spans,
            first=first,
            last=last,
            lens=lens,
            not_before=now,
            links=links,
        )  # fmt: skip
        for p in ordered
    ]
    return Grid(
        location, zone, time(first // 60), _end_time(last), (last - first) // ROW_MINUTES, _hours(first, last),
        columns, appointments,
    )  # fmt: skip


def _end_time(minutes: int) -> time:
    return time(23, 59) if minutes >= 24 * 60 else time(minutes // 60, minutes % 60)


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_schedule(
    *,
    provider: Provider,
    location: Location,
    week_start: date,
    lens: PatientLens = OPENED,
    now: datetime | None = None,
) -> Grid:
    """One provider's week at one location: a column per day (Monday first), same grid as the day view."""
    zone = zone_of(location)
    start, _ = day_bounds(week_start, zone)
    _, end = day_bounds(week_start + timedelta(days=6), zone)
    # The (location, starts_at) range of the week, narrowed to the provider.
    appointments = with_location(
        appointments_between(location, start, end).filter(provider=provider).exclude(status=S.CANCELLED), location
    )
    links = RowLinks()
    spans_by_day = _spans_by_weekday(location)
    days = [week_start + timedelta(days=offset) for offset in range(7)]
    by_day: dict[date, list[Appointment]] = {d: [] for d in days}
    for appt in appointments:
        local_day = appt.starts_at.astimezone(zone).date()
        if local_day in by_day:
            by_day[local_day].append(appt)
    firsts, lasts = [], []
    for day in days:
        if spans_by_day.get(day.weekday()) or by_day[day]:
            local = ((a.starts_at.astimezone(zone), a.ends_at.astimezone(zone)) for a in by_day[day])
            f, la = _range(spans_by_day.get(day.weekday(), []), local, day)
            firsts.append(f)
            lasts.append(la)
    first, last = (min(firsts), max(lasts)) if firsts else _range([], [], week_start)
    columns = []
    for day in days:
        spans = spans_by_day.get(day.weekday(), [])
        if not spans and not by_day[day] and day.weekday() >= 5:
            continue  # a closed weekend day with nothing booked takes no space
        column = Column(key=day.isoformat(), title=weekday_date_text(day), subtitle=day.isoformat())
        columns.append(
            _column_for(
                column=column,
                appointments=by_day[day],
                provider=provider,
                location=location,
                day=day,
                zone=zone,
                spans=spans,
                first=first,
                last=last,
                lens=lens,
                not_before=now,
                links=links,
            )  # fmt: skip
        )
    return Grid(
        location, zone, time(first // 60), _end_time(last), (last - first) // ROW_MINUTES, _hours(first, last),
        columns, appointments,
    )  # fmt: skip
