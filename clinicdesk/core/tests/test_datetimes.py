"""People's dates and times: one house style (core/datetimes.py), and nothing else in the tree."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.test import override_settings

from clinicdesk.core import datetimes

NEW_YORK = ZoneInfo("America/New_York")


def test_a_moment_is_shown_in_the_house_style_in_the_zone_given():
    # 04:17 UTC on the 8th is 11:17 PM on the 7th in New York and 8:17 PM in Los Angeles.
    moment = datetime(2026, 12, 8, 4, 17, 5, tzinfo=UTC)
    assert datetimes.date_text(moment, NEW_YORK) == "12/07/2026"
    assert datetimes.weekday_date_text(moment, NEW_YORK) == "Mon 12/07/2026"
    assert datetimes.time_text(moment, NEW_YORK) == "11:17 PM"
    assert datetimes.time_text(moment, NEW_YORK, seconds=True) == "11:17:05 PM"
    assert datetimes.datetime_text(moment, NEW_YORK) == "12/07/2026 11:17 PM"
    assert datetimes.datetime_text(moment, "America/Los_Angeles") == "12/07/2026 8:17 PM"
    assert datetimes.weekday_datetime_text(moment, "UTC") == "Tue 12/08/2026 4:17 AM"


@override_settings(TIME_ZONE="America/Chicago")
def test_without_a_zone_the_practice_zone_is_used():
    assert datetimes.datetime_text(datetime(2026, 7, 1, 17, 0, tzinfo=UTC)) == "07/01/2026 12:00 PM"


def test_midnight_noon_and_plain_dates_and_times():
    assert datetimes.time_text(time(0, 5)) == "12:05 AM"
    assert datetimes.time_text(time(12, 0)) == "12:00 PM"
    assert datetimes.date_text(date(1907, 3, 4)) == "03/04/1907"
    assert datetimes.weekday_date_text(date(2027, 1, 3)) == "Sun 01/03/2027"
    assert datetimes.time_range_text(time(9, 30), time(10, 0)) == "9:30 AM–10:00 AM"


@override_settings(TIME_ZONE="America/New_York")
def test_the_template_filters_follow_the_current_zone_or_the_one_named():
    moment = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # the morning the clocks go forward: 3:30 AM EDT
    text = Template(
        "{% load tz %}{{ m|date_text }}|{{ m|weekday_date_text }}|{{ m|time_text }}|{{ m|datetime_text }}|"
        "{{ m|datetime_text:'America/Denver' }}|{% timezone 'Asia/Tokyo' %}{{ m|datetime_text }}{% endtimezone %}|"
        "{{ d|date_text }}|{{ none|date_text|default:'—' }}|{{ 'text'|time_text }}"
    ).render(Context({"m": moment, "d": date(2026, 12, 7), "none": None}))
    assert text.split("|") == [
        "03/08/2026",
        "Sun 03/08/2026",
        "3:30 AM",
        "03/08/2026 3:30 AM",
        "03/08/2026 12:30 AM",  # Denver changes its clocks two hours later
        "03/08/2026 4:30 PM",
        "12/07/2026",
        "—",
        "",
    ]


# --- Nothing else formats a date for people ------------------------------------------------

PACKAGE = Path(__file__).resolve().parents[2]
THE_MODULE = PACKAGE / "core" / "datetimes.py"
# Machine formats: ISO 8601 and compact stamps for the API, iCal, the audit chain, file names
# and links. They are not people's text and may be written anywhere.
MACHINE_FORMATS = {
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y%m%dT%H%M%SZ",
    "%Y%m%d",
    "%Y%m%d-%H%M",
}
# Formats that could be people's text, allowed only where they are a machine value.
MACHINE_FORMATS_AT = {
    ("audit/anomalies.py", "%H:%M"),  # the time_from/time_to values of an audit report link
    ("clinical/chart_views.py", "%Y-%m-%d"),  # a PDF's file name
}
# In templates, only inside a tag (a `value=`, `datetime=` or link attribute), never as text;
# "e" (the zone's name, "EST") is not a date and may stand anywhere.
TEMPLATE_MACHINE_FORMATS = {"c", "Y-m-d", "U", "H:i"}
TEMPLATE_FORMAT = re.compile(r"\|\s*(?:date|time)\s*:\s*([\"'])(.*?)\1")


def python_formats(source: str) -> list[tuple[int, str]]:
    """(line, format) of every strftime call and every f-string `{x:%...}` in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "strftime":
            arg = node.args[0] if node.args else None
            found.append((node.lineno, arg.value if isinstance(arg, ast.Constant) else "<not a constant>"))
        elif isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
            spec = "".join(str(v.value) for v in node.format_spec.values if isinstance(v, ast.Constant))
            if "%" in spec:
                found.append((node.lineno, spec))
    return sorted((line, str(fmt)) for line, fmt in found)


def template_formats(source: str) -> list[tuple[int, str]]:
    """(line, format) of every `|date:"…"`/`|time:"…"` in `source` that is people's text."""
    found = []
    for match in TEMPLATE_FORMAT.finditer(source):
        before = source[: match.start()]
        inside_a_tag = before.rfind("<") > before.rfind(">")
        if match[2] != "e" and not (inside_a_tag and match[2] in TEMPLATE_MACHINE_FORMATS):
            found.append((before.count("\n") + 1, match[2]))
    return found


def _sources(suffix: str):
    for path in sorted(PACKAGE.rglob(f"*{suffix}")):
        if "migrations" in path.parts or "tests" in path.parts or path == THE_MODULE:
            continue
        yield path, str(path.relative_to(PACKAGE))


def test_the_scanners_find_a_date_style_written_by_hand():
    source = 'a = f"{day:%B} {day.day}"\nb = moment.strftime("%H:%M")\nc = stamp.strftime("%Y%m%d")\nd = f"{n:>5}"\n'
    assert python_formats(source) == [(1, "%B"), (2, "%H:%M"), (3, "%Y%m%d")]
    page = '<td>{{ a|date:"m/d/Y" }}</td><input value="{{ b|date:\'Y-m-d\' }}">\n<p>{{ c|date:"Y-m-d" }}</p>'
    assert template_formats(page) == [(1, "m/d/Y"), (2, "Y-m-d")]


def test_dates_for_people_are_formatted_only_in_core_datetimes():
    offenders = [
        f"{name}:{line} {fmt!r}"
        for path, name in _sources(".py")
        for line, fmt in python_formats(path.read_text())
        if fmt not in MACHINE_FORMATS and (name, fmt) not in MACHINE_FORMATS_AT
    ]
    offenders += [
        f"{name}:{line} |date:{fmt!r}"
        for path, name in _sources(".html")
        for line, fmt in template_formats(path.read_text())
    ]
    assert offenders == [], "use core/datetimes.py (date_text, datetime_text, ...) or the |date_text filters"
