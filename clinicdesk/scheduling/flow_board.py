"""The flow board: who is in the building, in which state, and for how long.

The board holds PHI (patient names): views and endpoints call it through `calendar_access`,
which checks the capability and audits the read. It costs a fixed number of queries however
many visits the day holds.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.db.models import Q

from clinicdesk.patients.display import OPENED, PatientLens

from .clock import clock_text
from .flow import ACTION_LABEL, FINAL_STATUSES, STAMP, UNDO_WHAT, next_states, undo_label, undo_problem
from .models import (
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    Location,
    Room,
)
from .selectors_calendar import (
    appointments_between,
    day_bounds,
    patient_label,
    wait_amber_minutes,
    wait_red_minutes,
    with_location,
    zone_of,
)

S = AppointmentStatus


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
    appointments = with_location(appointments_between(location, start, end).exclude(status=S.CANCELLED), location)
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
    day_rows = appointments_between(location, start, end).exclude(status=S.CANCELLED)
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
