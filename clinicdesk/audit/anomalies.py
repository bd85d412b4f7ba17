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
never stored: the audit trail is the record. Three grouped queries for any period, none of
which converts time zones row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Case, CharField, Count, Func, Value, When
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


class _HourBucket(Func):
    """The hour of a timestamp as text "YYYY-MM-DD HH" (UTC), after adding `minutes`.

    Native on both databases (SQLite's strftime, PostgreSQL's to_char): grouping a week of reads
    through Django's time zone functions calls a Python function per row on SQLite, seconds for
    a busy week. Practice clock hours are UTC hours shifted by the minutes of the zone's offset
    (0 for whole-hour zones such as New York; 30 for India): daylight saving moves by whole hours.
    """

    output_field = CharField()

    def __init__(self, expression: str, *, minutes: int) -> None:
        super().__init__(expression)
        self.minutes = int(minutes)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"strftime('%%Y-%%m-%%d %%H', {sql}, '{self.minutes:+d} minutes')", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"to_char(({sql} AT TIME ZONE 'UTC') + interval '{self.minutes} minutes', 'YYYY-MM-DD HH24')", params


def _day_of(ranges: list[tuple[datetime, datetime, date]]) -> Case:
    """The practice day (ISO text) each `at` belongs to, from (start, end, day) instant ranges;
    NULL outside them. Plain comparisons on the indexed column: no per-row time zone work."""
    return Case(
        *(When(at__gte=start, at__lt=end, then=Value(day.isoformat())) for start, end, day in ranges),
        default=None,
        output_field=CharField(),
    )


def _days(since: datetime, until: datetime, zone) -> list[date]:
    first, last = since.astimezone(zone).date(), until.astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _at(day: date, hour: int, zone) -> datetime:
    return (
        datetime.combine(day, time(hour), zone)
        if hour < 24
        else datetime.combine(day + timedelta(days=1), time.min, zone)
    )


def anomalies_find(*, since: datetime, until: datetime) -> list[Anomaly]:
    """Every finding of the three rules between `since` and `until`, most patients first within a
    rule, rules in RULES order. Practice time for hours and days. Three grouped queries that do
    no time zone work per row (see _HourBucket and _day_of)."""
    zone = timezone.get_default_timezone()
    found: list[Anomaly] = []
    limit = patients_per_hour()
    offset = until.astimezone(zone).utcoffset() or timedelta()
    shift = int(offset.total_seconds() // 60) % 60
    busy = (
        _reads(since, until)
        .annotate(hour=_HourBucket("at", minutes=shift))
        .values("actor_username", "actor_role", "hour")
        .annotate(n=Count("patient_id", distinct=True))
        .filter(n__gt=limit)
        .order_by("-n", "hour", "actor_username")
    )
    for row in busy:
        utc_hour = datetime.strptime(row["hour"], "%Y-%m-%d %H").replace(tzinfo=UTC) - timedelta(minutes=shift)
        hour = utc_hour.astimezone(zone)
        ends = (hour + timedelta(hours=1)).time()
        window = f"{hour:%H:%M}-{ends:%H:%M}"
        found.append(
            Anomaly(
                MANY_PATIENTS, row["actor_username"], _role(row["actor_role"]), hour.date(), row["n"],
                f"{row['actor_username']} opened {row['n']} patients' records, {hour:%a %m/%d} {window}",
                _report(person=row["actor_username"], action=Action.READ, date_from=hour.date().isoformat(),
                        date_to=hour.date().isoformat(), time_from=f"{hour:%H:%M}", time_to=f"{ends:%H:%M}"),
            )
        )  # fmt: skip
    start, end = after_hours()
    days = _days(since, until, zone)
    if start > end:  # through midnight: the early morning and the evening of each day
        nights = [(_at(d, 0, zone), _at(d, end, zone), d) for d in days]
        nights += [(_at(d, start, zone), _at(d, 24, zone), d) for d in days]
    else:
        nights = [(_at(d, start, zone), _at(d, end, zone), d) for d in days]
    late = (
        _reads(since, until)
        .annotate(day=_day_of(nights))
        .filter(day__isnull=False)
        .values("actor_username", "actor_role", "day")
        .annotate(n=Count("patient_id", distinct=True))
        .order_by("-n", "day", "actor_username")
    )
    for row in late:
        day = date.fromisoformat(row["day"])
        found.append(
            Anomaly(
                AFTER_HOURS, row["actor_username"], _role(row["actor_role"]), day, row["n"],
                f"{row['actor_username']} opened {row['n']} patient{'s' if row['n'] != 1 else ''}' records after hours, "
                f"{day:%a %m/%d}",
                _report(person=row["actor_username"], action=Action.READ, date_from=day.isoformat(),
                        date_to=day.isoformat(), time_from=f"{start:02d}:00", time_to=f"{end:02d}:00"),
            )
        )  # fmt: skip
    whole_days = [(_at(d, 0, zone), _at(d, 24, zone), d) for d in days]
    emergencies = (
        AuditEvent.objects.filter(at__gte=since, at__lt=until, action=Action.EMERGENCY_ACCESS)
        .order_by()
        .annotate(day=_day_of(whole_days))
        .values("actor_username", "actor_role", "day")
        .annotate(n=Count("id"))
        .order_by("-day", "-n", "actor_username")
    )
    for row in emergencies:
        day = date.fromisoformat(row["day"])
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
