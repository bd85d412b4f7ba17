"""People's dates and times: one house style (core/datetimes.py), and nothing else in the tree."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
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
