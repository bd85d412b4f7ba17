"""How scheduling shows a time of day to staff: 12-hour with AM/PM ("9:30 AM"), the house
style of core/datetimes.py.

US outpatient practices read the 12-hour clock, so every page, PDF and message says times this
one way. Machine-readable values (form inputs, `datetime` attributes, the API)
keep ISO 8601 and 24-hour `HH:MM`.
"""

from __future__ import annotations

from datetime import datetime, time

from clinicdesk.core.datetimes import time_text


def clock_text(moment: datetime | time, *, seconds: bool = False) -> str:
    """`moment`'s time of day as "9:30 AM" (midnight is "12:00 AM", noon "12:00 PM"); with
    `seconds`, "9:30:05 AM" (the flow board's "updated at").

    An aware datetime is read in its own zone: convert it to the location's zone first.
    """
    return time_text(moment.replace(tzinfo=None), seconds=seconds)


def clock_range(start: datetime | time, end: datetime | time) -> str:
    """ "9:30 AM–10:00 AM"."""
    return f"{clock_text(start)}–{clock_text(end)}"
