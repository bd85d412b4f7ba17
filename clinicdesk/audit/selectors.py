from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import ExtractHour, ExtractMinute
from django.utils import timezone

from .models import AuditEvent

# Columns the report may sort by: public name -> model field.
SORTABLE = {
    "seq": "seq",
    "time": "at",
    "person": "actor_username",
    "role": "actor_role",
    "action": "action",
    "object": "object_type",
    "patient": "patient_id",
    "outcome": "outcome",
    "ip": "ip",
}


@dataclass(frozen=True)
class AuditFilter:
    person: str = ""
    patient: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    # Time of day (practice time), each day: from `time_from` up to (not including) `time_to`;
    # when `time_from` is later than `time_to` the window runs through midnight (20:00-06:00).
    time_from: time | None = None
    time_to: time | None = None
    sort: str = "-time"


def _local_day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def minute_of_day(field: str = "at") -> CombinedExpression:
    """The practice-time minute of the day (0-1439) of a datetime column, for time-of-day filters."""
    zone = timezone.get_default_timezone()
    return ExtractHour(field, tzinfo=zone) * 60 + ExtractMinute(field, tzinfo=zone)


def at_time_of_day(qs: QuerySet[AuditEvent], start: time | None, end: time | None) -> QuerySet[AuditEvent]:
    """`qs` limited to events whose practice-time time of day is in [start, end) (a side left
    open when None), through midnight when `start` is later than `end`. Whole minutes."""
    since = start.hour * 60 + start.minute if start is not None else None
    until = end.hour * 60 + end.minute if end is not None else None
    if since is None and until is None:
        return qs
    qs = qs.alias(local_minute=minute_of_day())
    after = Q(local_minute__gte=since) if since is not None else Q()
    before = Q(local_minute__lt=until) if until is not None else Q()
    if since is not None and until is not None and since > until:
        return qs.filter(after | before)
    return qs.filter(after & before)


def audit_events(*, filters: AuditFilter) -> QuerySet[AuditEvent]:
    """Events matching `filters`, in the requested order. Dates are practice-local days, inclusive."""
    qs = AuditEvent.objects.all()
    if filters.person:
        qs = qs.filter(actor_username__iexact=filters.person.strip())
    if filters.patient:
        qs = qs.filter(patient_id=filters.patient.strip())
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.date_from:
        qs = qs.filter(at__gte=_local_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_local_day_start(filters.date_to + timedelta(days=1)))
    qs = at_time_of_day(qs, filters.time_from, filters.time_to)
    key = filters.sort.lstrip("-")
    field = SORTABLE.get(key, "at")
    descending = filters.sort.startswith("-") or key not in SORTABLE
    order = [f"-{field}" if descending else field]
    if field != "seq":
        order.append("-seq" if descending else "seq")
    return qs.order_by(*order)


def audit_events_between(*, start: datetime, end: datetime) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(at__gte=start, at__lt=end).order_by("seq")
