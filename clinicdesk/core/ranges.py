"""Plausible ranges of the dates, times and numbers ClinicDesk takes in, house-wide.

Every date, date-time and number that arrives through the API or a form is checked against one
of the ranges below before a service sees it, and the services that store the value check again
(an import, a command or another service may call them directly). A value outside its range is
refused with a message that names the field and says the range in words. The point is that
nothing stored can later break a page: a year 0001 cannot be shown in a time zone west of UTC,
and a temperature of 1e308 cannot be converted to Fahrenheit.

Dates, by what they mean (``Span``):

- ``PAST``: something that has happened — a birth, an onset, a signature. From 1 Jan 1900 to
  today.
- ``RECORD``: any date a record may carry, including ones ahead (a coverage's end, a consent's
  expiry, a recall due date, a report filter). From 1 Jan 1900 to ten years from today.
- ``SCHEDULE``: a day on the clinic's calendar (an appointment, hours, an exception, a slot
  search). From ten years before today to ten years after.

Date-times have the same spans; a ``PAST`` moment (a vitals reading) may lie up to five minutes
ahead of now, for clocks a little apart. A clinical reading must also not predate the patient's
birth, which the service that knows the patient checks (`not_before_birth_problem`).

Numbers are finite (never NaN or Infinity) and within the bounds the caller gives.

"Today" and "now" come from `clinicdesk.core.clock` only (today in the practice's time zone).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from clinicdesk.core import clock, datetimes

EARLIEST_DATE = date(1900, 1, 1)
EARLIEST_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)
RECORD_YEARS_AHEAD = 10
SCHEDULE_YEARS = 10
READING_SLACK = timedelta(minutes=5)
# The largest whole number any count, limit or amount field takes: beyond it an integer column
# overflows (SQLite and PostgreSQL bigint stop at 2**63 - 1); every field has tighter bounds.
LARGEST_INTEGER = 2**53


class Span(enum.StrEnum):
    PAST = "past"
    RECORD = "record"
    SCHEDULE = "schedule"


def _years_from(day: date, years: int) -> date:
    """`day` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def date_bounds(span: Span, *, today: date | None = None) -> tuple[date, date]:
    """The first and last date allowed for `span`, inclusive (today: the practice's)."""
    today = today or clock.today()
    if span == Span.PAST:
        return EARLIEST_DATE, today
    if span == Span.RECORD:
        return EARLIEST_DATE, _years_from(today, RECORD_YEARS_AHEAD)
    return _years_from(today, -SCHEDULE_YEARS), _years_from(today, SCHEDULE_YEARS)


def datetime_bounds(span: Span, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The first and last moment allowed for `span`, inclusive, aware (UTC)."""
    now = now or clock.now()
    if span == Span.PAST:
        return EARLIEST_MOMENT, now + READING_SLACK
    year = timedelta(days=365)
    if span == Span.RECORD:
        return EARLIEST_MOMENT, now + RECORD_YEARS_AHEAD * year
    return now - SCHEDULE_YEARS * year, now + SCHEDULE_YEARS * year


def day_text(day: date) -> str:
    """A date for a message in the house style, e.g. "01/01/1900"."""
    return datetimes.date_text(day)


def moment_text(moment: datetime) -> str:
    """A moment for a message, in the practice's time zone, e.g. "03/02/2026 9:05 AM EST"."""
    local = datetimes.local(moment)
    return f"{datetimes.datetime_text(local, local.tzinfo)} {local.tzname()}"


def label_of(field: str) -> str:
    """ "date_of_birth" as "Date of birth"."""
    text = field.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "This value"


_SPAN_WORDS = {
    Span.PAST: "it cannot be in the future",
    Span.RECORD: f"at most {RECORD_YEARS_AHEAD} years ahead",
    Span.SCHEDULE: f"within {SCHEDULE_YEARS} years of today",
}


def date_problem(value: date, span: Span, *, label: str, today: date | None = None) -> str | None:
    """What is wrong with `value` as a date of `span`, in words naming `label`; None if plausible."""
    today = today or clock.today()
    first, last = date_bounds(span, today=today)
    if first <= value <= last:
        return None
    last_words = f"today ({day_text(last)})" if last == today else day_text(last)
    return f"{label} must be between {day_text(first)} and {last_words}; {_SPAN_WORDS[span]} (got {value.isoformat()})."


def datetime_problem(value: datetime, span: Span, *, label: str, now: datetime | None = None) -> str | None:
    """What is wrong with aware `value` as a moment of `span`, in words naming `label`; None if plausible.

    A naive datetime is a problem too (the time zone is part of the moment).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        return f"{label} needs its time zone (ISO 8601 with Z or an offset, e.g. 2026-03-02T14:00:00Z)."
    first, last = datetime_bounds(span, now=now)
    # Compared in UTC by the bounds' own arithmetic: `value` itself may be one that cannot
    # be moved to another zone (year 1 west of UTC), so it is not converted before the check.
    if first <= value <= last:
        return None
    if span == Span.PAST:
        last_words = "now (a few minutes ahead at most, for clocks a little apart)"
    else:
        last_words = moment_text(last)
    return f"{label} must be between {moment_text(first)} and {last_words} (got {value.isoformat()})."


def not_before_birth_problem(value: datetime | date, *, born: date, label: str) -> str | None:
    """The problem when `value` (a reading, an encounter) lies before the patient's birth date.

    A moment counts by its date in the practice's time zone; check the span first, so that
    `value` is one that can be moved to that zone.
    """
    day = value.astimezone(clock.zone_named(None)).date() if isinstance(value, datetime) else value
    if day >= born:
        return None
    return f"{label} ({day.isoformat()}) is before the patient's date of birth ({day_text(born)})."


def number_text(value: Decimal | int) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return f"{value}"


def number_problem(
    value: Decimal | int | float,
    *,
    low: Decimal | int,
    high: Decimal | int,
    label: str,
    places: int | None = None,
) -> str | None:
    """What is wrong with `value` as a number from `low` to `high` (with at most `places`
    decimals; None: a whole number is not required either way); None if it fits."""
    span = f"from {number_text(low)} to {number_text(high)}"
    try:
        number = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError, TypeError):
        return f"{label} must be a number {span}."
    if not number.is_finite():
        return f"{label} must be a number {span} (not NaN or Infinity)."
    if not low <= number <= high:
        shown = f"{float(number):.3g}" if abs(number) >= 10**12 else number_text(number)
        return f"{label} must be {span} (got {shown})."
    if places is not None and -int(number.normalize().as_tuple().exponent) > places:
        if places == 0:
            return f"{label} must be a whole number {span}."
        return f"{label} takes at most {places} decimal places."
    return None


def check(errors: dict[str, str | None]) -> None:
    """Raise one ValidationError naming every field whose problem is not None."""
    found = {field: [problem] for field, problem in errors.items() if problem}
    if found:
        raise ValidationError(found)


def check_date(value: date | None, span: Span, *, field: str, label: str | None = None) -> None:
    """Raise ValidationError on `field` when `value` (None passes) is outside `span`."""
    if value is not None:
        check({field: date_problem(value, span, label=label or label_of(field))})


def check_datetime(value: datetime | None, span: Span, *, field: str, label: str | None = None) -> None:
    """Raise ValidationError on `field` when `value` (None passes) is outside `span` or naive."""
    if value is not None:
        check({field: datetime_problem(value, span, label=label or label_of(field))})
