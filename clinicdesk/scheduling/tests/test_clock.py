from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from clinicdesk.scheduling.clock import clock_range, clock_text


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (time(0, 0), "12:00 AM"),
        (time(9, 5), "9:05 AM"),
        (time(11, 59), "11:59 AM"),
        (time(12, 0), "12:00 PM"),
        (time(13, 30), "1:30 PM"),
        (time(23, 45), "11:45 PM"),
    ],
)
def test_a_time_of_day_is_shown_on_the_12_hour_clock(moment, text):
    assert clock_text(moment) == text


def test_seconds_and_ranges():
    assert clock_text(time(21, 4, 7), seconds=True) == "9:04:07 PM"
    assert clock_range(time(9, 30), time(10, 15)) == "9:30 AM–10:15 AM"


def test_the_filter_shows_an_aware_time_in_the_templates_zone_and_nothing_for_none():
    moment = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)
    template = Template(
        '{% load scheduling_time tz %}{% timezone "America/New_York" %}{{ at|clock }}|{{ at|clock:"seconds" }}|'
        '{{ none|clock|default:"opening" }}{% endtimezone %}|{% localtime off %}{{ local|clock }}{% endlocaltime %}'
    )
    local = moment.astimezone(ZoneInfo("Asia/Kolkata"))
    assert template.render(Context({"at": moment, "none": None, "local": local})) == (
        "10:00 AM|10:00:00 AM|opening|8:30 PM"
    )
