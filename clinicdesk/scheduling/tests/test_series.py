"""Recurring series: the rule, local wall time across DST, conflicts, all-or-nothing, and the
classic recurring-event bugs of "this one" / "this and following" (no visit vanishes or doubles)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicdesk.audit.models import AuditEvent
from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.booking import BookingRefused
from clinicdesk.scheduling.models import Appointment, AppointmentSeries, AppointmentStatus
from clinicdesk.scheduling.series import (
    MAX_OCCURRENCES,
    series_cancel,
    series_days,
    series_edit,
    series_plan,
    series_starts,
)

from .factories import make_weekday_practice
from .helpers import NY, book_one, book_series, data_for, local, monday_at, overlapping_pairs, rows


@pytest.fixture
def p(office_manager, front_desk, clinician):
    return make_weekday_practice(office_manager, front_desk, clinician)


# --- The rule --------------------------------------------------------------------------------


def test_every_n_days_and_every_n_weeks_step_from_the_first_visit():
    first = date(2027, 1, 4)
    assert series_days(first_day=first, unit="days", interval=3, until=None, count=4) == [
        date(2027, 1, 4), date(2027, 1, 7), date(2027, 1, 10), date(2027, 1, 13)
    ]  # fmt: skip
    assert series_days(first_day=first, unit="weeks", interval=2, until=None, count=3) == [
        date(2027, 1, 4), date(2027, 1, 18), date(2027, 2, 1)
    ]  # fmt: skip


def test_until_includes_its_own_day_and_a_series_ends_one_way_only():
    first = date(2027, 1, 4)
    assert series_days(first_day=first, unit="weeks", interval=1, until=date(2027, 1, 18), count=None)[-1] == date(
        2027, 1, 18
    )
    assert len(series_days(first_day=first, unit="weeks", interval=1, until=date(2027, 1, 17), count=None)) == 2
    with pytest.raises(ValidationError, match="not both"):
        series_days(first_day=first, unit="weeks", interval=1, until=date(2027, 2, 1), count=3)
    with pytest.raises(ValidationError, match="Say when the series ends"):
        series_days(first_day=first, unit="weeks", interval=1, until=None, count=None)
    with pytest.raises(ValidationError, match="before the first visit"):
        series_days(first_day=first, unit="weeks", interval=1, until=date(2027, 1, 1), count=None)
    with pytest.raises(ValidationError, match="1 to 52"):
        series_days(first_day=first, unit="weeks", interval=0, until=None, count=3)


def test_a_series_of_10000_visits_is_refused_with_the_maximum_in_the_message():
    first = date(2027, 1, 4)
    with pytest.raises(ValidationError) as refused:
        series_days(first_day=first, unit="days", interval=1, until=None, count=10_000)
    assert refused.value.message_dict == {
        "count": [f"This series would have 10000 visits. A series may have at most {MAX_OCCURRENCES} visits and "
                  "run at most two years; book a shorter series now and another one later."]
    }  # fmt: skip
    with pytest.raises(ValidationError, match="would have 366 visits"):
        series_days(first_day=first, unit="days", interval=1, until=date(2028, 1, 4), count=None)
    with pytest.raises(ValidationError, match="would end on"):  # 104 visits every 2 weeks: four years
        series_days(first_day=first, unit="weeks", interval=2, until=None, count=104)
    assert len(series_days(first_day=first, unit="weeks", interval=1, until=None, count=104)) == 104


def test_the_maximum_is_enforced_when_booking_and_nothing_is_written(p):
    with pytest.raises(ValidationError, match="at most 104 visits"):
        book_series(p, monday_at(), count=10_000)
    assert not AppointmentSeries.objects.exists() and not Appointment.objects.exists()


# --- Local wall time across DST --------------------------------------------------------------


def test_a_weekly_monday_0900_series_stays_0900_local_across_both_2026_clock_changes():
    first = datetime(2026, 2, 23, 9, 0, tzinfo=NY)  # EST, 14:00 UTC
    plan = series_starts(starts_at=first, time_zone="America/New_York", unit="weeks", interval=1, until=date(2026, 11, 9), count=None)  # fmt: skip
    assert {o.starts_at.astimezone(NY).time() for o in plan} == {time(9, 0)}
    by_day = {o.day: o.starts_at.astimezone(UTC).hour for o in plan}
    assert by_day[date(2026, 3, 2)] == 14 and by_day[date(2026, 3, 9)] == 13  # clocks forward on Mar 8
    assert by_day[date(2026, 10, 26)] == 13 and by_day[date(2026, 11, 2)] == 14  # and back on Nov 1
    assert all(o.day.weekday() == 0 for o in plan)


def test_a_wall_time_the_clocks_skip_is_a_visit_that_does_not_exist_that_day():
    first = datetime(2026, 3, 7, 2, 30, tzinfo=NY)
    plan = series_starts(starts_at=first, time_zone="America/New_York", unit="days", interval=1, until=None, count=3)
    assert [o.starts_at is None for o in plan] == [False, True, False]
    assert plan[2].starts_at.astimezone(NY).time() == time(2, 30)


def _next_change(after: date) -> date:
    """The next day (a Sunday) on which New York's clocks change."""
    day = after
    while True:
        noon = datetime.combine(day, time(12), tzinfo=NY)
        if noon.utcoffset() != (noon + timedelta(days=1)).utcoffset():
            return day + timedelta(days=1)
        day += timedelta(days=1)


