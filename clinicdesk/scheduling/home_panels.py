"""Scheduling's panels on the home page (see core/home.py): today at a location for the front
desk, the confirmations to make, freed slots the waitlist fits, the waiting room for the nurse,
and every location's day for the office manager.

Each number is one aggregate over the day's appointments, counted with the same conditions the
list it links to uses (`flow_board.flow_show_q` for the flow board's `?show=`), so the
number and the list agree. "Today" is the location's own day. Counts only, never names: the
lists behind them are audited where they show patients.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Exists, Min, OuterRef, Q
from django.urls import reverse

from clinicdesk.accounts.models import EmergencyAccess, RestrictedRecord
from clinicdesk.core import home
from clinicdesk.core.capabilities import Cap, Role
from clinicdesk.core.datetimes import weekday_date_text
from clinicdesk.core.home import Choice, Figure, PanelContent, PanelRequest, Section

from . import flow_board as boards
from . import selectors_calendar as cal
from .confirmations import default_window
from .models import Appointment, AppointmentStatus, ConfirmationStatus, Location, WaitlistEntry
from .waitlist import FREED_SLOT_DAYS, freed_slots_with_matches

S = AppointmentStatus
NO_LOCATION = "No location is set up yet. The office manager adds locations under Practice setup."


# --- Shared by the panels of one page ---------------------------------------------------------


def home_location(asked: PanelRequest) -> tuple[Location | None, list[Location]]:
    """The location the page is about (?location=, else the first active one) and all active ones.

    Read once per page and shared by every panel that needs it (the clinical panels too).
    """

    def compute() -> tuple[Location | None, list[Location]]:
        locations = list(cal.active_locations())
        wanted = asked.params.get("location", "")
        chosen = next((loc for loc in locations if str(loc.public_id) == wanted), None)
        return chosen or (locations[0] if locations else None), locations

    return asked.shared("scheduling.location", compute)


def location_choice(asked: PanelRequest) -> Choice | None:
    """The location chooser a panel shows above its numbers (only when there is more than one)."""
    chosen, locations = home_location(asked)
    if chosen is None or len(locations) < 2:
        return None
    options = [(str(loc.public_id), loc.name) for loc in locations]
    return Choice(name="location", label="Location", options=options, selected=str(chosen.public_id))


def location_day(location: Location, now: datetime) -> tuple[date, datetime, datetime]:
    """Today at `location` (its own time zone) and the instants that day starts and ends."""
    zone = cal.zone_of(location)
    day = now.astimezone(zone).date()
    start, end = cal.day_bounds(day, zone)
    return day, start, end


def day_text(day: date) -> str:
    return weekday_date_text(day)


def board_url(location: Location, show: str = "") -> str:
    """The flow board of `location` today, listing only FLOW_SHOWS[`show`] when given."""
    query = {"location": str(location.public_id), **({"show": show} if show else {})}
    return f"{reverse('scheduling_flow:board')}?{urlencode(query)}"


def minutes_text(delta: timedelta | None) -> str:
    """ "14 min", "1 h 05 min"; "—" for None (nothing to average)."""
    if delta is None:
        return "—"
    minutes = max(0, round(delta.total_seconds() / 60))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _day_rows(location: Location, now: datetime):
    _, start, end = location_day(location, now)
    return Appointment.objects.filter(cal.on_day_q(location, start, end)).exclude(status=S.CANCELLED)


# --- Front desk --------------------------------------------------------------------------------

FRONT_DESK_FIGURES = (
    ("late", "Late, not checked in", True),
    ("to_come", "Still to come", False),
    ("checked_in", "Checked in", False),
    ("no_show", "No-shows", False),
)


def front_desk_today(asked: PanelRequest) -> PanelContent:
    """Today's arrivals at the chosen location: booked, late, still to come, checked in, no-shows."""
    location, _ = home_location(asked)
    if location is None:
        return PanelContent(empty=NO_LOCATION)
    day, _, _ = location_day(location, asked.now)
    counts = _day_rows(location, asked.now).aggregate(
        booked=Count("id"),
        **{key: Count("id", filter=boards.flow_show_q(key, asked.now)) for key, _, _ in FRONT_DESK_FIGURES},
    )
    figures = [Figure("Booked today", counts["booked"], board_url(location))]
    for key, label, urgent in FRONT_DESK_FIGURES:
        figures.append(Figure(label, counts[key], board_url(location, key), attention=urgent and counts[key] > 0))
    return PanelContent(
        sections=[Section(figures)], note=f"{location.name}, {day_text(day)}", choice=location_choice(asked)
    )


