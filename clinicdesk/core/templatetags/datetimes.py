"""`{{ value|date_text }}`, `|weekday_date_text`, `|time_text`, `|datetime_text`,
`|weekday_datetime_text`: the house style of core/datetimes.py in templates.

Built into every template (settings.TEMPLATES "builtins"), so no `{% load %}` is needed.
An aware datetime is read in the template's current zone (`{% timezone zone %}`, the
practice's by default) or in the zone given as the argument; inside `{% localtime off %}` it
is shown in its own zone. None or anything that is not a date or time gives "", so
`|default:"—"` works.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import template

from clinicdesk.core import datetimes

register = template.Library()


def _wall(value: Any, zone: Any) -> Any:
    """An aware datetime as naive wall-clock time (in `zone` when given, else in the zone it
    arrived in); anything else as it is."""
    if isinstance(value, datetime):
        return (datetimes.local(value, zone) if zone else value).replace(tzinfo=None)
    return value


# expects_localtime: like Django's `date` filter, an aware datetime arrives converted to the
# template's current zone, and left alone inside `{% localtime off %}`; its own zone is then
# the one shown unless the filter names another.
@register.filter(expects_localtime=True)
def date_text(value: Any, zone: Any = None) -> str:
    """ "12/07/2026"."""
    value = _wall(value, zone)
    return datetimes.date_text(value) if isinstance(value, date) else ""


@register.filter(expects_localtime=True)
def weekday_date_text(value: Any, zone: Any = None) -> str:
    """ "Mon 12/07/2026"."""
    value = _wall(value, zone)
    return datetimes.weekday_date_text(value) if isinstance(value, date) else ""


@register.filter(expects_localtime=True)
def time_text(value: Any, zone: Any = None) -> str:
    """ "4:17 PM"."""
    value = _wall(value, zone)
    return datetimes.time_text(value) if isinstance(value, (datetime, time)) else ""


@register.filter(expects_localtime=True)
def datetime_text(value: Any, zone: Any = None) -> str:
    """ "12/07/2026 4:17 PM"; a plain date gives its date alone."""
    value = _wall(value, zone)
    if isinstance(value, datetime):
        return datetimes.datetime_text(value)
    return datetimes.date_text(value) if isinstance(value, date) else ""


@register.filter(expects_localtime=True)
def weekday_datetime_text(value: Any, zone: Any = None) -> str:
    """ "Mon 12/07/2026 4:17 PM"."""
    value = _wall(value, zone)
    if isinstance(value, datetime):
        return datetimes.weekday_datetime_text(value)
    return datetimes.weekday_date_text(value) if isinstance(value, date) else ""
