from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.core.errors import Conflict
from clinicdesk.scheduling import flow
from clinicdesk.scheduling.flow_board import flow_board, wait_level
from clinicdesk.scheduling.models import Appointment, AppointmentChange, AppointmentStatus
from clinicdesk.scheduling.visit_timing import visit_timing_summary, visit_timings

from .factories import make_appointment, make_patient, make_practice, make_room
from .helpers import FLOW_NOW as NOW

S = AppointmentStatus


@pytest.fixture
def clock(clock):
    """The application's clock, stopped at NOW."""
    clock.set(NOW)
    return clock


@pytest.fixture
def practice(office_manager, clinician):
    return make_practice(office_manager, clinician)


@pytest.fixture
def patient(front_desk):
    return make_patient(front_desk)


def book(practice, patient, actor, *, minutes_from_now=0, kind=None, **extra) -> Appointment:
    return make_appointment(
        actor,
        patient=patient,
        provider=practice.provider,
        location=practice.location,
        kind=kind or practice.kind,
        starts_at=NOW + timedelta(minutes=minutes_from_now),
        **extra,
    )


def put_in(appointment: Appointment, status: str, room=None) -> Appointment:
    """Write a state straight to the row, with the timestamps the states before it would have set."""
    order: list[str] = [S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT, S.COMPLETED]
    values: dict = {"status": status}
    if status in order:
        for step in order[: order.index(status) + 1]:
            values[flow.STAMP[step]] = NOW - timedelta(minutes=30)
    if status == S.NO_SHOW:
        values["no_show_at"] = NOW
    if status == S.CANCELLED:
        values["cancelled_at"] = NOW
    if room is not None:
        values["room"] = room
    Appointment.objects.filter(pk=appointment.pk).update(**values)
    appointment.refresh_from_db()
    return appointment


ALLOWED = [
    (S.SCHEDULED, S.ARRIVED),
    (S.ARRIVED, S.ROOMED),
    (S.ROOMED, S.WITH_PROVIDER),
    (S.WITH_PROVIDER, S.CHECKED_OUT),
    (S.CHECKED_OUT, S.COMPLETED),
]
FLOW_STATES = [S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT, S.COMPLETED]
REFUSED = [
    (start, to)
    for start in S.values
    for to in [*FLOW_STATES, S.NO_SHOW, S.CANCELLED]
    if (start, to) not in ALLOWED and start != to
]


@pytest.mark.parametrize(("start", "to"), ALLOWED)
def test_each_step_in_order_is_taken_stamped_and_audited(clock, practice, patient, front_desk, start, to):
    appointment = put_in(
        book(practice, patient, front_desk), start, room=practice.rooms[0] if start != S.SCHEDULED else None
    )
    before = AuditEvent.objects.count()
    room = practice.rooms[1] if to == S.ROOMED else None
    result = flow.flow_transition(actor=front_desk, appointment=appointment, to=to, room=room)
    appointment.refresh_from_db()
    assert result.changed and appointment.status == to
    assert getattr(appointment, flow.STAMP[to]) == NOW
    change = AppointmentChange.objects.get(appointment=appointment, what="status")
    assert (change.what, change.old_value, change.new_value, change.by) == ("status", start, to, front_desk)
    if to == S.ROOMED:  # moved out of the room booked for the visit: the history keeps which one
        moved = AppointmentChange.objects.get(appointment=appointment, what="room")
        assert (moved.old_value, moved.new_value, moved.at) == (practice.rooms[0].name, practice.rooms[1].name, NOW)
    else:
        assert AppointmentChange.objects.filter(appointment=appointment).count() == 1
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert event.action == Action.UPDATE and event.object_type == "appointment"
    assert event.object_id == str(appointment.public_id) and event.patient_id == patient.mrn
    assert patient.last_name not in event.detail  # references, never names


@pytest.mark.parametrize(("start", "to"), REFUSED)
def test_every_step_out_of_order_is_refused_with_what_to_do(clock, practice, patient, front_desk, start, to):
    appointment = put_in(book(practice, patient, front_desk), start, room=practice.rooms[0])
    before = (AuditEvent.objects.count(), AppointmentChange.objects.count())
    with pytest.raises(ValidationError) as refused:
        flow.flow_transition(actor=front_desk, appointment=appointment, to=to, room=practice.rooms[1])
    message = " ".join(refused.value.message_dict["to"])
    assert len(message) > 30  # a sentence, not a code
    appointment.refresh_from_db()
    assert appointment.status == start
    assert (AuditEvent.objects.count(), AppointmentChange.objects.count()) == before