def confirmations_due(asked: PanelRequest) -> PanelContent:
    """Scheduled visits of the next working days not confirmed yet, as the confirmations worklist lists them."""
    location, _ = home_location(asked)
    if location is None:
        return PanelContent(empty=NO_LOCATION)
    today, _, _ = location_day(location, asked.now)
    first, last = default_window(today)
    zone = cal.zone_of(location)
    start, _ = cal.day_bounds(first, zone)
    _, end = cal.day_bounds(last, zone)
    counts = Appointment.objects.filter(
        location=location, starts_at__gte=start, starts_at__lt=end, status=S.SCHEDULED
    ).aggregate(
        unconfirmed=Count("id", filter=Q(confirmation=ConfirmationStatus.UNCONFIRMED)),
        left_message=Count("id", filter=Q(confirmation=ConfirmationStatus.LEFT_MESSAGE)),
    )
    base = {"location": str(location.public_id), "start": first.isoformat(), "end": last.isoformat()}
    worklist = reverse("scheduling:confirmations")

    def link(status: str) -> str:
        return f"{worklist}?{urlencode({**base, 'confirmation': status})}"

    return PanelContent(
        sections=[
            Section(
                [
                    Figure("Not reached yet", counts["unconfirmed"], link(ConfirmationStatus.UNCONFIRMED)),
                    Figure("Left a message", counts["left_message"], link(ConfirmationStatus.LEFT_MESSAGE)),
                ]
            )
        ],
        note=f"Visits of {weekday_date_text(first)}"
        + (f" to {weekday_date_text(last)}" if last != first else "")
        + f" at {location.name}",
    )


def _waiting_patients(actor, today: date, now: datetime) -> int:
    """Active, unexpired waitlist entries `actor` would see on the waitlist page (restricted records
    without a live emergency grant are left out there, so here too)."""
    restricted = Exists(RestrictedRecord.objects.filter(patient_id=OuterRef("patient__mrn")))
    granted = Exists(
        EmergencyAccess.objects.filter(user=actor, patient_id=OuterRef("patient__mrn"), expires_at__gt=now)
    )
    return (
        WaitlistEntry.objects.filter(active=True, wait_until__gte=today)
        .annotate(restricted=restricted, granted=granted)
        .exclude(restricted=True, granted=False)
        .count()
    )


def waitlist_matches(asked: PanelRequest) -> PanelContent:
    """Freed slots of the coming days that someone on the waitlist fits, and how many are waiting."""
    location, _ = home_location(asked)
    if location is None:
        return PanelContent(empty=NO_LOCATION)
    today, _, _ = location_day(location, asked.now)
    freed = freed_slots_with_matches(location=location, now=asked.now, today=today)
    page = reverse("scheduling:waitlist")
    here = f"{page}?{urlencode({'location': str(location.public_id)})}"
    waiting = _waiting_patients(asked.user, today, asked.now)
    return PanelContent(
        sections=[
            Section(
                [
                    Figure(
                        "Freed slots someone fits",
                        len(freed),
                        f"{here}#freed-slots",
                        hint=f"next {FREED_SLOT_DAYS} days",
                        attention=bool(freed),
                    ),
                    Figure("Patients waiting", waiting, page),
                ]
            )
        ],
        note=location.name,
    )


# --- Nurse -------------------------------------------------------------------------------------


