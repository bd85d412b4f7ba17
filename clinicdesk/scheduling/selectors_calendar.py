"""Reads behind the calendar (day and week views, the printed day) and the flow board.

Every read here costs a fixed number of queries however many appointments the day holds:
appointments come with their patient, provider, type and room in one query (select_related),
opening hours and rooms in one query each. The tests count them at 5 and at 50 appointments.

These functions return PHI (patient names). Views and endpoints call them through
`calendar_access`, which checks the capability and writes the read to the audit trail.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DurationField, ExpressionWrapper, F, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from clinicdesk.core.datetimes import weekday_date_text
from clinicdesk.core.lookups import uuid_or_none
from clinicdesk.patients.display import OPENED, PatientLens

from .clock import clock_text
from .flow import ACTION_LABEL, FINAL_STATUSES, STAMP, UNDO_WHAT, next_states, undo_label, undo_problem
from .models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    Location,
    OpeningHours,
    Provider,
    Room,
)

S = AppointmentStatus
ROW_MINUTES = 5  # one grid row of the day and week views
SLOT_MINUTES = 15  # the "open time" links offered for booking
SHORT_ROWS, BRIEF_ROWS = 3, 5  # blocks of at most 15 and 25 minutes show one and two lines
DEFAULT_DAY = (time(8), time(17))  # shown when a location is closed and nothing is booked


def wait_amber_minutes() -> int:
    return int(getattr(settings, "CLINICDESK_FLOW_WAIT_AMBER_MINUTES", 15))


def wait_red_minutes() -> int:
    return int(getattr(settings, "CLINICDESK_FLOW_WAIT_RED_MINUTES", 30))


def flow_refresh_seconds() -> int:
    return int(getattr(settings, "CLINICDESK_FLOW_REFRESH_SECONDS", 5))


def zone_of(location: Location) -> ZoneInfo:
    return ZoneInfo(location.time_zone or settings.TIME_ZONE)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants a local calendar day starts and ends (23 or 25 hours on DST change days)."""
    return datetime.combine(day, time.min, zone), datetime.combine(day + timedelta(days=1), time.min, zone)


def patient_label(patient: Any, *, lens: PatientLens) -> str:
    """What a schedule shows of a patient: `lens.name` (the name, the MRN for roles that do not
    read demographics, initials for a restricted record without a grant).

    Minimum necessary: the schedule never shows a date of birth, phone or address; the chart does.
    """
    return lens.name(patient)


# No visit is longer than this: a visit lasts its type's duration (at most 720 minutes, a check
# constraint on the type) plus its buffers. It bounds the time-range reads from below, so a day
# or a week reads only its window through the (location, starts_at) and (provider, block_start)
# indexes however long the history is, and still finds a visit that began the evening before.
LONGEST_VISIT = timedelta(days=1)


# The columns the grids, the printed day, the board and the API's day and board read; the rest
# (audit columns, cancellation, the patient's chart) is left in the database. Loading whole rows
# of five joined tables was most of the day view's time.
_GRID_FIELDS = (
    "public_id", "status", "starts_at", "ends_at", "block_start", "block_end", "reason", "overbooked",
    "confirmation", "confirmation_method", "confirmed_at", "arrived_at", "roomed_at", "with_provider_at",
    "checked_out_at", "completed_at", "no_show_at", "location",
    "patient__mrn", "patient__first_name", "patient__preferred_name", "patient__middle_name", "patient__suffix",
    "patient__last_name",
    "provider__public_id", "provider__specialty", "provider__user__display_name", "provider__user__first_name",
    "provider__user__last_name", "provider__user__username",
    "appointment_type__name", "appointment_type__color", "appointment_type__telehealth",
    "room__public_id", "room__name",
)  # fmt: skip


def on_day_q(location: Location, start: datetime, end: datetime) -> Q:
    """Appointments at `location` that take place between `start` and `end` (a local day's bounds):
    the rows of that day's board and grids, a visit that began the evening before included."""
    return Q(location=location, starts_at__gte=start - LONGEST_VISIT, starts_at__lt=end, ends_at__gt=start)


def _appointments(location: Location, start: datetime, end: datetime) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(on_day_q(location, start, end))
        .select_related("patient", "provider__user", "appointment_type", "room")
        .only(*_GRID_FIELDS)
        .order_by("starts_at", "id")
    )