def test_booked_weekly_visits_keep_their_local_time_across_the_next_two_clock_changes(p):
    today = app_clock.now().astimezone(NY).date()
    change = _next_change(today + timedelta(days=8))
    second = _next_change(change + timedelta(days=1))
    start = datetime.combine(change - timedelta(days=6), time(9), tzinfo=NY)  # the Monday before
    weeks = (second - change).days // 7 + 2
    made = book_series(p, start, count=weeks)
    visits = rows(made)
    assert len(visits) == weeks and {local(v).time() for v in visits} == {time(9)}
    assert len({v.starts_at.astimezone(UTC).hour for v in visits}) == 2
    assert local(visits[0]).utcoffset() != local(visits[1]).utcoffset()


def test_the_plan_says_a_skipped_hour_does_not_exist(p):
    change = _next_change(app_clock.now().astimezone(NY).date() + timedelta(days=8))
    if (
        datetime.combine(change, time(12), tzinfo=NY).utcoffset()
        < datetime.combine(change - timedelta(days=1), time(12), tzinfo=NY).utcoffset()
    ):
        change = _next_change(change + timedelta(days=1))  # the next one is autumn's: take spring's
    start = datetime.combine(change - timedelta(days=1), time(2, 30), tzinfo=NY)
    plan = series_plan(data=data_for(p, start), unit="days", interval=1, count=2)
    assert "does not exist" in plan[1].problem and plan[1].starts_at is None


# --- Conflicts -------------------------------------------------------------------------------


def test_conflicts_are_listed_with_up_to_three_free_times_of_the_same_provider(p):
    start = monday_at()
    book_one(p, start + timedelta(weeks=1), patient=p.joe)
    plan = series_plan(data=data_for(p, start), unit="weeks", interval=1, count=4)
    assert [o.bookable for o in plan] == [True, False, True, True]
    conflict = plan[1]
    assert "already has an appointment" in conflict.problem
    assert 1 <= len(conflict.suggestions) <= 3
    assert all(s.date() == conflict.day for s in conflict.suggestions)  # the same day first
    assert all(abs((s - local(Appointment.objects.get(patient=p.joe))).total_seconds()) >= 1800 for s in conflict.suggestions)  # fmt: skip
    assert not Appointment.objects.filter(patient=p.jane).exists()  # planning writes nothing


def test_a_conflict_is_skipped_or_moved_as_chosen_and_skipped_numbers_stay_unused(p):
    start = monday_at()
    book_one(p, start + timedelta(weeks=1), patient=p.joe)
    book_one(p, start + timedelta(weeks=2), patient=p.joe)
    plan = series_plan(data=data_for(p, start), unit="weeks", interval=1, count=4)
    moved_to = plan[2].suggestions[0]
    made = book_series(p, start, count=4, choices={2: None, 3: moved_to})
    visits = rows(made)
    assert [v.series_index for v in visits] == [1, 3, 4]
    assert visits[1].starts_at == moved_to and local(visits[2]).time() == time(9)
    assert AuditEvent.objects.filter(object_type="appointment_series", object_id=str(made.public_id)).count() == 1
    assert AuditEvent.objects.filter(object_type="appointment", action="create").count() == 5  # 2 for Joe + 3