def waiting_room(asked: PanelRequest) -> PanelContent:
    """Patients checked in and waiting to be roomed at the chosen location, and the longest wait."""
    location, _ = home_location(asked)
    if location is None:
        return PanelContent(empty=NO_LOCATION)
    day, _, _ = location_day(location, asked.now)
    found = (
        _day_rows(location, asked.now)
        .filter(boards.flow_show_q("waiting_room", asked.now))
        .aggregate(n=Count("id"), first=Min("arrived_at"))
    )
    longest = asked.now - found["first"] if found["first"] else None
    level = boards.wait_level(round(longest.total_seconds() // 60) if longest else None)
    url = board_url(location, "waiting_room")
    return PanelContent(
        sections=[
            Section(
                [
                    Figure("To be roomed", found["n"], url),
                    Figure(
                        "Longest wait",
                        minutes_text(longest),
                        url,
                        hint="since check-in",
                        attention=level != "ok",
                    ),
                ]
            )
        ],
        note=f"{location.name}, {day_text(day)}",
        choice=location_choice(asked),
    )


# --- Office manager ----------------------------------------------------------------------------


def practice_today(asked: PanelRequest) -> PanelContent:
    """Every active location's day: visits booked, no-shows, and the average wait (check-in to
    provider) and visit (check-in to check-out) from the flow timestamps. Three queries however
    many locations there are."""
    _, locations = home_location(asked)
    if not locations:
        return PanelContent(empty=NO_LOCATION)
    now = asked.now
    on_day = Q()
    for location in locations:
        _, start, end = location_day(location, now)
        on_day |= cal.on_day_q(location, start, end)
    rows = Appointment.objects.filter(on_day).exclude(status=S.CANCELLED)
    counts = {
        row["location_id"]: row
        for row in rows.values("location_id").annotate(
            booked=Count("id"), no_show=Count("id", filter=boards.flow_show_q("no_show", now))
        )
    }
    waits: dict[int, list[timedelta]] = {}
    stays: dict[int, list[timedelta]] = {}
    seen = rows.filter(boards.flow_show_q("seen", now), arrived_at__isnull=False)
    for location_id, status, arrived, with_provider, checked_out in seen.values_list(
        "location_id", "status", "arrived_at", "with_provider_at", "checked_out_at"
    ):
        if arrived is None:  # filtered out above; the column is nullable
            continue
        if with_provider is not None:
            waits.setdefault(location_id, []).append(with_provider - arrived)
        if checked_out is not None and status in (S.CHECKED_OUT, S.COMPLETED):
            stays.setdefault(location_id, []).append(checked_out - arrived)

    def mean(values: list[timedelta]) -> timedelta | None:
        return sum(values, timedelta()) / len(values) if values else None

    sections = []
    for location in locations:
        row = counts.get(location.pk, {"booked": 0, "no_show": 0})
        wait, stay = waits.get(location.pk, []), stays.get(location.pk, [])
        sections.append(
            Section(
                [
                    Figure("Visits today", row["booked"], board_url(location)),
                    Figure("No-shows", row["no_show"], board_url(location, "no_show")),
                    Figure(
                        "Average wait",
                        minutes_text(mean(wait)),
                        board_url(location, "seen"),
                        hint=f"check-in to provider, {len(wait)} visit{'s' if len(wait) != 1 else ''}",
                    ),
                    Figure(
                        "Average visit",
                        minutes_text(mean(stay)),
                        board_url(location, "done"),
                        hint=f"check-in to check-out, {len(stay)} visit{'s' if len(stay) != 1 else ''}",
                    ),
                ],
                heading=location.name,
            )
        )
    return PanelContent(sections=sections, note=day_text(location_day(locations[0], now)[0]), wide=len(locations) > 1)


home.register(
    name="scheduling.front_desk_today",
    title="Today's arrivals",
    capability=Cap.SCHEDULE_READ,
    roles={Role.FRONT_DESK},
    order=10,
    build=front_desk_today,
)
home.register(
    name="scheduling.confirmations",
    title="Confirmations to make",
    capability=Cap.SCHEDULE_READ,
    roles={Role.FRONT_DESK},
    order=20,
    build=confirmations_due,
)
home.register(
    name="scheduling.waitlist",
    title="Waitlist matches",
    capability=Cap.SCHEDULE_READ,
    roles={Role.FRONT_DESK},
    order=40,
    build=waitlist_matches,
)
home.register(
    name="scheduling.waiting_room",
    title="Waiting to be roomed",
    capability=Cap.SCHEDULE_READ,
    roles={Role.NURSE},
    order=10,
    build=waiting_room,
)
home.register(
    name="scheduling.practice_today",
    title="Today's visits",
    capability=Cap.SCHEDULE_READ,
    roles={Role.OFFICE_MANAGER},
    order=10,
    build=practice_today,
)
