"""What the calendar, the flow board and the worklists share: the location's zone and day, the
day's appointments in one query, how a patient is named on a schedule, booking links, and the
lookups of locations, rooms and providers their pages filter by.

The day and week grids are in calendar_grid.py, the flow board in flow_board.py, visit timing
for reports in visit_timing.py. Reads that return PHI (patient names) are called through
`calendar_access`, which checks the capability and writes the read to the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from clinicdesk.core.lookups import uuid_or_none
from clinicdesk.patients.display import PatientLens

from .models import (
    Appointment,
    AppointmentStatus,
    Location,
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


def appointments_between(location: Location, start: datetime, end: datetime) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(on_day_q(location, start, end))
        .select_related("patient", "provider__user", "appointment_type", "room")
        .only(*_GRID_FIELDS)
        .order_by("starts_at", "id")
    )


def with_location(appointments: Iterable[Appointment], location: Location) -> list[Appointment]:
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


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def book_url(*, provider: Provider, location: Location, start: datetime) -> str:
    """The booking page for an open time: provider, location and start (ISO 8601 UTC) as the query."""
    query = urlencode(
        {"provider": str(provider.public_id), "location": str(location.public_id), "start": utc_text(start)}
    )
    return f"{_book_base()}?{query}"


def book_prefix(*, provider: Provider, location: Location) -> str:
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