def test_an_unanswered_conflict_refuses_the_whole_series_naming_the_visit(p):
    start = monday_at()
    book_one(p, start + timedelta(weeks=2), patient=p.joe)
    with pytest.raises(
        BookingRefused, match=r"Visit 3 \(Mon \d\d/\d\d/\d{4}\).*already has an appointment.*Nothing was booked"
    ):
        book_series(p, start, count=5)
    assert not AppointmentSeries.objects.exists()
    assert Appointment.objects.filter(patient=p.jane).count() == 0


def test_a_chosen_time_that_is_taken_refuses_everything_too(p):
    start = monday_at()
    book_one(p, start + timedelta(weeks=1), patient=p.joe)
    taken = start + timedelta(weeks=3, hours=2)
    book_one(p, taken, patient=p.joe)
    with pytest.raises(BookingRefused, match="Visit 2"):
        book_series(p, start, count=4, choices={2: taken})
    assert not Appointment.objects.filter(patient=p.jane).exists() and not AppointmentSeries.objects.exists()


def test_choices_for_visits_the_series_does_not_have_and_skipping_everything_are_refused(p):
    start = monday_at()
    with pytest.raises(ValidationError, match="there is no visit 9"):
        book_series(p, start, count=3, choices={9: None})
    with pytest.raises(ValidationError, match="nothing to book"):
        book_series(p, start, count=2, choices={1: None, 2: None})


# --- This one / this and following -----------------------------------------------------------


def test_moving_this_one_moves_only_it_and_keeps_its_number(p):
    made = book_series(p, monday_at(), count=4)
    third = rows(made)[2]
    series_edit(actor=p.actor, appointment=third, scope="this", starts_at_time=time(11, 15))
    after = rows(made)
    assert [local(v).time() for v in after] == [time(9), time(9), time(11, 15), time(9)]
    assert after[2].pk == third.pk and after[2].changes.filter(what="moved").count() == 1


def test_this_and_following_from_visit_5_of_10_moves_5_to_10_only_and_nothing_vanishes_or_doubles(p):
    made = book_series(p, monday_at(), count=10)
    before = rows(made)
    # Visit 7 was moved on its own to the Tuesday at 11:00; visit 9 was cancelled.
    tuesday = local(before[6]).date() + timedelta(days=1)
    series_edit(actor=p.actor, appointment=before[6], scope="this", day=tuesday, starts_at_time=time(11))
    series_cancel(actor=p.actor, appointment=before[8], scope="this", reason="Patient away")

    changed = series_edit(actor=p.actor, appointment=before[4], scope="following", starts_at_time=time(14, 30))

    after = rows(made)
    assert len(after) == 10 and [v.series_index for v in after] == list(range(1, 11))
    assert {v.pk for v in after} == {v.pk for v in before}
    assert [v.starts_at for v in after[:4]] == [v.starts_at for v in before[:4]]  # 1–4 unchanged
    for visit in (after[4], after[5], after[7], after[9]):
        assert local(visit).time() == time(14, 30) and local(visit).weekday() == 0
    assert local(after[6]).date() == tuesday and local(after[6]).time() == time(14, 30)  # keeps its own day
    assert after[8].status == AppointmentStatus.CANCELLED and after[8].starts_at == before[8].starts_at
    assert sorted(v.series_index for v in changed) == [5, 6, 7, 8, 10]
    assert all(v.changes.filter(what="moved", note="series: this and following").count() == 1 for v in changed)
    assert overlapping_pairs() == []


def test_this_and_following_from_visit_1_changes_the_whole_series_and_leaves_arrived_ones(p):
    made = book_series(p, monday_at(), count=5)
    visits = rows(made)
    Appointment.objects.filter(pk=visits[3].pk).update(status=AppointmentStatus.ARRIVED, arrived_at=app_clock.now())
    series_edit(actor=p.actor, appointment=visits[0], scope="following", starts_at_time=time(8), provider=p.other)
    after = rows(made)
    assert [local(v).time() for v in after] == [time(8), time(8), time(8), time(9), time(8)]
    assert [v.provider_id for v in after] == [p.other.pk] * 3 + [p.provider.pk, p.other.pk]


