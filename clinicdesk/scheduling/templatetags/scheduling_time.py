"""`{% load scheduling_time %}` then `{{ moment|clock }}`: a time of day as "9:30 AM" (see clock.py)."""

from __future__ import annotations

from datetime import datetime, time

from django import template

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
