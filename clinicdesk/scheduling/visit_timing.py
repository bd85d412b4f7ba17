"""Visit timing for reports: arrival to rooming, to the clinician, and the whole visit."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import DurationField, ExpressionWrapper, F, QuerySet

from .models import (
    Appointment,
    AppointmentStatus,
    Location,
    Provider,
)

S = AppointmentStatus


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