def _with_location(appointments: Iterable[Appointment], location: Location) -> list[Appointment]:
    """The appointments with `location` set on them (they were read at it; saves a join and a copy per row)."""
    out = list(appointments)
    for appointment in out:
        appointment.location = location
    return out


def _book_base() -> str:
    try:
        return reverse("scheduling:book")
    except NoReverseMatch:
        return "/scheduling/book/"


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def book_url(*, provider: Provider, location: Location, start: datetime) -> str:
    """The booking page for an open time: provider, location and start (ISO 8601 UTC) as the query."""
    query = urlencode(
        {"provider": str(provider.public_id), "location": str(location.public_id), "start": _utc_text(start)}
    )
    return f"{_book_base()}?{query}"


def _book_prefix(*, provider: Provider, location: Location) -> str:
    """`book_url` up to the start time, built once per column: the grid appends `quote_plus(start)`."""
    query = urlencode({"provider": str(provider.public_id), "location": str(location.public_id)})
    return f"{_book_base()}?{query}&start="


class RowLinks:
    """Per-appointment URLs from one reverse() each, formatted per row (reverse() in a loop is slow)."""

    def __init__(self) -> None:
        marker = "00000000-0000-4000-8000-000000000000"
        self.appointment = reverse("scheduling_flow:appointment", kwargs={"public_id": marker}).replace(marker, "{}")
        self.no_show = reverse("scheduling_flow:no_show", kwargs={"public_id": marker}).replace(marker, "{}")
        self.move = reverse("scheduling_flow:move", kwargs={"public_id": marker}).replace(marker, "{}")
        self.check_in = reverse("scheduling_flow:check_in", kwargs={"public_id": marker}).replace(marker, "{}")
        self.undo = reverse("scheduling_flow:undo", kwargs={"public_id": marker}).replace(marker, "{}")


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
    prefix = _book_prefix(provider=provider, location=location)
    for opens, closes in spans:
        moment = datetime.combine(day, opens, zone)
        closing = datetime.combine(day, closes, zone)
        while moment + timedelta(minutes=SLOT_MINUTES) <= closing:
            finish = moment + timedelta(minutes=SLOT_MINUTES)
            taken = any(b < finish and moment < e for b, e in busy)
            if not taken and (not_before is None or moment >= not_before):
                row, span = _place(moment, finish, day, first, last)
                slots.append(OpenSlot(moment, row, span, prefix + quote_plus(_utc_text(moment))))
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
    appointments = _with_location(_appointments(location, start, end).exclude(status=S.CANCELLED), location)
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
    appointments = _with_location(
        _appointments(location, start, end).filter(provider=provider).exclude(status=S.CANCELLED), location
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


# --- Flow board ------------------------------------------------------------------------------

# Where the patient waits in each state: arrived waits in the waiting room, roomed waits in the
# exam room for the provider. Those two are the waits the thresholds colour.
_WAITING: dict[str, str] = {S.ARRIVED: "arrived_at", S.ROOMED: "roomed_at"}


def wait_level(minutes: int | None) -> str:
    """ "ok", "amber" (over CLINICDESK_FLOW_WAIT_AMBER_MINUTES) or "red" (over the red threshold)."""
    if minutes is None:
        return "ok"
    if minutes > wait_red_minutes():
        return "red"
    if minutes > wait_amber_minutes():
        return "amber"
    return "ok"


@dataclass
class FlowRow:
    appointment: Appointment
    label: str
    starts: datetime  # local
    state_since: datetime | None  # local
    minutes_in_state: int | None
    wait_minutes: int | None  # minutes waiting (waiting room or exam room) while waiting
    total_wait_minutes: int | None  # arrival to provider (so far, while still waiting)
    late_minutes: int | None  # scheduled and past the start time
    level: str
    actions: list[tuple[str, str]]  # (state, button label)
    can_no_show: bool
    needs_room: bool
    undo: str = ""  # the Undo button's label while the latest step can be undone, else ""
    masked: bool = False  # a restricted patient shown by initials (see patients/display.py)

    @property
    def status_label(self) -> str:
        return S(self.appointment.status).label

    @property
    def reason(self) -> str:
        """The visit reason, or "" for a masked patient."""
        return "" if self.masked else self.appointment.reason


@dataclass
class FlowBoard:
    location: Location
    day: date
    now: datetime  # local
    rows: list[FlowRow]
    rooms: list[Room]
    amber: int
    red: int

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.location)

    @property
    def patient_mrns(self) -> list[str]:
        return list(dict.fromkeys(r.appointment.patient.mrn for r in self.rows))

    @property
    def summary(self) -> list[tuple[str, int]]:
        """(label, how many) for the line above the board: who is still to come, where, who is done."""
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.appointment.status] = counts.get(row.appointment.status, 0) + 1
        return board_summary(counts)