def test_the_refusals_say_why_and_what_to_do(clock, practice, patient, front_desk):
    appointment = book(practice, patient, front_desk)
    with pytest.raises(Conflict, match="first check the patient in"):
        flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[0])
    put_in(appointment, S.ROOMED, room=practice.rooms[0])
    with pytest.raises(Conflict, match="first mark the patient as with the provider"):
        flow.flow_transition(actor=front_desk, appointment=appointment, to=S.CHECKED_OUT)
    for final, words in ((S.CANCELLED, "cancelled"), (S.NO_SHOW, "no-show"), (S.COMPLETED, "completed")):
        put_in(appointment, final)
        with pytest.raises(Conflict, match=words):
            flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)


def test_a_second_click_on_the_same_step_changes_nothing(clock, practice, patient, front_desk):
    appointment = book(practice, patient, front_desk)
    assert flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED).changed
    clock.advance(minutes=1)
    again = flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)
    assert again.changed is False and again.appointment.arrived_at == NOW
    assert AppointmentChange.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="appointment").count() == 1


def test_check_in_records_whether_demographics_were_verified(clock, practice, patient, front_desk):
    first = book(practice, patient, front_desk)
    flow.flow_transition(actor=front_desk, appointment=first, to=S.ARRIVED, demographics_verified=True, note="new card")
    assert AppointmentChange.objects.get(appointment=first).note == "Demographics verified. new card"
    other = book(practice, make_patient(front_desk, first="John", last="Roe"), front_desk, minutes_from_now=60)
    flow.flow_transition(actor=front_desk, appointment=other, to=S.ARRIVED, demographics_verified=False)
    assert AppointmentChange.objects.get(appointment=other).note == "Demographics NOT verified."


def test_rooming_needs_a_free_room_of_the_location(clock, practice, patient, front_desk, office_manager):
    appointment = put_in(book(practice, patient, front_desk), S.ARRIVED)
    with pytest.raises(ValidationError, match="Choose the room"):
        flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED)
    from .factories import make_location

    elsewhere = make_room(office_manager, make_location(office_manager, name="Riverside"), "Exam 1")
    with pytest.raises(ValidationError, match="active room at Main Street Clinic"):
        flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=elsewhere)
    other = put_in(book(practice, make_patient(front_desk, first="Ann"), front_desk, minutes_from_now=-60), S.ROOMED)
    Appointment.objects.filter(pk=other.pk).update(room=practice.rooms[0])
    with pytest.raises(ValidationError, match="has another patient in it"):
        flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[0])
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[1])
    appointment.refresh_from_db()
    assert appointment.room == practice.rooms[1] and appointment.status == S.ROOMED
    assert AppointmentChange.objects.get(appointment=appointment, what="status").note == "Room: Exam 2."
    room = AppointmentChange.objects.get(appointment=appointment, what="room")  # none was booked
    assert (room.old_value, room.new_value) == ("", "Exam 2")


def test_a_telehealth_visit_goes_from_arrived_to_the_provider_without_a_room(clock, practice, patient, front_desk):
    video = put_in(book(practice, patient, front_desk, kind=practice.video), S.ARRIVED)
    flow.flow_transition(actor=front_desk, appointment=video, to=S.WITH_PROVIDER)
    video.refresh_from_db()
    assert video.status == S.WITH_PROVIDER and video.roomed_at is None
    in_person = put_in(book(practice, make_patient(front_desk, first="Bo"), front_desk, minutes_from_now=60), S.ARRIVED)
    with pytest.raises(Conflict, match="first room the patient"):
        flow.flow_transition(actor=front_desk, appointment=in_person, to=S.WITH_PROVIDER)


def test_a_no_show_is_marked_only_after_the_start_and_only_from_scheduled(clock, practice, patient, front_desk):
    later = book(practice, patient, front_desk, minutes_from_now=30)
    with pytest.raises(Conflict, match="starts at 10:30"):
        flow.no_show_mark(actor=front_desk, appointment=later)
    clock.advance(minutes=31)
    result = flow.no_show_mark(actor=front_desk, appointment=later)
    later.refresh_from_db()
    assert result.changed and later.status == S.NO_SHOW and later.no_show_at == clock.at
    assert AuditEvent.objects.filter(object_type="appointment", patient_id=patient.mrn).count() == 1
    assert flow.no_show_mark(actor=front_desk, appointment=later).changed is False
    came = put_in(book(practice, make_patient(front_desk, first="Cy"), front_desk, minutes_from_now=-90), S.ARRIVED)
    with pytest.raises(Conflict, match="they did come"):
        flow.no_show_mark(actor=front_desk, appointment=came)


