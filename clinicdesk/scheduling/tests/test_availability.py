"""Availability: the pure interval core (DST, versions, exceptions, holidays) and the services."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.scheduling.availability import (
    BlockInput,
    BlockSpec,
    Span,
    VersionSpec,
    exception_add,
    exception_remove,
    holiday_override_add,
    holiday_override_remove,
    holiday_rows,
    local_to_utc,
    open_intervals,
    template_version_create,
    template_version_delete,
)
from clinicdesk.scheduling.models import AvailabilityException, AvailabilityTemplate, HolidayOverride
from clinicdesk.scheduling.setup import HoursInput

from .factories import make_location, make_provider, make_room, make_template, make_type

NY = ZoneInfo("America/New_York")
WEEKDAYS_8_TO_5 = {d: (time(8), time(17)) for d in range(5)}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- Pure core ---------------------------------------------------------------------------------


def test_local_times_become_utc_on_both_sides_of_a_dst_change():
    assert local_to_utc(date(2026, 3, 6), time(9), NY) == utc(2026, 3, 6, 14)
    assert local_to_utc(date(2026, 3, 9), time(9), NY) == utc(2026, 3, 9, 13)
    assert local_to_utc(date(2026, 11, 2), time(9), NY) == utc(2026, 11, 2, 14)


def test_a_nonexistent_time_is_the_moment_the_clock_jumps():
    # 2026-03-08 02:00 EST jumps to 03:00 EDT (07:00 UTC); 02:30 never happens.
    assert local_to_utc(date(2026, 3, 8), time(2, 30), NY) == utc(2026, 3, 8, 7)
    assert local_to_utc(date(2026, 3, 8), time(2, 30), NY, end=True) == utc(2026, 3, 8, 7)


def test_an_ambiguous_time_is_its_first_occurrence_for_a_start_and_its_last_for_an_end():
    # 2026-11-01 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    assert local_to_utc(date(2026, 11, 1), time(1, 30), NY) == utc(2026, 11, 1, 5, 30)
    assert local_to_utc(date(2026, 11, 1), time(1, 30), NY, end=True) == utc(2026, 11, 1, 6, 30)


def _version(*blocks, since=date(2026, 1, 1), until=None):
    return VersionSpec(since, until, tuple(BlockSpec(w, time(s), time(e)) for w, s, e in blocks))


def test_open_intervals_follow_the_version_valid_each_day():
    old = _version((0, 9, 12), until=date(2026, 3, 15))
    new = _version((0, 13, 15), since=date(2026, 3, 16))
    found = open_intervals(
        tz=NY,
        start_date=date(2026, 3, 9),
        end_date=date(2026, 3, 16),
        versions=[old, new],
        opening_hours=WEEKDAYS_8_TO_5,
    )
    assert [(i.start, i.end) for i in found] == [
        (utc(2026, 3, 9, 13), utc(2026, 3, 9, 16)),
        (utc(2026, 3, 16, 17), utc(2026, 3, 16, 19)),
    ]


def test_closures_cut_extras_add_and_opening_hours_clip():
    version = _version((1, 7, 12))  # 07:00 is before the 08:00 opening: clipped
    found = open_intervals(
        tz=NY,
        start_date=date(2026, 5, 5),
        end_date=date(2026, 5, 6),
        versions=[version],
        opening_hours=WEEKDAYS_8_TO_5,
        extras=[Span(utc(2026, 5, 6, 18), utc(2026, 5, 6, 23))],  # Wed 14:00-19:00 local, clipped to 17:00
        closures=[Span(utc(2026, 5, 5, 14), utc(2026, 5, 5, 15), "Staff meeting")],
    )
    assert [(i.start, i.end) for i in found] == [
        (utc(2026, 5, 5, 12), utc(2026, 5, 5, 14)),
        (utc(2026, 5, 5, 15), utc(2026, 5, 5, 16)),
        (utc(2026, 5, 6, 18), utc(2026, 5, 6, 21)),
    ]


def test_a_closed_day_has_nothing_even_extra_hours():
    found = open_intervals(
        tz=NY,
        start_date=date(2026, 7, 3),
        end_date=date(2026, 7, 3),
        versions=[_version((4, 9, 12))],
        opening_hours=WEEKDAYS_8_TO_5,
        closed_days={date(2026, 7, 3)},
        extras=[Span(utc(2026, 7, 3, 17), utc(2026, 7, 3, 18))],
    )
    assert found == []


def test_a_nine_oclock_block_is_nine_local_on_both_dst_sundays():
    sundays = {6: (time(0), time(23, 59))}
    for day, hour in ((date(2026, 3, 8), 13), (date(2026, 11, 1), 14), (date(2026, 3, 1), 14)):
        (found,) = open_intervals(
            tz=NY, start_date=day, end_date=day, versions=[_version((6, 9, 12))], opening_hours=sundays
        )
        assert found.start == datetime.combine(day, time(hour), tzinfo=UTC)
        assert found.end - found.start == timedelta(hours=3)


def test_blocks_over_the_dst_change_last_as_long_as_the_clock_says():
    sundays = {6: (time(0), time(23, 59))}
    (spring,) = open_intervals(
        tz=NY,
        start_date=date(2026, 3, 8),
        end_date=date(2026, 3, 8),
        versions=[_version((6, 1, 4))],
        opening_hours=sundays,
    )
    (autumn,) = open_intervals(
        tz=NY,
        start_date=date(2026, 11, 1),
        end_date=date(2026, 11, 1),
        versions=[_version((6, 1, 4))],
        opening_hours=sundays,
    )
    assert spring.end - spring.start == timedelta(hours=2)
    assert autumn.end - autumn.start == timedelta(hours=4)


times = st.integers(min_value=0, max_value=23 * 4).map(lambda q: time(q // 4, (q % 4) * 15))


@settings(max_examples=60, deadline=None)
@given(
    blocks=st.lists(st.tuples(st.integers(0, 6), times, times), max_size=6),
    cuts=st.lists(st.tuples(st.integers(0, 14 * 24 * 4), st.integers(1, 48)), max_size=5),
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 20)),
)
def test_open_intervals_lie_inside_opening_hours_and_outside_every_closure(blocks, cuts, start):
    specs = tuple(BlockSpec(w, min(a, b), max(a, b)) for w, a, b in blocks if a != b)
    base = datetime.combine(start, time(0), tzinfo=UTC)
    closures = [Span(base + timedelta(minutes=15 * s), base + timedelta(minutes=15 * (s + n))) for s, n in cuts]
    end = start + timedelta(days=13)
    found = open_intervals(
        tz=NY,
        start_date=start,
        end_date=end,
        versions=[VersionSpec(date(2026, 1, 1), None, specs)],
        opening_hours=WEEKDAYS_8_TO_5,
        closures=closures,
    )
    for interval in found:
        assert interval.start < interval.end
        local_start, local_end = interval.start.astimezone(NY), interval.end.astimezone(NY)
        assert local_start.date() == local_end.date() and local_start.weekday() < 5
        assert time(8) <= local_start.time() and local_end.time() <= time(17)
        assert all(c.end <= interval.start or interval.end <= c.start for c in closures)
        # Every moment of the interval is inside some block of that weekday (touching blocks merge).
        cursor = local_start.time()
        while cursor < local_end.time():
            ends = [b.ends for b in specs if b.weekday == local_start.weekday() and b.starts <= cursor < b.ends]
            assert ends, f"{cursor} is in no block"
            cursor = max(ends)


# --- Services ----------------------------------------------------------------------------------


@pytest.fixture
def main(office_manager):
    hours = [HoursInput(weekday=d, opens=time(8), closes=time(17)) for d in range(5)]
    return make_location(office_manager, opening_hours=hours, holiday_subdivision="NY")


@pytest.fixture
def lee(office_manager, clinician, main):
    return make_provider(office_manager, clinician, [main])


def test_a_new_version_ends_the_one_in_force_the_day_before(office_manager, lee, main):
    first = make_template(office_manager, lee, main, date(2026, 1, 5), [(0, "09:00", "12:00")])
    second = make_template(office_manager, lee, main, date(2026, 3, 2), [(1, "13:00", "16:00")])
    first.refresh_from_db()
    assert first.valid_until == date(2026, 3, 1) and second.valid_until is None
    assert AuditEvent.objects.filter(object_type="availability_template", action=Action.CREATE).count() == 2
    assert AuditEvent.objects.filter(object_type="availability_template", action=Action.UPDATE).count() == 1


def test_a_version_overlapping_a_later_one_is_refused(office_manager, lee, main):
    make_template(office_manager, lee, main, date(2026, 3, 2), [(0, "09:00", "12:00")])
    with pytest.raises(ValidationError) as caught:
        make_template(office_manager, lee, main, date(2026, 2, 2), [(0, "09:00", "12:00")])
    assert "already exists" in caught.value.message_dict["valid_from"][0]
    ok = make_template(
        office_manager, lee, main, date(2026, 2, 2), [(0, "09:00", "12:00")], valid_until=date(2026, 3, 1)
    )
    assert AvailabilityTemplate.objects.count() == 2 and ok.valid_until == date(2026, 3, 1)


def test_blocks_outside_opening_hours_or_overlapping_are_refused_with_the_field(office_manager, lee, main):
    with pytest.raises(ValidationError) as caught:
        make_template(
            office_manager,
            lee,
            main,
            date(2026, 3, 2),
            [(0, "07:00", "12:00"), (0, "11:00", "13:00"), (5, "09:00", "12:00"), (2, "12:00", "09:00")],
        )
    errors = caught.value.message_dict
    assert "outside Main Street Clinic's opening hours (8:00 AM–5:00 PM)" in errors["blocks.0.starts"][0]
    assert "overlaps" in errors["blocks.1.starts"][0]
    assert "closed on Saturdays" in errors["blocks.2.weekday"][0]
    assert "end must be after" in errors["blocks.3.ends"][0]
    assert AvailabilityTemplate.objects.count() == 0 and not AuditEvent.objects.filter(
        object_type="availability_template"
    )


def test_block_rooms_must_be_at_the_location_and_types_taken_by_the_provider(office_manager, lee, main, nurse):
    other = make_location(office_manager, name="Riverside Clinic")
    far_room = make_room(office_manager, other, "Exam 9")
    nurse_provider = make_provider(office_manager, nurse, [main], npi="", taxonomy_code="")
    shots = make_type(office_manager, [nurse_provider], name="Nurse visit")
    block = BlockInput(0, time(9), time(12), rooms=[far_room], appointment_types=[shots])
    with pytest.raises(ValidationError) as caught:
        template_version_create(
            actor=office_manager, provider=lee, location=main, valid_from=date(2026, 3, 2), blocks=[block]
        )
    assert "is not at Main Street Clinic" in caught.value.message_dict["blocks.0.rooms"][0]
    assert "does not take Nurse visit" in caught.value.message_dict["blocks.0.appointment_types"][0]


def test_only_a_version_that_has_not_started_can_be_deleted(office_manager, lee, main):
    version = make_template(office_manager, lee, main, date(2026, 3, 2), [(0, "09:00", "12:00")])
    with pytest.raises(ValidationError):
        template_version_delete(actor=office_manager, template=version, today=date(2026, 3, 2))
    template_version_delete(actor=office_manager, template=version, today=date(2026, 3, 1))
    assert AvailabilityTemplate.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="availability_template", action=Action.DELETE).count() == 1


def test_an_exception_needs_a_reason_and_a_sensible_span(office_manager, lee, main):
    with pytest.raises(ValidationError) as caught:
        exception_add(
            actor=office_manager,
            kind="meeting",
            provider=lee,
            starts_at=utc(2026, 3, 2, 15),
            ends_at=utc(2026, 3, 2, 14),
            reason="  ",
        )
    assert set(caught.value.message_dict) == {"reason", "ends_at"}
    meeting = exception_add(
        actor=office_manager,
        kind="meeting",
        provider=lee,
        starts_at=utc(2026, 3, 2, 14),
        ends_at=utc(2026, 3, 2, 15),
        reason="Staff meeting",
    )
    assert AuditEvent.objects.filter(object_type="availability_exception", action=Action.CREATE).count() == 1
    exception_remove(actor=office_manager, exception=meeting)
    assert AvailabilityException.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="availability_exception", action=Action.DELETE).count() == 1


def test_extra_hours_need_a_provider_and_a_location_and_must_lie_in_opening_hours(office_manager, lee, main):
    with pytest.raises(ValidationError) as caught:
        exception_add(
            actor=office_manager,
            kind="extra",
            provider=lee,
            starts_at=utc(2026, 3, 3, 14),
            ends_at=utc(2026, 3, 3, 15),
            reason="Flu clinic",
        )
    assert "choose both" in caught.value.message_dict["location"][0]
    with pytest.raises(ValidationError) as caught:
        exception_add(
            actor=office_manager,
            kind="extra",
            provider=lee,
            location=main,
            starts_at=utc(2026, 3, 3, 21),
            ends_at=utc(2026, 3, 3, 23),
            reason="Late clinic",
        )
    assert "inside Main Street Clinic's opening hours" in caught.value.message_dict["ends_at"][0]


def test_holidays_are_listed_and_can_be_opened_anyway_and_closed_again(office_manager, main):
    rows = {row.day: row for row in holiday_rows(location=main, year=2026)}
    assert rows[date(2026, 11, 26)].name == "Thanksgiving Day" and not rows[date(2026, 11, 26)].open_anyway
    assert "Independence Day" in rows[date(2026, 7, 3)].name
    holiday_override_add(actor=office_manager, location=main, day=date(2026, 7, 3), note="Catch-up clinic")
    assert [r.day for r in holiday_rows(location=main, year=2026) if r.open_anyway] == [date(2026, 7, 3)]
    with pytest.raises(ValidationError) as caught:
        holiday_override_add(actor=office_manager, location=main, day=date(2026, 7, 6))
    assert "not a public holiday" in caught.value.message_dict["day"][0]
    assert holiday_override_remove(actor=office_manager, location=main, day=date(2026, 7, 3)) is True
    assert HolidayOverride.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="holiday_override").count() == 2