def board_summary(counts: dict[str, int]) -> list[tuple[str, int]]:
    """(label, how many) from the count of each status on the board."""
    done = counts.get(S.CHECKED_OUT, 0) + counts.get(S.COMPLETED, 0)
    return [
        ("To come", counts.get(S.SCHEDULED, 0)),
        ("Waiting room", counts.get(S.ARRIVED, 0)),
        ("Roomed", counts.get(S.ROOMED, 0)),
        ("With provider", counts.get(S.WITH_PROVIDER, 0)),
        ("Done", done),
        ("No-show", counts.get(S.NO_SHOW, 0)),
    ]


def _whole_minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


@dataclass
class _FlowTimes:
    state_since: datetime | None
    minutes_in_state: int | None
    wait_minutes: int | None
    total_wait_minutes: int | None
    late_minutes: int | None
    actions: list[tuple[str, str]]
    can_no_show: bool
    needs_room: bool
    undo: str


def _flow_times(
    status: str,
    starts_at: datetime,
    stamp: Callable[[str], datetime | None],
    telehealth: bool,
    now: datetime,
    undone_at: datetime | None = None,
) -> _FlowTimes:
    """The board's figures for one appointment; `stamp(name)` reads a flow timestamp (None when unset),
    `undone_at` is the time of the appointment's latest undo (see `undone_since`).

    Shared by `flow_row` (model instances) and `flow_board_page` (plain rows), so both say the same.
    """
    since_field = STAMP.get(status)
    since = stamp(since_field) if since_field else None
    wait = None
    if status in _WAITING:
        waiting_since = stamp(_WAITING[status])
        if waiting_since:
            wait = _whole_minutes(now - waiting_since)
    total = None
    arrived = stamp("arrived_at")
    if arrived:
        until = stamp("with_provider_at") or (now if status in _WAITING else None)
        total = _whole_minutes(until - arrived) if until else None
    late = None
    if status == S.SCHEDULED and now > starts_at:
        late = _whole_minutes(now - starts_at)
    following = next_states(status, telehealth=telehealth)
    stepped = stamp(since_field) if since_field else None
    undone = undone_at is not None and stepped is not None and undone_at >= stepped
    can_undo = undo_problem(status, stepped_at=stepped, now=now, undone=undone) is None
    return _FlowTimes(
        state_since=since,
        minutes_in_state=_whole_minutes(now - since) if since else None,
        wait_minutes=wait,
        total_wait_minutes=total,
        late_minutes=late,
        actions=[] if status in FINAL_STATUSES else [(to, ACTION_LABEL[to]) for to in following],
        can_no_show=status == S.SCHEDULED and now >= starts_at,
        needs_room=S.ROOMED in following,
        undo=undo_label(status) if can_undo else "",
    )


def undone_since(*, location: Location, since: datetime) -> dict[int, datetime]:
    """The latest undo at or after `since` of each appointment at `location` (by appointment id):
    one query for a whole board, so rows know whether their latest step was already undone."""
    latest: dict[int, datetime] = {}
    rows = AppointmentChange.objects.filter(appointment__location=location, what=UNDO_WHAT, at__gte=since)
    for appointment_id, at in rows.values_list("appointment_id", "at"):
        latest[appointment_id] = max(at, latest.get(appointment_id, at))
    return latest


def flow_row(
    appointment: Appointment, *, now: datetime, zone: ZoneInfo, lens: PatientLens, undone_at: datetime | None = None
) -> FlowRow:
    """One appointment's board figures; `undone_at` is its latest undo (None: never undone)."""
    times = _flow_times(
        appointment.status,
        appointment.starts_at,
        lambda name: getattr(appointment, name),
        appointment.appointment_type.telehealth,
        now,
        undone_at,
    )
    return FlowRow(
        appointment=appointment,
        label=patient_label(appointment.patient, lens=lens),
        starts=appointment.starts_at.astimezone(zone),
        state_since=times.state_since.astimezone(zone) if times.state_since else None,
        minutes_in_state=times.minutes_in_state,
        wait_minutes=times.wait_minutes,
        total_wait_minutes=times.total_wait_minutes,
        late_minutes=times.late_minutes,
        level=wait_level(times.wait_minutes),
        actions=times.actions,
        can_no_show=times.can_no_show,
        needs_room=times.needs_room,
        undo=times.undo,
        masked=lens.masks(appointment.patient),
    )


