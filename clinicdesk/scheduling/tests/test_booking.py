"""Booking, moving and cancelling: never a double booking, always a clear answer."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicdesk.audit.models import AuditEvent
from clinicdesk.scheduling.booking import (
    BookingInput,
    BookingRefused,
    appointment_book,
    appointment_cancel,
    appointment_move,
)
from clinicdesk.scheduling.models import HOLDING_STATUSES, Appointment, AppointmentStatus, ConfirmationStatus

from .factories import make_location, make_provider, make_room, make_template, make_type
from .helpers import AT_10, WEEKDAYS_8_TO_5, book_at, overlapping_pairs, registered_patient
from .helpers import BOOKING_NOW as NOW


def test_a_booking_holds_the_visit_and_its_buffers_and_is_audited(practice):
    appointment = book_at(practice, room=practice["rooms"][0])
    assert appointment.ends_at == AT_10 + timedelta(minutes=20)
    assert (appointment.block_start, appointment.block_end) == (AT_10, AT_10 + timedelta(minutes=30))
    assert appointment.changes.get().what == "booked"
    event = AuditEvent.objects.get(object_type="appointment", object_id=str(appointment.public_id))
    assert event.patient_id == practice["jane"].mrn


def test_the_same_provider_cannot_be_booked_twice_and_the_message_says_by_whom(practice):
    book_at(practice)
    with pytest.raises(BookingRefused, match="already has an appointment then .Mon 12/07/2026 10:00 AM"):
        book_at(practice, patient="joe", at=AT_10 + timedelta(minutes=5))
    assert Appointment.objects.count() == 1


def test_the_buffer_after_a_visit_is_held_but_the_next_visit_may_start_when_it_ends(practice):
    book_at(practice)
    with pytest.raises(BookingRefused):
        book_at(practice, patient="joe", at=AT_10 + timedelta(minutes=25))  # inside the 10-minute buffer
    assert book_at(practice, patient="joe", at=AT_10 + timedelta(minutes=30)).pk


def test_a_patient_is_never_in_two_places_at_once(practice):
    book_at(practice)
    with pytest.raises(BookingRefused, match="The patient already has an appointment"):
        book_at(practice, provider="other", at=AT_10 + timedelta(minutes=10))


def test_a_room_is_never_booked_twice(practice):
    book_at(practice, room=practice["rooms"][0])
    with pytest.raises(BookingRefused, match="Exam 1 is booked then"):
        book_at(practice, patient="joe", provider="other", room=practice["rooms"][0])
    assert book_at(practice, patient="joe", provider="other", room=practice["rooms"][1]).room == practice["rooms"][1]


def test_cancelling_frees_the_time(practice):
    first = book_at(practice)
    appointment_cancel(actor=practice["actor"], appointment=first, reason="Patient called", now=NOW)
    assert book_at(practice, patient="joe").pk


def test_overbooking_only_where_the_type_allows_and_up_to_its_limit(practice):
    book_at(practice, kind="quick")
    with pytest.raises(BookingRefused, match="already has an appointment"):
        book_at(practice, kind="quick", patient="joe")
    overbooked = book_at(practice, kind="quick", patient="joe", overbook=True, room=practice["rooms"][0])
    assert overbooked.overbooked and overbooked.room is None  # roomed when the room frees up
    third = registered_patient(practice["actor"], "Ann", "Poe")
    practice["ann"] = third
    with pytest.raises(BookingRefused, match="the most allowed"):
        book_at(practice, kind="quick", patient="ann", overbook=True)
    with pytest.raises(BookingRefused, match="may not be overbooked"):
        book_at(practice, patient="ann", overbook=True)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (NOW - timedelta(minutes=1), "That time has passed"),
        (datetime(2026, 12, 7, 10, 0), "with its time zone"),  # noqa: DTZ001 (the mistake under test)
    ],
)
def test_bad_times_are_refused_with_what_to_do(practice, when, message):
    with pytest.raises(ValidationError, match=message):  # BookingRefused is one too
        book_at(practice, at=when)
    assert not Appointment.objects.exists()


def test_moving_keeps_the_appointment_its_history_and_asks_for_confirmation_again(practice):
    appointment = book_at(practice)
    Appointment.objects.filter(pk=appointment.pk).update(confirmation=ConfirmationStatus.CONFIRMED)
    later = AT_10 + timedelta(hours=2)
    moved = appointment_move(actor=practice["actor"], appointment=appointment, starts_at=later, now=NOW)
    assert (moved.pk, moved.public_id, moved.starts_at) == (appointment.pk, appointment.public_id, later)
    assert moved.confirmation == ConfirmationStatus.UNCONFIRMED
    change = moved.changes.get(what="moved")
    # The history says the times as people read them, in the clinic's zone.
    assert change.old_value.startswith("Mon 12/07/2026 10:00 AM ") and "T15:00" not in change.old_value
    assert change.new_value.startswith("Mon 12/07/2026 12:00 PM ")
    # The old time is free again, and the new one is held.
    assert book_at(practice, patient="joe").pk
    with pytest.raises(BookingRefused):
        book_at(practice, patient="joe", at=later)


def test_moving_onto_a_booked_time_changes_nothing(practice):
    first = book_at(practice)
    second = book_at(practice, patient="joe", at=AT_10 + timedelta(hours=1))
    with pytest.raises(BookingRefused, match="already has an appointment"):
        appointment_move(actor=practice["actor"], appointment=second, starts_at=AT_10, now=NOW)
    second.refresh_from_db()
    assert second.starts_at == AT_10 + timedelta(hours=1) and first.starts_at == AT_10
    assert not second.changes.filter(what="moved").exists()


def test_cancel_records_who_when_why_and_whether_it_was_late(practice):
    early = book_at(practice)
    late = book_at(practice, patient="joe", at=NOW + timedelta(hours=3))
    actor = practice["actor"]
    appointment_cancel(actor=actor, appointment=early, reason="Feeling better", now=NOW)
    appointment_cancel(actor=actor, appointment=late, reason="Car trouble", now=NOW)
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.status, early.cancelled_by, early.cancelled_at, early.late_cancel) == ("cancelled", actor, NOW, False)
    assert late.late_cancel and late.cancel_reason == "Car trouble"
    with pytest.raises(BookingRefused, match="only a scheduled one can be cancelled"):
        appointment_cancel(actor=actor, appointment=early, reason="again", now=NOW)
    with pytest.raises(BookingRefused, match="Say why"):
        appointment_cancel(
            actor=actor, appointment=book_at(practice, at=AT_10 + timedelta(days=1)), reason=" ", now=NOW
        )


def test_the_database_itself_refuses_an_overlap_that_skips_the_service(practice):
    """On PostgreSQL the exclusion constraint is the guarantee, whatever code writes the row."""
    first = book_at(practice)
    clone = Appointment(
        patient=practice["joe"],
        provider=first.provider,
        location=first.location,
        appointment_type=first.appointment_type,
        starts_at=first.starts_at,
        ends_at=first.ends_at,
        block_start=first.block_start,
        block_end=first.block_end,
        created_by=practice["actor"],
    )
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="sched_appt_provider_no_overlap"), transaction.atomic():
            clone.save()
    else:  # SQLite has no such constraint: the service's check under the write lock is the guard
        with transaction.atomic():
            clone.save()
            assert Appointment.objects.filter(provider=first.provider).count() == 2
            transaction.set_rollback(True)


def _race(practice, attempts: int) -> tuple[list[Appointment], list[BaseException]]:
    """`attempts` threads, each with its own database connection, booking the same slot at once."""
    patients = [registered_patient(practice["actor"], f"Racer{n}", "Test") for n in range(attempts)]
    barrier = threading.Barrier(attempts)
    booked: list[Appointment] = []
    refused: list[BaseException] = []

    def attempt(patient):
        try:
            barrier.wait()
            data = BookingInput(
                patient=patient,
                provider=practice["provider"],
                location=practice["location"],
                appointment_type=practice["type"],
                starts_at=AT_10,
            )
            booked.append(appointment_book(actor=practice["actor"], data=data, now=NOW))
        except BaseException as exc:  # noqa: BLE001 (collected and checked below)
            refused.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return booked, refused


def test_32_clerks_booking_one_slot_at_once_get_one_booking_and_31_clear_refusals(committed_db, request):
    from conftest import make_staff

    office_manager = make_staff("om-race", "office_manager")
    front_desk = make_staff("fd-race", "front_desk")
    clinician = make_staff("dr-race", "clinician")
    location = make_location(office_manager, opening_hours=WEEKDAYS_8_TO_5)
    make_room(office_manager, location)
    provider = make_provider(office_manager, clinician, [location])
    make_template(office_manager, provider, location, date(2026, 1, 1), [(d, "08:00", "17:00") for d in range(5)])
    kind = make_type(office_manager, [provider])
    practice = {"location": location, "provider": provider, "type": kind, "actor": front_desk}
    booked, refused = _race(practice, 32)
    assert len(booked) == 1, refused
    assert len(refused) == 31 and all(isinstance(exc, BookingRefused) for exc in refused), refused
    clear = ("Someone else just booked that time.", f"{provider} already has an appointment then")
    assert all(str(exc.messages[0]).startswith(clear) for exc in refused), refused
    assert Appointment.objects.filter(provider=provider, status__in=HOLDING_STATUSES).count() == 1


operations = st.lists(
    st.tuples(
        st.sampled_from(["book", "move", "cancel"]),
        st.integers(0, 11),  # start, in 10-minute steps after 10:00
        st.sampled_from(["jane", "joe"]),
        st.sampled_from(["provider", "other"]),
        st.sampled_from([None, 0, 1]),  # room
        st.integers(0, 20),  # which existing appointment to move or cancel
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_no_sequence_of_book_move_cancel_ever_leaves_an_overlap(practice, steps):
    with transaction.atomic():
        for action, slot, patient, provider, room, which in steps:
            at = AT_10 + timedelta(minutes=10 * slot)
            room_obj = None if room is None else practice["rooms"][room]
            existing = list(Appointment.objects.filter(status=AppointmentStatus.SCHEDULED).order_by("pk"))
            try:
                if action == "book" or not existing:
                    book_at(practice, at=at, patient=patient, provider=provider, room=room_obj)
                elif action == "move":
                    target = existing[which % len(existing)]
                    appointment_move(actor=practice["actor"], appointment=target, starts_at=at, room=room_obj, now=NOW)
                else:
                    target = existing[which % len(existing)]
                    appointment_cancel(actor=practice["actor"], appointment=target, reason="test", now=NOW)
            except BookingRefused:
                pass
            assert overlapping_pairs() == []
        transaction.set_rollback(True)


def test_new_patient_visits_are_for_new_patients_and_follow_ups_for_established_ones(practice, office_manager):
    from clinicdesk.scheduling.models import PatientKind
    from clinicdesk.scheduling.setup import AppointmentTypeInput, appointment_type_update

    for kind, patient_kind in ((practice["type"], PatientKind.ESTABLISHED),):
        appointment_type_update(
            actor=office_manager,
            kind=kind,
            data=AppointmentTypeInput(
                name=kind.name, duration_minutes=kind.duration_minutes, providers=[practice["provider"], practice["other"]],
                buffer_after_minutes=kind.buffer_after_minutes, patient_kind=patient_kind,
            ),
        )  # fmt: skip
    with pytest.raises(BookingRefused, match="is for established patients, and this patient has no visit"):
        book_at(practice)
    new = make_type(office_manager, [practice["provider"]], name="New patient visit", patient_kind=PatientKind.NEW)
    practice["new"] = new
    first = book_at(practice, kind="new")
    Appointment.objects.filter(pk=first.pk).update(status="completed")  # seen
    assert book_at(practice, at=AT_10 + timedelta(days=7)).pk  # now established
    with pytest.raises(BookingRefused, match="is for new patients, and this patient was seen on 12/07/2026"):
        book_at(practice, kind="new", at=AT_10 + timedelta(days=14))
