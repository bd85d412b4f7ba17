"""Dates and times as people read them: the one house style of every page, PDF, message and
export meant for a person.

| function | example |
|---|---|
| `date_text` | 12/07/2026 |
| `weekday_date_text` | Mon 12/07/2026 |
| `time_text` | 4:17 PM |
| `datetime_text` | 12/07/2026 4:17 PM |

A moment (an aware datetime) is always shown in the zone it is given (a location's zone, or
the practice's `TIME_ZONE` when None), never in the server's. A plain `date` or `time` is
shown as it is. Machine formats — ISO 8601 in the API and in `datetime=`/`value=` attributes,
CSV columns meant for import, iCal, X12 — are not people's text and do not come from here.
`core/tests/test_datetimes.py` fails on any other `strftime` or `|date:"…"` in the tree
outside an allow-list of machine formats.

In templates `{{ value|date_text }}`, `|weekday_date_text`, `|time_text`, `|datetime_text`
(built in, no `{% load %}`) read an aware datetime in the template's current zone (set with
`{% timezone zone %}`; the practice's by default), or in the zone given as the argument
(`{{ appointment.starts_at|datetime_text:location.time_zone }}`).
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from clinicdesk.core import clock

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def local(moment: datetime, zone: tzinfo | str | None = None) -> datetime:
    """`moment` as wall-clock time in `zone` (the practice's when None).

    A naive datetime is taken as already being wall-clock time and comes back as it is.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment
    return moment.astimezone(clock.zone_named(zone))


def _day(value: date | datetime, zone: tzinfo | str | None) -> date:
    return local(value, zone).date() if isinstance(value, datetime) else value


def date_text(value: date | datetime | None, zone: tzinfo | str | None = None) -> str:
    """ "12/07/2026" ("" for None). A datetime's date is the one in `zone`, so 11 PM in New
    York on the 7th is the 7th even though it is the 8th in UTC."""
    if value is None:
        return ""
    day = _day(value, zone)
    return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"


def weekday_date_text(value: date | datetime, zone: tzinfo | str | None = None) -> str:
    """ "Mon 12/07/2026"."""
    day = _day(value, zone)
    return f"{WEEKDAYS[day.weekday()]} {day.month:02d}/{day.day:02d}/{day.year:04d}"


def time_text(value: datetime | time, zone: tzinfo | str | None = None, *, seconds: bool = False) -> str:
    """ "4:17 PM" (midnight "12:00 AM", noon "12:00 PM"); with `seconds`, "4:17:05 PM".

    An aware datetime is read in `zone`; a naive datetime or a time as it is.
    """
    moment = local(value, zone) if isinstance(value, datetime) else value
    hour = moment.hour % 12 or 12
    extra = f":{moment.second:02d}" if seconds else ""
    return f"{hour}:{moment.minute:02d}{extra} {'AM' if moment.hour < 12 else 'PM'}"


def datetime_text(value: datetime, zone: tzinfo | str | None = None, *, seconds: bool = False) -> str:
    """ "12/07/2026 4:17 PM", both parts read in `zone`."""
    moment = local(value, zone).replace(tzinfo=None)
    return f"{date_text(moment)} {time_text(moment, seconds=seconds)}"


def weekday_datetime_text(value: datetime, zone: tzinfo | str | None = None) -> str:
    """ "Mon 12/07/2026 4:17 PM"."""
    moment = local(value, zone).replace(tzinfo=None)
    return f"{weekday_date_text(moment)} {time_text(moment)}"


def time_range_text(start: datetime | time, end: datetime | time, zone: tzinfo | str | None = None) -> str:
    """ "9:30 AM–10:00 AM"."""
    return f"{time_text(start, zone)}–{time_text(end, zone)}"