def flow_board(*, location: Location, now: datetime, lens: PatientLens = OPENED) -> FlowBoard:
    """Today (in the location's zone) at `location`: every appointment but the cancelled ones,
    in start order, with its state, minutes in that state and minutes waiting."""
    zone = zone_of(location)
    day = now.astimezone(zone).date()
    start, end = day_bounds(day, zone)
    appointments = _with_location(_appointments(location, start, end).exclude(status=S.CANCELLED), location)
    undone = undone_since(location=location, since=start)
    rows = [flow_row(a, now=now, zone=zone, lens=lens, undone_at=undone.get(a.pk)) for a in appointments]
    occupied = {r.appointment.room_id for r in rows if r.appointment.status in (S.ROOMED, S.WITH_PROVIDER)}
    rooms = [r for r in Room.objects.filter(location=location, active=True).order_by("name") if r.pk not in occupied]
    return FlowBoard(location, day, now.astimezone(zone), rows, rooms, wait_amber_minutes(), wait_red_minutes())


@dataclass
class BoardLine:
    """One row of the flow board page, read as plain values (no model instances) and worked out
    once here, so the page renders 300 rows within a refresh's budget."""

    public_id: str
    status: str
    status_label: str
    label: str  # name or MRN (see patient_label)
    time_label: str  # "9:30 AM", local
    since_label: str  # "9:30 AM" the state began, local ("" when not stamped)
    provider: str
    type_name: str
    color: str
    room: str
    minutes_in_state: int | None
    wait_minutes: int | None
    total_wait_minutes: int | None
    late_minutes: int | None
    level: str
    actions: list[tuple[str, str]]
    can_no_show: bool
    needs_room: bool
    undo: str = ""  # the Undo button's label while the latest step can be undone, else ""


@dataclass
class FlowBoardPage:
    """`flow_board` for the HTML page: the same rows as `BoardLine`s and the free rooms as (public id, name).

    `lines` are the patients the desk works with now, `done` those finished for the day (see
    `board_order`); the page lists `done` folded away under its count.
    """

    location: Location
    day: date
    now: datetime  # local
    lines: list[BoardLine]
    rooms: list[tuple[str, str]]
    amber: int
    red: int
    summary: list[tuple[str, int]]
    patient_mrns: list[str]
    done: list[BoardLine] = field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.location)


# In the building, in the order the board lists them; finished for the day, folded away at the bottom.
LIVE_STATUSES = (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER)
DONE_STATUSES = (S.CHECKED_OUT, S.COMPLETED, S.NO_SHOW)


def board_order(status: str, starts_at: datetime, arrived_at: datetime | None) -> tuple:
    """The board's sort key: patients in the building first, who arrived earliest (has waited
    longest) on top; then those still to come by start time (the late ones lead); then the
    finished ones (checked out, done, no-show) by start time."""
    if status in LIVE_STATUSES:
        return (0, arrived_at or starts_at, starts_at)
    if status in DONE_STATUSES:
        return (2, starts_at, starts_at)
    return (1, starts_at, starts_at)


_STAMPS = ("arrived_at", "roomed_at", "with_provider_at", "checked_out_at", "completed_at", "no_show_at")
_PATIENT_NAME = ("first_name", "preferred_name", "middle_name", "suffix", "last_name")
_USER_NAME = ("display_name", "first_name", "last_name", "username")
_LINE_VALUES = (
    "id", "public_id", "status", "starts_at", "room_id", "room__name", "appointment_type__name",
    "appointment_type__color", "appointment_type__telehealth", "patient__mrn",
    *(f"patient__{name}" for name in _PATIENT_NAME), *(f"provider__user__{name}" for name in _USER_NAME), *_STAMPS,
)  # fmt: skip


