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
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, CharField, Count, Func, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from clinicdesk.core.capabilities import Role
from clinicdesk.core.datetimes import time_range_text, weekday_date_text

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


_ROLE_LABELS = dict(Role.choices)


@dataclass(frozen=True)
class Anomaly:
    """One finding. Its sentence and the filtered report it opens are worked out when shown:
    a month of findings is listed in full only on the anomalies page."""

    rule: str
    person: str  # username (the audit trail keeps it even when the account is renamed)
    role_code: str  # role at the time
    day: date  # practice day
    count: int  # patients (many_patients, after_hours) or openings (emergency)
    starts: time | None = None  # the hour (many_patients) or the night (after_hours) it concerns
    ends: time | None = None

    @property
    def role(self) -> str:
        return _ROLE_LABELS.get(self.role_code, self.role_code or "no role")

    @property
    def text(self) -> str:
        """One line for people: "luis opened 42 patients' records, Mon 12/07/2026 2:00 PM–3:00 PM"."""
        who, n, day = self.person or "someone", self.count, weekday_date_text(self.day)
        if self.rule == MANY_PATIENTS and self.starts is not None and self.ends is not None:
            return f"{who} opened {n} patients' records, {day} {time_range_text(self.starts, self.ends)}"
        if self.rule == AFTER_HOURS:
            return f"{who} opened {n} patient{'s' if n != 1 else ''}' records after hours, {day}"
        return f"{who} opened {n} restricted record{'s' if n != 1 else ''} with emergency access, {day}"

    @property
    def url(self) -> str:
        """The audit report filtered to the person, the day, the action and the hours concerned."""
        action = Action.EMERGENCY_ACCESS if self.rule == EMERGENCY else Action.READ
        query = {"person": self.person, "action": action, "date_from": self.day.isoformat(),
                 "date_to": self.day.isoformat()}  # fmt: skip
        if self.starts is not None and self.ends is not None:
            query |= {"time_from": f"{self.starts:%H:%M}", "time_to": f"{self.ends:%H:%M}"}
        return f"{reverse('audit:report')}?{urlencode(query)}"


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


def _order(anomaly: Anomaly) -> tuple:
    """Rules in RULES order; within one, most patients first (emergency openings: newest day first)."""
    if anomaly.rule == EMERGENCY:
        return (RULES.index(anomaly.rule), -anomaly.day.toordinal(), -anomaly.count, anomaly.person)
    return (RULES.index(anomaly.rule), -anomaly.count, anomaly.day, anomaly.starts or time.min, anomaly.person)


def anomalies_find(*, since: datetime, until: datetime) -> list[Anomaly]:
    """Every finding of the three rules between `since` and `until`, sorted by `_order`. Practice
    time for hours and days.

    Each rule counts within one practice day, and the audit trail only grows at its end, so the
    findings of the days before today never change: they are kept in the cache, under a key that
    also holds how many events those days have and the hash of their last one (an event written
    into the past, as a bulk load might, makes a new key). Today's are counted each time. Without
    the cache: three grouped queries, none of which converts time zones row by row.
    """
    zone = timezone.get_default_timezone()
    today_start = datetime.combine(until.astimezone(zone).date(), time.min, zone)
    if since >= today_start:
        return sorted(_find(since, until), key=_order)
    past = AuditEvent.objects.filter(at__gte=since, at__lt=today_start)
    last = past.order_by("-at", "-seq").values_list("hash", flat=True).first() or ""
    start, end = after_hours()
    key = f"audit-anomalies:{since.isoformat()}:{today_start.isoformat()}:{patients_per_hour()}:{start}-{end}:{past.count()}:{last}"
    earlier = cache.get(key)
    if earlier is None:
        earlier = _find(since, today_start)
        cache.set(key, earlier, timeout=36 * 3600)
    return sorted([*earlier, *_find(today_start, until)], key=_order)


def _find(since: datetime, until: datetime) -> list[Anomaly]:
    """The three rules' findings between `since` and `until` (whole practice days, or today so far)."""
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
        utc_hour = datetime.fromisoformat(f"{row['hour']}:00+00:00") - timedelta(minutes=shift)
        hour = utc_hour.astimezone(zone)
        ends = (hour + timedelta(hours=1)).time()
        found.append(Anomaly(MANY_PATIENTS, row["actor_username"], row["actor_role"], hour.date(), row["n"],
                             hour.time(), ends))  # fmt: skip
    start, end = after_hours()
    days = _days(since, until, zone)
    if start > end:  # through midnight: the early morning and the evening of each day
        nights = [(_at(d, 0, zone), _at(d, end, zone), d) for d in days]
        nights += [(_at(d, start, zone), _at(d, 24, zone), d) for d in days]
    else:
        nights = [(_at(d, start, zone), _at(d, end, zone), d) for d in days]
    in_the_night = Q()
    for begins, ends_at, _ in nights:
        in_the_night |= Q(at__gte=begins, at__lt=ends_at)
    late = (
        _reads(since, until)
        .filter(in_the_night)  # the day of a row is worked out for night rows only
        .annotate(day=_day_of(nights))
        .filter(day__isnull=False)
        .values("actor_username", "actor_role", "day")
        .annotate(n=Count("patient_id", distinct=True))
        .order_by("-n", "day", "actor_username")
    )
    night_from, night_to = time(start % 24), time(end % 24)
    for row in late:
        found.append(Anomaly(AFTER_HOURS, row["actor_username"], row["actor_role"], date.fromisoformat(row["day"]),
                             row["n"], night_from, night_to))  # fmt: skip
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
        found.append(Anomaly(EMERGENCY, row["actor_username"], row["actor_role"], date.fromisoformat(row["day"]),
                             row["n"]))  # fmt: skip
    return found


def period(now: datetime, days: int = DEFAULT_DAYS) -> tuple[datetime, datetime, date]:
    """The last `days` practice days up to `now` (today included): (since, until, first day)."""
    zone = timezone.get_default_timezone()
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    return datetime.combine(first, time.min, zone), now, first
