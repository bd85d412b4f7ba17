"""`{% load scheduling_time %}` then `{{ moment|clock }}`: a time of day as "9:30 AM" (see clock.py)."""

from __future__ import annotations

import re
from datetime import datetime, time

from django import template

from clinicdesk.core.datetimes import weekday_datetime_text
from clinicdesk.scheduling.clock import clock_text

register = template.Library()


# expects_localtime: like Django's `time` filter, an aware datetime is first converted to the
# template's current zone (`{% timezone %}`), and left alone inside `{% localtime off %}`.
@register.filter(expects_localtime=True)
def clock(value: datetime | time | None, arg: str = "") -> str:
    """ "9:30 AM" for a datetime or time (`|clock:"seconds"`: "9:30:05 AM"); "" for None or
    anything else, so `|default:` works."""
    if isinstance(value, datetime | time):
        return clock_text(value, seconds=arg == "seconds")
    return ""


_ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)")


@register.filter
def moments_in_words(text: str, zone: str = "") -> str:
    """`text` with each ISO 8601 moment in it ("2026-12-07T15:00:00+00:00", as the appointment
    history wrote it before it used the house style) as "Mon 12/07/2026 10:00 AM" in `zone`."""

    def words(found: re.Match[str]) -> str:
        moment = datetime.fromisoformat(found[0].replace("Z", "+00:00"))
        return weekday_datetime_text(moment, zone or None)

    return _ISO_MOMENT.sub(words, str(text))