# The board's `show` filter (?show=late): which of the day's rows to list. The home page counts
# with the same conditions (`flow_show_q`), so its numbers and the lists they open agree.
FLOW_SHOWS: dict[str, str] = {  # key -> what the listed patients are ("Listing only patients who are ...")
    "late": "late (start time passed, not checked in)",
    "to_come": "still to come",
    "checked_in": "checked in (arrived or further)",
    "waiting_room": "in the waiting room, to be roomed",
    "seen": "seen by the provider",
    "done": "checked out or done",
    "no_show": "marked no-show",
}
_IN_AND_AFTER = (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT, S.COMPLETED)


def flow_show_q(show: str, now: datetime) -> Q:
    """The condition of FLOW_SHOWS[`show`] on a day's (not cancelled) appointments at `now`.

    Late is booked with its start time passed and not checked in (the board's "min late"); the
    waiting room is arrived and not telehealth (telehealth visits are never roomed). Raises
    KeyError for an unknown `show`.
    """
    conditions = {
        "late": Q(status=S.SCHEDULED, starts_at__lt=now),
        "to_come": Q(status=S.SCHEDULED, starts_at__gte=now),
        "checked_in": Q(status__in=_IN_AND_AFTER),
        "waiting_room": Q(status=S.ARRIVED, appointment_type__telehealth=False),
        "seen": Q(status__in=(S.WITH_PROVIDER, S.CHECKED_OUT, S.COMPLETED)),
        "done": Q(status__in=(S.CHECKED_OUT, S.COMPLETED)),
        "no_show": Q(status=S.NO_SHOW),
    }
    return conditions[show]


def flow_board_page(*, location: Location, now: datetime, lens: PatientLens = OPENED, show: str = "") -> FlowBoardPage:
    """What `flow_board` shows, for the page that refreshes itself every few seconds: one query
    of plain values for the appointments (patient, provider, type and room joined), one for rooms.

    `show` (a key of FLOW_SHOWS; "" or unknown: everyone) lists only those rows; the summary line
    and the free rooms still come from the whole day (one more query, of two columns).
    """
    zone = zone_of(location)
    day = now.astimezone(zone).date()
    start, end = day_bounds(day, zone)
    day_rows = _appointments(location, start, end).exclude(status=S.CANCELLED)
    rows = day_rows.values(*_LINE_VALUES)
    counts: dict[str, int] = {}
    occupied: set[int] = set()
    filtered = show in FLOW_SHOWS
    if filtered:
        rows = rows.filter(flow_show_q(show, now))
        for status, room_id in day_rows.values_list("status", "room_id"):
            counts[status] = counts.get(status, 0) + 1
            if status in (S.ROOMED, S.WITH_PROVIDER):
                occupied.add(room_id)
    lines: list[tuple[tuple, BoardLine]] = []
    mrns: dict[str, None] = {}
    labels = dict(S.choices)
    providers: dict[tuple, str] = {}
    undone = undone_since(location=location, since=start)
    for row in rows:
        status = row["status"]
        mrns[row["patient__mrn"]] = None
        if not filtered:
            counts[status] = counts.get(status, 0) + 1
            if status in (S.ROOMED, S.WITH_PROVIDER):
                occupied.add(row["room_id"])
        times = _flow_times(
            status, row["starts_at"], row.__getitem__, row["appointment_type__telehealth"], now, undone.get(row["id"])
        )
        who = tuple(row[f"provider__user__{name}"] for name in _USER_NAME)
        if who not in providers:  # User.__str__: display name, else full name, else username
            display, first, last, username = who
            providers[who] = display or f"{first} {last}".strip() or username
        label = lens.name(SimpleNamespace(mrn=row["patient__mrn"], **{n: row[f"patient__{n}"] for n in _PATIENT_NAME}))
        line = BoardLine(
            public_id=str(row["public_id"]),
            status=status,
            status_label=labels[status],
            label=label,
            time_label=clock_text(row["starts_at"].astimezone(zone)),
            since_label=clock_text(times.state_since.astimezone(zone)) if times.state_since else "",
            provider=providers[who],
            type_name=row["appointment_type__name"],
            color=row["appointment_type__color"],
            room=row["room__name"] or "",
            minutes_in_state=times.minutes_in_state,
            wait_minutes=times.wait_minutes,
            total_wait_minutes=times.total_wait_minutes,
            late_minutes=times.late_minutes,
            level=wait_level(times.wait_minutes),
            actions=times.actions,
            can_no_show=times.can_no_show,
            needs_room=times.needs_room,
            undo=times.undo,
        )
        lines.append((board_order(status, row["starts_at"], row["arrived_at"]), line))
    lines.sort(key=lambda keyed: keyed[0])
    rows_now = [line for _, line in lines if line.status not in DONE_STATUSES]
    done = [line for _, line in lines if line.status in DONE_STATUSES]
    rooms = [
        (str(public_id), name)
        for pk, public_id, name in Room.objects.filter(location=location, active=True)
        .order_by("name")
        .values_list("pk", "public_id", "name")
        if pk not in occupied
    ]
    return FlowBoardPage(
        location, day, now.astimezone(zone), rows_now, rooms, wait_amber_minutes(), wait_red_minutes(),
        board_summary(counts), list(mrns), done,
    )  # fmt: skip