def test_confirmation_records_how_who_and_when(clock, practice, patient, front_desk):
    appointment = book(practice, patient, front_desk, minutes_from_now=24 * 60)
    with pytest.raises(ValidationError) as missing:
        flow.confirmation_set(actor=front_desk, appointment=appointment, status="confirmed")
    assert "method" in missing.value.message_dict
    with pytest.raises(ValidationError):
        flow.confirmation_set(actor=front_desk, appointment=appointment, status="left_message", method="in_person")
    flow.confirmation_set(actor=front_desk, appointment=appointment, status="confirmed", method="phone")
    appointment.refresh_from_db()
    assert (appointment.confirmation, appointment.confirmation_method) == ("confirmed", "phone")
    assert appointment.confirmed_by == front_desk and appointment.confirmed_at == NOW
    change = AppointmentChange.objects.get(appointment=appointment)
    assert (change.what, change.old_value, change.new_value) == ("confirmation", "unconfirmed", "confirmed (phone)")
    assert AuditEvent.objects.filter(object_type="appointment", patient_id=patient.mrn).count() == 1
    assert (
        flow.confirmation_set(actor=front_desk, appointment=appointment, status="confirmed", method="phone").changed
        is False
    )
    flow.confirmation_set(actor=front_desk, appointment=appointment, status="unconfirmed")
    appointment.refresh_from_db()
    assert appointment.confirmed_by is None and appointment.confirmed_at is None
    put_in(appointment, S.CANCELLED)
    with pytest.raises(Conflict, match="only a scheduled appointment"):
        flow.confirmation_set(actor=front_desk, appointment=appointment, status="declined", method="sms")


def test_the_board_colours_waits_by_the_thresholds(clock, practice, front_desk, settings):
    settings.CLINICDESK_FLOW_WAIT_AMBER_MINUTES = 15
    settings.CLINICDESK_FLOW_WAIT_RED_MINUTES = 30
    assert [wait_level(m) for m in (None, 0, 15, 16, 30, 31)] == ["ok", "ok", "ok", "amber", "amber", "red"]
    for minutes_ago, name in ((10, "Ada"), (20, "Bea"), (40, "Cal")):
        patient = make_patient(front_desk, first=name)
        appointment = book(practice, patient, front_desk, minutes_from_now=-minutes_ago, overbooked=True)
        Appointment.objects.filter(pk=appointment.pk).update(
            status=S.ARRIVED, arrived_at=NOW - timedelta(minutes=minutes_ago)
        )
    board = flow_board(location=practice.location, now=NOW)
    assert [(r.appointment.patient.first_name, r.wait_minutes, r.level) for r in board.rows] == [
        ("Cal", 40, "red"),
        ("Bea", 20, "amber"),
        ("Ada", 10, "ok"),
    ]
    settings.CLINICDESK_FLOW_WAIT_AMBER_MINUTES = 5
    assert flow_board(location=practice.location, now=NOW).rows[2].level == "amber"


def test_the_board_shows_today_only_and_leaves_out_cancelled_visits(clock, practice, patient, front_desk):
    book(practice, patient, front_desk)
    book(practice, make_patient(front_desk, first="Tom"), front_desk, minutes_from_now=24 * 60)
    put_in(book(practice, make_patient(front_desk, first="Una"), front_desk, minutes_from_now=60), S.CANCELLED)
    board = flow_board(location=practice.location, now=NOW)
    assert [r.appointment.patient.first_name for r in board.rows] == ["Jane"]
    assert board.rows[0].actions == [(S.ARRIVED, "Check in")] and board.rows[0].can_no_show


def test_visit_timings_come_from_the_flow_timestamps(clock, practice, patient, front_desk):
    appointment = book(practice, patient, front_desk)
    steps = [(S.ARRIVED, 0), (S.ROOMED, 12), (S.WITH_PROVIDER, 8), (S.CHECKED_OUT, 25)]
    for to, minutes in steps:
        clock.advance(minutes=minutes)
        flow.flow_transition(actor=front_desk, appointment=appointment, to=to, room=practice.rooms[0])
    timing = visit_timings(start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=2)).get()
    assert timing.arrival_to_roomed == timedelta(minutes=12)
    assert timing.roomed_to_provider == timedelta(minutes=8)
    assert timing.arrival_to_provider == timedelta(minutes=20)
    assert timing.total_visit == timedelta(minutes=45)
    summary = visit_timing_summary(
        start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=2), location=practice.location
    )
    assert summary.visits == 1 and summary.total_visit == timedelta(minutes=45)


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_check_the_patient_in_once(committed_db, office_manager, clinician, front_desk):
    practice = make_practice(office_manager, clinician)
    appointment = book(practice, make_patient(front_desk), front_desk)
    results, errors = [], []

    def click():
        try:
            results.append(flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED).changed)
        except Exception as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(results) == [False, True]
    assert AppointmentChange.objects.filter(appointment=appointment).count() == 1
    assert AuditEvent.objects.filter(object_type="appointment").count() == 1


