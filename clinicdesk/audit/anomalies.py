"""Access anomalies: a few plain rules over the audit trail that a privacy officer reviews.

Each rule is simple enough to explain in one sentence and to check by hand in the audit report,
which each finding links to, filtered to the person, the day and the time window concerned:

- **many_patients** — one person opened the records of more than `PATIENTS_PER_HOUR` different
  patients within one clock hour (practice time). Reads only (`read` events naming a patient).
- **after_hours** — one person opened patients' records between `AFTER_HOURS` start and end
  (20:00-06:00 practice time unless set): one finding per person and day, with how many patients.
- **emergency** — one person opened restricted records with emergency access ("break the
  glass"): one finding per person and day, with how many openings. The reviews themselves are
  in the emergency access review queue.

Thresholds come from settings (`CLINICDESK_ANOMALY_PATIENTS_PER_HOUR`,
`CLINICDESK_ANOMALY_AFTER_HOURS` as (start hour, end hour)). Findings are computed when asked,
never stored: the audit trail is the record. Three grouped queries for any period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import ExtractHour, TruncDate, TruncHour
from django.urls import reverse
from django.utils import timezone

from clinicdesk.core.capabilities import Role

from .models import Action, AuditEvent

MANY_PATIENTS = "many_patients"
AFTER_HOURS = "after_hours"
EMERGENCY = "emergency"
DEFAULT_DAYS = 7
MAX_DAYS = 31


def patients_per_hour() -> int:
    return int(getattr(settings, "CLINICDESK_ANOMALY_PATIENTS_PER_HOUR", 30))


def after_hours() -> tuple[int, int]:
    """(start hour, end hour) of the night, practice time: (20, 6) is 20:00 to 06:00."""
    start, end = getattr(settings, "CLINICDESK_ANOMALY_AFTER_HOURS", (20, 6))
    return int(start), int(end)


def rule_text(rule: str) -> str:
    """One sentence that says what `rule` finds, with the thresholds in force."""
    start, end = after_hours()
    return {
        MANY_PATIENTS: f"More than {patients_per_hour()} different patients' records opened by one person within one hour.",
        AFTER_HOURS: f"Patients' records opened between {start:02d}:00 and {end:02d}:00.",
        EMERGENCY: "Restricted records opened with emergency access.",
    }[rule]


RULES = (MANY_PATIENTS, AFTER_HOURS, EMERGENCY)
RULE_TITLES = {
    MANY_PATIENTS: "Many records in one hour",
    AFTER_HOURS: "Records opened after hours",
    EMERGENCY: "Emergency access openings",
}


@dataclass(frozen=True)
class Anomaly:
    rule: str
    person: str  # username (the audit trail keeps it even when the account is renamed)
    role: str  # role label at the time
    day: date  # practice day
    count: int  # patients (many_patients, after_hours) or openings (emergency)
    text: str  # one line for people: "luis opened 42 patients' records, Mon 12/07 14:00-15:00"
    url: str  # the audit report filtered to it


def _report(**query: str) -> str:
    return f"{reverse('audit:report')}?{urlencode(query)}"


def _role(code: str) -> str:
    return Role(code).label if code in Role.values else (code or "no role")


def _reads(since: datetime, until: datetime):
    return (
        AuditEvent.objects.filter(at__gte=since, at__lt=until, action=Action.READ)
        .exclude(patient_id="")
        .exclude(actor_username="")
        .order_by()
    )


def anomalies_find(*, since: datetime, until: datetime) -> list[Anomaly]:
    """Every finding of the three rules between `since` and `until`, most patients first within a
    rule, rules in RULES order. Practice time for hours and days."""
    zone = timezone.get_default_timezone()
    found: list[Anomaly] = []
    limit = patients_per_hour()
    busy = (
        _reads(since, until)
        .annotate(hour=TruncHour("at", tzinfo=zone))
        .values("actor_username", "actor_role", "hour")
        .annotate(n=Count("patient_id", distinct=True))
        .filter(n__gt=limit)
        .order_by("-n", "hour", "actor_username")
    )
    for row in busy:
        hour = row["hour"].astimezone(zone)
        ends = (hour + timedelta(hours=1)).time()
        window = f"{hour:%H}:00-{ends:%H}:00"
        found.append(
            Anomaly(
                MANY_PATIENTS, row["actor_username"], _role(row["actor_role"]), hour.date(), row["n"],
                f"{row['actor_username']} opened {row['n']} patients' records, {hour:%a %m/%d} {window}",
                _report(person=row["actor_username"], action=Action.READ, date_from=hour.date().isoformat(),
                        date_to=hour.date().isoformat(), time_from=f"{hour:%H}:00", time_to=f"{ends:%H}:00"),
            )
        )  # fmt: skip
    start, end = after_hours()
    night = (
        Q(local_hour__gte=start) | Q(local_hour__lt=end)
        if start > end
        else Q(local_hour__gte=start, local_hour__lt=end)
    )
    late = (
        _reads(since, until)
        .alias(local_hour=ExtractHour("at", tzinfo=zone))
        .filter(night)
        .annotate(day=TruncDate("at", tzinfo=zone))
        .values("actor_username", "actor_role", "day")
        .annotate(n=Count("patient_id", distinct=True))
        .order_by("-n", "day", "actor_username")
    )
    for row in late:
        day = row["day"]
        found.append(
            Anomaly(
                AFTER_HOURS, row["actor_username"], _role(row["actor_role"]), day, row["n"],
                f"{row['actor_username']} opened {row['n']} patient{'s' if row['n'] != 1 else ''}' records after hours, "
                f"{day:%a %m/%d}",
                _report(person=row["actor_username"], action=Action.READ, date_from=day.isoformat(),
                        date_to=day.isoformat(), time_from=f"{start:02d}:00", time_to=f"{end:02d}:00"),
            )
        )  # fmt: skip
    emergencies = (
        AuditEvent.objects.filter(at__gte=since, at__lt=until, action=Action.EMERGENCY_ACCESS)
        .order_by()
        .annotate(day=TruncDate("at", tzinfo=zone))
        .values("actor_username", "actor_role", "day")
        .annotate(n=Count("id"))
        .order_by("-day", "-n", "actor_username")
    )
    for row in emergencies:
        day = row["day"]
        found.append(
            Anomaly(
                EMERGENCY, row["actor_username"], _role(row["actor_role"]), day, row["n"],
                f"{row['actor_username'] or 'someone'} opened {row['n']} restricted record"
                f"{'s' if row['n'] != 1 else ''} with emergency access, {day:%a %m/%d}",
                _report(person=row["actor_username"], action=Action.EMERGENCY_ACCESS, date_from=day.isoformat(),
                        date_to=day.isoformat()),
            )
        )  # fmt: skip
    return found


def period(now: datetime, days: int = DEFAULT_DAYS) -> tuple[datetime, datetime, date]:
    """The last `days` practice days up to `now` (today included): (since, until, first day)."""
    zone = timezone.get_default_timezone()
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    return datetime.combine(first, time.min, zone), now, first