# --- Visit timing, for reports ---------------------------------------------------------------


def _between(later: str, earlier: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


def visit_timings(
    *, start: datetime, end: datetime, location: Location | None = None, provider: Provider | None = None
) -> QuerySet[Appointment]:
    """Visits that started in [start, end) and got as far as arrival, each annotated with
    `arrival_to_roomed`, `roomed_to_provider`, `arrival_to_provider` (the patient's wait) and
    `total_visit` (arrival to check-out). A step the visit skipped (telehealth has no rooming)
    or has not reached yet is None. The appointment timestamps are the store; nothing is copied.
    """
    visits = Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end, arrived_at__isnull=False)
    if location is not None:
        visits = visits.filter(location=location)
    if provider is not None:
        visits = visits.filter(provider=provider)
    return visits.annotate(
        arrival_to_roomed=_between("roomed_at", "arrived_at"),
        roomed_to_provider=_between("with_provider_at", "roomed_at"),
        arrival_to_provider=_between("with_provider_at", "arrived_at"),
        total_visit=_between("checked_out_at", "arrived_at"),
    ).order_by("starts_at")


@dataclass
class TimingSummary:
    visits: int
    arrival_to_roomed: timedelta | None
    roomed_to_provider: timedelta | None
    arrival_to_provider: timedelta | None
    total_visit: timedelta | None


def visit_timing_summary(
    *, start: datetime, end: datetime, location: Location | None = None, provider: Provider | None = None
) -> TimingSummary:
    """Averages of `visit_timings` over the visits that have each step (None when none has).

    Averaged in Python over the durations: SQLite returns an average of a duration as a float
    of microseconds and PostgreSQL as an interval, and the per-visit list is small (a day or a
    month of one location).
    """
    names = ("arrival_to_roomed", "roomed_to_provider", "arrival_to_provider", "total_visit")
    visits = visit_timings(start=start, end=end, location=location, provider=provider)
    rows = [{name: getattr(visit, name) for name in names} for visit in visits]

    def mean(name: str) -> timedelta | None:
        values = [row[name] for row in rows if row[name] is not None]
        return sum(values, timedelta()) / len(values) if values else None

    return TimingSummary(
        len(rows),
        mean("arrival_to_roomed"),
        mean("roomed_to_provider"),
        mean("arrival_to_provider"),
        mean("total_visit"),
    )


def location_for(*, public_id: Any) -> Location | None:
    """The location with this public id, or None for a missing or malformed id."""
    wanted = uuid_or_none(public_id) if public_id else None
    return Location.objects.filter(public_id=wanted).first() if wanted else None


def active_locations() -> QuerySet[Location]:
    return Location.objects.filter(active=True).order_by("name")


def providers_named(*, public_ids: Sequence[Any]) -> list[Provider]:
    """Providers with these public ids (unknown or malformed ids are ignored: it is a filter)."""
    valid = [u for u in (uuid_or_none(v) for v in public_ids) if u is not None]
    if not valid:
        return []
    return list(Provider.objects.filter(public_id__in=valid).select_related("user"))


def room_for(*, public_id: Any) -> Room | None:
    """The room with this public id, or None (missing, malformed or empty); the service checks it fits."""
    wanted = uuid_or_none(public_id) if public_id else None
    return Room.objects.select_related("location").filter(public_id=wanted).first() if wanted else None


def rooms_at(*, location: Location) -> list[Room]:
    return list(Room.objects.filter(location=location, active=True).order_by("name"))
