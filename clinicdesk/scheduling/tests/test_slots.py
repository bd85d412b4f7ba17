"""Slot search and the one-booking availability check."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicdesk.scheduling.availability import BlockInput, exception_add, holiday_override_add
from clinicdesk.scheduling.booking_checks import availability_problem, overbook_count
from clinicdesk.scheduling.models import Appointment
from clinicdesk.scheduling.slots import slot_search
from conftest import make_staff

from .factories import make_appointment, make_location, make_patient, make_provider, make_room, make_template, make_type
from .helpers import SLOTS_MONDAY as MONDAY
from .helpers import SLOTS_NOW as NOW
from .helpers import at

NY = ZoneInfo("America/New_York")


@pytest.fixture
def practice(slots_practice):
    return slots_practice


def local_starts(result) -> list[str]:
    return [f"{s.local_start:%Y-%m-%d %H:%M}" for d in result.days for s in d.slots]


def search(p, **extra):
    values = {"appointment_type": p.follow_up, "start_date": MONDAY, "end_date": MONDAY, "limit": 4, "now": NOW}
    values.update(extra)
    return slot_search(**values)


def test_slots_start_on_the_grid_inside_the_template_and_come_grouped_by_day(practice):
    result = search(practice, end_date=MONDAY + timedelta(days=1), limit=13)
    assert [d.day for d in result.days] == [MONDAY, MONDAY + timedelta(days=1)]
    assert local_starts(result)[:3] == ["2026-03-02 09:00", "2026-03-02 09:15", "2026-03-02 09:30"]
    assert local_starts(result)[10:12] == ["2026-03-02 11:30", "2026-03-03 09:00"]  # 11:45 would end after 12:00
    slot = result.days[0].slots[0]
    assert (slot.provider, slot.location, slot.room) == (practice.lee, practice.main, practice.exam1)
    assert slot.ends_at - slot.starts_at == timedelta(minutes=20)


def test_booked_time_is_skipped_and_the_next_visit_follows_snugly(practice):
    make_appointment(
        practice.manager,
        patient=practice.patient,
        provider=practice.lee,
        location=practice.main,
        kind=practice.follow_up,
        starts_at=at(MONDAY, 9),
        room=practice.exam1,
    )
    assert local_starts(search(practice))[:3] == ["2026-03-02 09:20", "2026-03-02 09:30", "2026-03-02 09:45"]


def test_cancelled_no_show_and_overbooked_appointments_do_not_hold_time(practice):
    other = make_patient(practice.manager, "John")
    kwargs = {
        "provider": practice.lee,
        "location": practice.main,
        "kind": practice.follow_up,
        "starts_at": at(MONDAY, 9),
    }
    make_appointment(practice.manager, patient=practice.patient, status="cancelled", cancelled_at=NOW, **kwargs)
    make_appointment(practice.manager, patient=other, status="no_show", **kwargs)
    make_appointment(practice.manager, patient=make_patient(practice.manager, "Ann"), overbooked=True, **kwargs)
    assert local_starts(search(practice))[0] == "2026-03-02 09:00"


def test_buffers_must_fit_inside_the_availability_too(practice):
    procedure = make_type(
        practice.manager,
        [practice.lee],
        name="Procedure",
        duration_minutes=60,
        buffer_before_minutes=10,
        buffer_after_minutes=20,
    )
    starts = local_starts(search(practice, appointment_type=procedure, limit=50))
    assert starts[0] == "2026-03-02 09:10" and starts[-1] == "2026-03-02 10:30"


def test_a_room_is_needed_from_the_types_rooms_and_the_blocks_pool(practice, clinician):
    procedure_room = make_room(practice.manager, practice.main, "Procedure room")
    procedure = make_type(
        practice.manager, [practice.lee], name="Procedure", duration_minutes=30, rooms=[procedure_room]
    )
    assert {s.room for d in search(practice, appointment_type=procedure).days for s in d.slots} == {procedure_room}
    # A later version whose block uses only the exam rooms leaves nowhere for the procedure.
    pool = BlockInput(0, time(9), time(12), rooms=[practice.exam1, practice.exam2])
    make_template(practice.manager, practice.lee, practice.main, date(2026, 3, 1), [pool])
    assert search(practice, appointment_type=procedure).count == 0
    # The exam rooms busy with another provider: the follow-up gets the free one, then none.
    others = [
        make_provider(practice.manager, make_staff(name, "clinician"), [practice.main], npi=npi)
        for name, npi in (("nguyen", "1245319599"), ("garcia", "1003000126"))
    ]
    for room, other in zip((practice.exam1, practice.exam2), others, strict=True):
        make_appointment(
            practice.manager,
            patient=make_patient(practice.manager, room.name),
            provider=other,
            location=practice.main,
            kind=practice.follow_up,
            starts_at=at(MONDAY, 9),
            room=room,
        )
    assert local_starts(search(practice))[0] == "2026-03-02 09:20"


def test_inactive_rooms_are_not_suggested_and_telehealth_needs_none(practice):
    from clinicdesk.scheduling.setup import RoomInput, room_update

    for room in (practice.exam1, practice.exam2):
        room_update(actor=practice.manager, room=room, data=RoomInput(name=room.name, active=False))
    assert search(practice).count == 0
    video = make_type(practice.manager, [practice.lee], name="Telehealth follow-up", telehealth=True)
    result = search(practice, appointment_type=video)
    assert result.count == 4 and result.days[0].slots[0].room is None


def test_the_patient_is_never_double_booked_with_another_provider(practice):
    other = make_provider(practice.manager, make_staff("nguyen", "clinician"), [practice.main], npi="1245319599")
    make_appointment(
        practice.manager,
        patient=practice.patient,
        provider=other,
        location=practice.main,
        kind=practice.follow_up,
        starts_at=at(MONDAY, 9),
        room=practice.exam2,
    )
    assert local_starts(search(practice))[0] == "2026-03-02 09:00"
    assert local_starts(search(practice, patient=practice.patient))[0] == "2026-03-02 09:20"


def test_a_public_holiday_is_closed_unless_opened_anyway(practice):
    friday = date(2026, 7, 3)  # Independence Day (observed)
    assert search(practice, start_date=friday, end_date=friday).count == 0
    holiday_override_add(actor=practice.manager, location=practice.main, day=friday)
    assert local_starts(search(practice, start_date=friday, end_date=friday))[0] == "2026-07-03 09:00"
    thanksgiving = date(2026, 11, 26)
    result = search(practice, start_date=thanksgiving, end_date=thanksgiving + timedelta(days=1), limit=1)
    assert local_starts(result) == ["2026-11-27 09:00"]


def test_exceptions_block_time_and_extra_hours_open_it(practice):
    exception_add(
        actor=practice.manager,
        kind="meeting",
        provider=practice.lee,
        starts_at=at(MONDAY, 9),
        ends_at=at(MONDAY, 11),
        reason="Staff meeting",
    )
    assert local_starts(search(practice))[0] == "2026-03-02 11:00"
    exception_add(
        actor=practice.manager,
        kind="blocked",
        location=practice.main,
        starts_at=at(MONDAY, 11),
        ends_at=at(MONDAY, 12),
        reason="Snow day",
    )
    assert local_starts(search(practice, limit=1, end_date=MONDAY + timedelta(days=1))) == ["2026-03-03 09:00"]
    exception_add(
        actor=practice.manager,
        kind="extra",
        provider=practice.lee,
        location=practice.main,
        starts_at=at(MONDAY, 14),
        ends_at=at(MONDAY, 15),
        reason="Flu clinic",
    )
    assert local_starts(search(practice, limit=1)) == ["2026-03-02 14:00"]


def test_versions_decide_the_hours_of_each_week(practice):
    make_template(practice.manager, practice.lee, practice.main, date(2026, 3, 9), [(0, "13:00", "15:00")])
    result = search(practice, end_date=date(2026, 3, 9), limit=200)
    mondays = [s for s in local_starts(result) if s.startswith(("2026-03-02", "2026-03-09"))]
    assert (
        mondays[0] == "2026-03-02 09:00" and [s for s in mondays if s.startswith("2026-03-09")][0] == "2026-03-09 13:00"
    )


def test_a_block_kept_for_other_types_offers_no_slot_for_this_one(practice):
    physical = make_type(practice.manager, [practice.lee], name="Annual physical", duration_minutes=30)
    make_template(
        practice.manager,
        practice.lee,
        practice.main,
        date(2026, 3, 1),
        [BlockInput(0, time(9), time(12), appointment_types=[physical])],
    )
    assert search(practice).count == 0
    assert search(practice, appointment_type=physical).count == 4


def test_dst_days_keep_local_hours_and_handle_the_missing_and_repeated_hour(practice):
    make_template(
        practice.manager, practice.lee, practice.main, date(2026, 3, 1), [(6, "01:00", "04:00"), (6, "09:00", "10:00")]
    )
    spring = search(practice, start_date=date(2026, 3, 8), end_date=date(2026, 3, 8), limit=50, grid_minutes=30)
    # 02:00-03:00 does not exist that night: 01:00 and 01:30 EST, then 03:00 and 03:30 EDT.
    assert local_starts(spring) == [f"2026-03-08 {t}" for t in ("01:00", "01:30", "03:00", "03:30", "09:00", "09:30")]
    assert [s.starts_at.hour for s in spring.days[0].slots][-2:] == [13, 13]
    autumn = search(practice, start_date=date(2026, 11, 1), end_date=date(2026, 11, 1), limit=50, grid_minutes=30)
    # 01:00-02:00 happens twice: eight half-hours in four real hours, then 09:00 EST = 14:00 UTC.
    assert len(autumn.days[0].slots) == 8 + 2
    assert [s.starts_at.hour for s in autumn.days[0].slots][-2:] == [14, 14]
    assert len({s.starts_at for s in autumn.days[0].slots}) == 10


def test_slots_in_the_past_are_not_offered(practice):
    result = search(practice, now=at(MONDAY, 10, 5))
    assert local_starts(result)[0] == "2026-03-02 10:15"


def test_bad_input_is_refused_with_messages_by_field(practice, nurse):
    with pytest.raises(ValidationError) as caught:
        search(practice, end_date=MONDAY - timedelta(days=1))
    assert "on or after the first day" in caught.value.message_dict["end_date"][0]
    with pytest.raises(ValidationError) as caught:
        search(practice, end_date=MONDAY + timedelta(days=400), limit=0, grid_minutes=7)
    assert set(caught.value.message_dict) == {"end_date", "limit", "grid_minutes"}
    sam = make_provider(practice.manager, nurse, [practice.main], npi="", taxonomy_code="")
    with pytest.raises(ValidationError) as caught:
        search(practice, providers=[sam])
    assert "None of the chosen providers takes Follow-up" in caught.value.message_dict["providers"][0]
    elsewhere = make_location(practice.manager, name="Riverside Clinic")
    with pytest.raises(ValidationError) as caught:
        search(practice, locations=[elsewhere])
    assert "locations" in caught.value.message_dict


def test_a_search_makes_the_same_number_of_queries_however_many_appointments_exist(practice):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            search(practice, patient=practice.patient, end_date=MONDAY + timedelta(days=60), limit=200)
        return len(ctx.captured_queries)

    few = count_queries()
    start = at(MONDAY, 9)
    for week in range(8):
        for minutes in range(0, 180, 20):
            make_appointment(
                practice.manager,
                patient=make_patient(practice.manager, f"P{week}x{minutes}"),
                provider=practice.lee,
                location=practice.main,
                kind=practice.follow_up,
                starts_at=start + timedelta(days=7 * week, minutes=minutes),
                room=practice.exam1,
            )
    assert Appointment.objects.count() == 72
    assert count_queries() == few
    assert few <= 20


def test_appointments_outside_the_window_are_not_read(practice):
    make_appointment(
        practice.manager,
        patient=practice.patient,
        provider=practice.lee,
        location=practice.main,
        kind=practice.follow_up,
        starts_at=at(date(2025, 6, 2), 9),
        room=practice.exam1,
    )
    with CaptureQueriesContext(connection) as ctx:
        search(practice)
    appointment_sql = [
        q["sql"] for q in ctx.captured_queries if "scheduling_appointment" in q["sql"] and "block_start" in q["sql"]
    ]
    assert appointment_sql and all('block_start" >=' in sql or 'block_start" >= ' in sql for sql in appointment_sql)


# --- availability_problem ----------------------------------------------------------------------


def problem(p, starts_at, **extra):
    values = {
        "appointment_type": p.follow_up,
        "provider": p.lee,
        "location": p.main,
        "room": p.exam1,
        "starts_at": starts_at,
        "now": NOW,
    }
    values.update(extra)
    return availability_problem(**values)


def test_a_bookable_time_has_no_problem_and_overlaps_are_not_its_business(practice):
    make_appointment(
        practice.manager,
        patient=practice.patient,
        provider=practice.lee,
        location=practice.main,
        kind=practice.follow_up,
        starts_at=at(MONDAY, 9),
        room=practice.exam1,
    )
    assert problem(practice, at(MONDAY, 9)) is None


def test_problems_say_why_and_what_to_do(practice):
    assert "in the past" in problem(practice, at(MONDAY, 9), now=at(MONDAY, 10))
    assert problem(practice, at(date(2026, 7, 3), 9)) == (
        "07/03/2026 is a public holiday (Independence Day (observed)) at Main Street Clinic; "
        "it is closed unless opened anyway in availability."
    )
    assert "closed on Saturdays" in problem(practice, at(date(2026, 3, 7), 9))
    sunday = problem(practice, at(date(2026, 3, 1), 9))
    assert (
        "is not working at Main Street Clinic on Sundays" in sunday
        and "The next opening is Mon 03/02/2026 9:00 AM." in sunday
    )
    assert "runs past the end" in problem(practice, at(MONDAY, 11, 50))
    assert "outside" in problem(practice, at(MONDAY, 13))
    exception_add(
        actor=practice.manager,
        kind="meeting",
        provider=practice.lee,
        starts_at=at(MONDAY, 10),
        ends_at=at(MONDAY, 11),
        reason="Staff meeting",
    )
    assert "blocked for" in problem(practice, at(MONDAY, 10)) and "Staff meeting" in problem(practice, at(MONDAY, 10))
    assert problem(practice, at(MONDAY, 9), room=None) is None  # the room may be chosen at rooming
    video = make_type(practice.manager, [practice.lee], name="Telehealth", telehealth=True)
    assert "takes no room" in problem(practice, at(MONDAY, 9), appointment_type=video)
    assert problem(practice, at(MONDAY, 9), appointment_type=video, room=None) is None


def test_the_room_pool_and_type_rules_are_checked(practice):
    procedure_room = make_room(practice.manager, practice.main, "Procedure room")
    procedure = make_type(
        practice.manager, [practice.lee], name="Procedure", duration_minutes=30, rooms=[procedure_room]
    )
    assert "cannot be done in Exam 1" in problem(practice, at(MONDAY, 9), appointment_type=procedure)
    make_template(
        practice.manager,
        practice.lee,
        practice.main,
        date(2026, 3, 1),
        [BlockInput(0, time(9), time(12), rooms=[practice.exam2])],
    )
    assert "uses Exam 2 then" in problem(practice, at(MONDAY, 9))
    assert problem(practice, at(MONDAY, 9), room=practice.exam2) is None


def test_overbook_count_counts_holding_overbooked_appointments_of_the_type_that_day(practice):
    kwargs = {"provider": practice.lee, "location": practice.main, "kind": practice.follow_up, "room": practice.exam1}
    make_appointment(practice.manager, patient=practice.patient, starts_at=at(MONDAY, 9), **kwargs)
    make_appointment(
        practice.manager,
        patient=make_patient(practice.manager, "A"),
        starts_at=at(MONDAY, 9),
        overbooked=True,
        **kwargs,
    )
    make_appointment(
        practice.manager,
        patient=make_patient(practice.manager, "B"),
        starts_at=at(MONDAY, 10),
        overbooked=True,
        status="cancelled",
        cancelled_at=NOW,
        **kwargs,
    )
    make_appointment(
        practice.manager,
        patient=make_patient(practice.manager, "C"),
        starts_at=at(MONDAY + timedelta(days=1), 9),
        overbooked=True,
        **kwargs,
    )
    assert overbook_count(practice.lee, practice.follow_up, MONDAY, time_zone="America/New_York") == 1


# --- Property: whatever is booked, every slot is free and inside availability -----------------


@pytest.fixture
def second_provider(practice):
    return make_provider(practice.manager, make_staff("ngozi", "clinician"), [practice.main], npi="1003000126")


def _clashes(held: list[Appointment], candidate: dict) -> bool:
    """Whether `candidate` breaks a rule the database (PostgreSQL) enforces for holding bookings."""
    for a in held:
        if a.block_start < candidate["block_end"] and candidate["block_start"] < a.block_end:
            if a.provider_id == candidate["provider"].pk or a.patient_id == candidate["patient"].pk:
                return True
            if a.room_id is not None and a.room_id == getattr(candidate["room"], "pk", None):
                return True
    return False


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    bookings=st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 9 * 12), st.integers(0, 2), st.integers(0, 3)), max_size=12
    )
)
def test_no_slot_overlaps_a_holding_appointment_and_every_slot_is_inside_availability(
    practice, second_provider, bookings
):
    Appointment.objects.all().delete()
    rooms = [practice.exam1, practice.exam2, None]
    if not hasattr(practice, "other_patient"):
        practice.other_patient = make_patient(practice.manager, "Other")
    held: list[Appointment] = []
    for day, five_minutes, room_index, who in bookings:
        start = at(MONDAY + timedelta(days=day), 8) + timedelta(minutes=5 * five_minutes)
        candidate = {
            "provider": practice.lee if who < 2 else second_provider,
            "patient": practice.patient if who % 2 == 0 else practice.other_patient,
            "room": rooms[room_index],
            "block_start": start,
            "block_end": start + timedelta(minutes=20),
        }
        if _clashes(held, candidate):
            continue
        held.append(
            make_appointment(
                practice.manager,
                patient=candidate["patient"],
                provider=candidate["provider"],
                location=practice.main,
                kind=practice.follow_up,
                starts_at=start,
                room=candidate["room"],
            )
        )
    result = search(practice, end_date=MONDAY + timedelta(days=4), limit=200, patient=practice.patient, grid_minutes=5)
    assert result.count > 0
    for day in result.days:
        for slot in day.slots:
            local = slot.local_start
            assert time(9) <= local.time() and slot.local_end.time() <= time(12) and local.weekday() < 5
            for a in held:
                overlaps = a.block_start < slot.ends_at and slot.starts_at < a.block_end
                same = (
                    a.provider_id == slot.provider.pk
                    or a.room_id == slot.room.pk
                    or a.patient_id == practice.patient.pk
                )
                assert not (overlaps and same)


def test_slot_search_for_a_patient_honours_the_new_or_established_rule(practice):
    from clinicdesk.scheduling.models import PatientKind

    new = make_type(practice.manager, [practice.lee], name="New patient visit", patient_kind=PatientKind.NEW)
    established = make_type(
        practice.manager, [practice.lee], name="Established visit", patient_kind=PatientKind.ESTABLISHED
    )
    # A patient never seen: new-patient slots are offered, established ones refused with the reason.
    assert search(practice, appointment_type=new, patient=practice.patient).count == 4
    with pytest.raises(ValidationError) as refused:
        search(practice, appointment_type=established, patient=practice.patient)
    assert "is for established patients, and this patient has no visit in the last 3 years" in str(refused.value)
    # Seen last month: the other way round. Without a patient the search does not judge.
    make_appointment(
        practice.manager, patient=practice.patient, provider=practice.lee, location=practice.main,
        kind=practice.follow_up, starts_at=at(MONDAY - timedelta(days=28), 9), status="completed",
    )  # fmt: skip
    assert search(practice, appointment_type=established, patient=practice.patient, now=at(MONDAY, 7)).count == 4
    with pytest.raises(ValidationError) as refused:
        search(practice, appointment_type=new, patient=practice.patient, now=at(MONDAY, 7))
    assert "is for new patients, and this patient was seen on 02/02/2026" in str(refused.value)
    assert search(practice, appointment_type=new, now=at(MONDAY, 7)).count == 4