def test_this_and_following_is_all_or_nothing_and_names_the_visit_in_the_way(p):
    start = monday_at()
    made = book_series(p, start, count=10)
    before = [v.starts_at for v in rows(made)]
    book_one(p, datetime.combine(local(rows(made)[7]).date(), time(14), tzinfo=NY), patient=p.joe)
    with pytest.raises(BookingRefused, match=r"Visit 8 .*Nothing was changed"):
        series_edit(actor=p.actor, appointment=rows(made)[4], scope="following", starts_at_time=time(14))
    assert [v.starts_at for v in rows(made)] == before
    assert not Appointment.objects.filter(series=made, changes__what="moved").exists()


def test_a_time_the_clocks_skip_is_refused_for_this_and_following():
    """series_edit works out each visit's new instant with the same rule as the plan."""
    from clinicdesk.scheduling.series import _wall_instant

    assert _wall_instant(date(2026, 3, 8), time(2, 30), NY) is None
    assert _wall_instant(date(2026, 11, 1), time(1, 30), NY) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # first


def test_cancelling_this_and_following_keeps_the_rows_and_leaves_earlier_and_arrived_visits(p):
    made = book_series(p, monday_at(), count=6)
    visits = rows(made)
    Appointment.objects.filter(pk=visits[4].pk).update(status=AppointmentStatus.ARRIVED, arrived_at=app_clock.now())
    cancelled = series_cancel(actor=p.actor, appointment=visits[2], scope="following", reason="Course finished")
    after = rows(made)
    assert [v.status for v in after] == ["scheduled", "scheduled", "cancelled", "cancelled", "arrived", "cancelled"]
    assert [v.series_index for v in cancelled] == [3, 4, 6] and len(after) == 6
    assert all(v.cancel_reason == "Course finished" for v in after if v.status == "cancelled")
    with pytest.raises(ValidationError, match="nothing to change"):
        series_cancel(actor=p.actor, appointment=visits[5], scope="following", reason="again")
    with pytest.raises(BookingRefused, match="Say why"):
        series_cancel(actor=p.actor, appointment=visits[0], scope="this", reason=" ")


def test_an_appointment_outside_a_series_and_an_unknown_scope_are_refused(p):
    single = book_one(p, monday_at())
    with pytest.raises(ValidationError, match="not part of a series"):
        series_edit(actor=p.actor, appointment=single, scope="this", starts_at_time=time(10))
    made = book_series(p, monday_at(weeks_ahead=3), count=2)
    with pytest.raises(ValidationError, match="Choose this visit only"):
        series_cancel(actor=p.actor, appointment=rows(made)[0], scope="all", reason="x")
    with pytest.raises(ValidationError, match="Only a single visit moves to another date"):
        series_edit(actor=p.actor, appointment=rows(made)[0], scope="following", day=date(2030, 1, 1))


# --- Property: no sequence of edits loses, doubles or overlaps a visit -------------------------


@pytest.fixture
def booked(p):
    made = book_series(p, monday_at(), count=8)
    # Joe sits in a few of the times the edits will try, with either provider.
    for week, hour, who in ((1, 10, p.provider), (3, 14, p.other), (5, 11, p.provider)):
        book_one(
            p, datetime.combine(local(rows(made)[week]).date(), time(hour), tzinfo=NY), patient=p.joe, provider=who
        )
    return p, made


steps = st.lists(
    st.tuples(
        st.sampled_from(["edit", "cancel"]),
        st.sampled_from(["this", "following"]),
        st.integers(0, 7),  # which visit
        st.integers(0, 17),  # new time: 08:00 + 30 minutes × n
        st.sampled_from([None, "provider", "other"]),
    ),
    max_size=12,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=steps)
def test_no_sequence_of_series_edits_and_cancels_changes_the_rows_or_leaves_an_overlap(booked, operations):
    p, made = booked
    with transaction.atomic():
        for action, scope, which, slot, who in operations:
            target = rows(made)[which]
            try:
                if action == "edit":
                    wall = (datetime.combine(date(2027, 1, 1), time(8)) + timedelta(minutes=30 * slot)).time()
                    provider = getattr(p, who) if who else None
                    series_edit(actor=p.actor, appointment=target, scope=scope, starts_at_time=wall, provider=provider)
                else:
                    series_cancel(actor=p.actor, appointment=target, scope=scope, reason="test")
            except ValidationError:
                pass  # refused: nothing may have changed, which the checks below cover
            after = rows(made)
            assert len(after) == 8
            assert [v.series_index for v in after] == list(range(1, 9))
            assert overlapping_pairs() == []
        transaction.set_rollback(True)