# --- Undo of a flow step ---------------------------------------------------------------------

UNDO_BACK = [
    (S.ARRIVED, S.SCHEDULED),
    (S.ROOMED, S.ARRIVED),
    (S.WITH_PROVIDER, S.ROOMED),
    (S.CHECKED_OUT, S.WITH_PROVIDER),
]


@pytest.mark.parametrize(("start", "back"), UNDO_BACK)
def test_undo_takes_the_latest_step_back_clears_its_time_and_is_audited(
    clock, practice, patient, front_desk, start, back
):
    appointment = book(practice, patient, front_desk)
    order = [S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT]
    for to in order[: order.index(start) + 1]:
        clock.advance(minutes=5)
        flow.flow_transition(actor=front_desk, appointment=appointment, to=to, room=practice.rooms[0])
    clock.advance(minutes=3)
    before = (AuditEvent.objects.count(), AppointmentChange.objects.count())
    result = flow.flow_undo(actor=front_desk, appointment=appointment, reason="Clicked by mistake")
    appointment.refresh_from_db()
    assert result.changed and appointment.status == back
    assert getattr(appointment, flow.STAMP[start]) is None
    if back != S.SCHEDULED:
        assert getattr(appointment, flow.STAMP[back]) is not None  # the state before keeps its time
    assert (AuditEvent.objects.count(), AppointmentChange.objects.count()) == (before[0] + 1, before[1] + 1)
    undo = AppointmentChange.objects.filter(appointment=appointment).latest("id")
    assert (undo.what, undo.old_value, undo.new_value, undo.by, undo.at) == (
        "status undone",
        start,
        back,
        front_desk,
        clock.at,
    )
    assert "Reason: Clicked by mistake" in undo.note
    assert AppointmentChange.objects.filter(appointment=appointment, what="status", new_value=start).exists()
    event = AuditEvent.objects.latest("seq")
    assert event.action == Action.UPDATE and event.object_id == str(appointment.public_id)
    assert event.patient_id == patient.mrn and f"{start} -> {back}" in event.detail


def test_undoing_rooming_frees_the_room_and_the_patient_can_be_roomed_again(clock, practice, patient, front_desk):
    appointment = book(practice, patient, front_desk)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[0])
    flow.flow_undo(actor=front_desk, appointment=appointment, reason="Wrong room")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.room, appointment.roomed_at) == (S.ARRIVED, None, None)
    clock.advance(minutes=4)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[1])
    appointment.refresh_from_db()
    assert (appointment.room, appointment.roomed_at) == (practice.rooms[1], clock.at)


def test_undoing_rooming_gives_back_the_room_booked_for_the_visit(clock, practice, patient, front_desk):
    appointment = book(practice, patient, front_desk, room=practice.rooms[0])
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[1])
    flow.flow_undo(actor=front_desk, appointment=appointment, reason="Wrong room")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.room) == (S.ARRIVED, practice.rooms[0])


def test_undoing_rooming_in_the_booked_room_keeps_it(clock, practice, patient, front_desk):
    appointment = book(practice, patient, front_desk, room=practice.rooms[0])
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[0])
    assert not AppointmentChange.objects.filter(appointment=appointment, what="room").exists()
    flow.flow_undo(actor=front_desk, appointment=appointment, reason="Clicked by mistake")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.room, appointment.roomed_at) == (S.ARRIVED, practice.rooms[0], None)


def test_undoing_a_telehealth_visit_with_the_provider_goes_back_to_arrived(clock, practice, patient, front_desk):
    appointment = book(practice, patient, front_desk, kind=practice.video)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.WITH_PROVIDER)
    flow.flow_undo(actor=front_desk, appointment=appointment, reason="Clicked by mistake")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.with_provider_at) == (S.ARRIVED, None)


