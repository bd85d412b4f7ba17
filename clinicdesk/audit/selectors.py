from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
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
    sort: str = "-time"


def _local_day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


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
    key = filters.sort.lstrip("-")
    field = SORTABLE.get(key, "at")
    descending = filters.sort.startswith("-") or key not in SORTABLE
    order = [f"-{field}" if descending else field]
    if field != "seq":
        order.append("-seq" if descending else "seq")
    return qs.order_by(*order)


def audit_events_between(*, start: datetime, end: datetime) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(at__gte=start, at__lt=end).order_by("seq")