def test_only_one_step_is_undone(clock, practice, patient, front_desk):
    appointment = book(practice, patient, front_desk)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[0])
    flow.flow_undo(actor=front_desk, appointment=appointment, reason="Clicked by mistake")
    before = (AuditEvent.objects.count(), AppointmentChange.objects.count())
    with pytest.raises(Conflict) as refused:
        flow.flow_undo(actor=front_desk, appointment=appointment, reason="Clicked by mistake")
    assert "already undone" in " ".join(refused.value.message_dict["to"])
    appointment.refresh_from_db()
    assert appointment.status == S.ARRIVED and appointment.arrived_at == NOW
    assert (AuditEvent.objects.count(), AppointmentChange.objects.count()) == before
    # A new step after the undo can itself be undone.
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[1])
    flow.flow_undo(actor=front_desk, appointment=appointment, reason="Clicked by mistake")
    appointment.refresh_from_db()
    assert appointment.status == S.ARRIVED


def test_undo_is_refused_after_the_window(clock, practice, patient, front_desk, settings):
    settings.CLINICDESK_FLOW_UNDO_MINUTES = 30
    appointment = book(practice, patient, front_desk)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)
    clock.advance(minutes=30)
    flow.flow_undo(actor=front_desk, appointment=appointment, reason="Wrong patient")  # 30 minutes: still in time
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)
    clock.advance(minutes=31)
    with pytest.raises(Conflict) as refused:
        flow.flow_undo(actor=front_desk, appointment=appointment, reason="Wrong patient")
    assert "more than 30 minutes ago" in " ".join(refused.value.message_dict["to"])
    appointment.refresh_from_db()
    assert appointment.status == S.ARRIVED


@pytest.mark.parametrize("start", [S.SCHEDULED, S.COMPLETED, S.NO_SHOW, S.CANCELLED])
def test_undo_is_refused_from_scheduled_and_the_final_states(clock, practice, patient, front_desk, start):
    appointment = put_in(book(practice, patient, front_desk), start)
    before = (AuditEvent.objects.count(), AppointmentChange.objects.count())
    with pytest.raises(Conflict) as refused:
        flow.flow_undo(actor=front_desk, appointment=appointment, reason="Clicked by mistake")
    assert len(" ".join(refused.value.message_dict["to"])) > 30
    appointment.refresh_from_db()
    assert appointment.status == start
    assert (AuditEvent.objects.count(), AppointmentChange.objects.count()) == before


@pytest.mark.parametrize("reason", ["", "   ", "x" * 151])
def test_undo_needs_a_short_reason(clock, practice, patient, front_desk, reason):
    appointment = book(practice, patient, front_desk)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)
    with pytest.raises(ValidationError) as refused:
        flow.flow_undo(actor=front_desk, appointment=appointment, reason=reason)
    assert "reason" in refused.value.message_dict
    appointment.refresh_from_db()
    assert appointment.status == S.ARRIVED


def test_visit_timings_stay_right_after_an_undo(clock, practice, patient, front_desk):
    appointment = book(practice, patient, front_desk)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)
    clock.advance(minutes=2)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[0])
    clock.advance(minutes=1)
    flow.flow_undo(actor=front_desk, appointment=appointment, reason="Clicked by mistake")
    window = {"start": NOW - timedelta(hours=1), "end": NOW + timedelta(hours=2)}
    assert visit_timings(**window).get().arrival_to_roomed is None  # not roomed: no rooming time
    clock.advance(minutes=10)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[0])
    clock.advance(minutes=5)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.WITH_PROVIDER)
    timing = visit_timings(**window).get()
    assert timing.arrival_to_roomed == timedelta(minutes=13)
    assert timing.roomed_to_provider == timedelta(minutes=5)
    assert timing.arrival_to_provider == timedelta(minutes=18)


def test_the_board_offers_undo_only_while_the_step_can_be_undone(clock, practice, patient, front_desk, settings):
    settings.CLINICDESK_FLOW_UNDO_MINUTES = 30
    appointment = book(practice, patient, front_desk)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ARRIVED)
    assert flow_board(location=practice.location, now=clock.at).rows[0].undo == "Undo check in"
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[0])
    assert flow_board(location=practice.location, now=clock.at).rows[0].undo == "Undo room"
    clock.advance(minutes=1)
    flow.flow_undo(actor=front_desk, appointment=appointment, reason="Clicked by mistake")
    assert flow_board(location=practice.location, now=clock.at).rows[0].undo == ""  # once only
    clock.advance(minutes=1)
    flow.flow_transition(actor=front_desk, appointment=appointment, to=S.ROOMED, room=practice.rooms[0])
    clock.advance(minutes=31)
    assert flow_board(location=practice.location, now=clock.at).rows[0].undo == ""  # too late
