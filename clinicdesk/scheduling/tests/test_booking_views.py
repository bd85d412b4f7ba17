"""The booking page and the appointment page: book, refuse clearly, reschedule, cancel, local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinicdesk.audit.models import AuditEvent
from clinicdesk.core import clock as app_clock
from clinicdesk.patients.models import Patient
from clinicdesk.scheduling.booking_forms import local_instant
from clinicdesk.scheduling.models import Appointment, AppointmentStatus, Location

from .helpers import at, book_now

NEW_YORK = ZoneInfo("America/New_York")


def book_query(clinic, **extra) -> str:
    values = {
        "provider": clinic["provider"].public_id,
        "location": clinic["location"].public_id,
        "type": clinic["type"].public_id,
        "start": at(clinic["monday"], 10).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }
    return reverse("scheduling:book") + "?" + urlencode(values)


def book_form(clinic, *, patient="jane", hour="10:00", day=None, room=0, **extra) -> dict:
    return {
        "location": clinic["location"].public_id,
        "provider": clinic["provider"].public_id,
        "appointment_type": clinic["type"].public_id,
        "date": (day or clinic["monday"]).isoformat(),
        "time": hour,
        "patient": clinic[patient].mrn,
        "room": clinic["rooms"][room].public_id if room is not None else "",
        "reason": "Knee pain",
        **extra,
    }


# --- Booking page ------------------------------------------------------------------------------


def test_the_booking_page_shows_the_slot_in_the_locations_time_and_the_chosen_patient(clinic, as_user):
    client = as_user(clinic["actor"])
    response = client.get(book_query(clinic, patient=clinic["jane"].mrn))
    assert response.status_code == 200
    body = response.content.decode()
    assert "at 10:00 AM" in body and "America/New_York" in body
    assert clinic["jane"].display_name in body and 'value="10:00"' in body
    assert 'name="overbook"' not in body  # Follow-up may not be overbooked


def test_the_overbook_box_shows_only_for_a_type_that_allows_it(clinic, as_user):
    client = as_user(clinic["actor"])
    body = client.get(book_query(clinic, type=clinic["quick"].public_id)).content.decode()
    assert 'name="overbook"' in body


def test_the_patient_is_found_by_name_on_the_booking_page(clinic, as_user):
    client = as_user(clinic["actor"])
    body = client.get(book_query(clinic, patient_q="doe, jane")).content.decode()
    assert f"patient={clinic['jane'].mrn}" in body and "Choose" in body
    fragment = client.get(book_query(clinic, patient_q="roe"), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert clinic["joe"].mrn in fragment.content.decode()


def test_booking_from_the_page_books_and_opens_the_appointment(clinic, as_user):
    client = as_user(clinic["actor"])
    response = client.post(reverse("scheduling:book"), book_form(clinic))
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:appointment", kwargs={"public_id": appointment.public_id})
    assert appointment.starts_at == at(clinic["monday"], 10)
    assert (appointment.patient, appointment.room, appointment.reason) == (
        clinic["jane"],
        clinic["rooms"][0],
        "Knee pain",
    )
    assert AuditEvent.objects.filter(object_type="appointment", action="create").count() == 1


def test_a_second_booking_of_the_same_slot_shows_why_and_books_nothing(clinic, as_user):
    book_now(clinic)
    client = as_user(clinic["actor"])
    response = client.post(reverse("scheduling:book"), book_form(clinic, patient="joe", room=1))
    assert response.status_code == 409
    body = response.content.decode()
    assert "already has an appointment then" in body and 'id="id_time_error"' in body
    assert Appointment.objects.count() == 1


def test_a_busy_room_is_named_beside_the_room(clinic, as_user):
    book_now(clinic, provider="other")
    client = as_user(clinic["actor"])
    response = client.post(reverse("scheduling:book"), book_form(clinic, patient="joe", room=0))
    assert response.status_code == 409
    assert 'id="id_room_error"' in response.content.decode()
    assert Appointment.objects.count() == 1


def test_an_unknown_mrn_is_refused_beside_the_patient_field(clinic, as_user):
    client = as_user(clinic["actor"])
    response = client.post(reverse("scheduling:book"), book_form(clinic, patient="jane") | {"patient": "12345678"})
    assert response.status_code == 422
    assert "No patient has this MRN" in response.content.decode()
    assert not Appointment.objects.exists()


def _spring_forward(after: date) -> date:
    """The second Sunday of March after `after` (US daylight saving time starts at 02:00)."""
    year = after.year + 1
    march = date(year, 3, 1)
    return march + timedelta(days=(6 - march.weekday()) % 7 + 7)


def test_a_time_skipped_by_daylight_saving_is_refused_with_a_clear_message(clinic, as_user):
    day = _spring_forward(app_clock.today())
    client = as_user(clinic["actor"])
    response = client.post(reverse("scheduling:book"), book_form(clinic, day=day, hour="02:30"))
    assert response.status_code == 422
    assert "does not exist at Main Street Clinic: the clocks go forward" in response.content.decode()
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("day", "clock", "expected"),
    [
        (date(2027, 3, 14), time(2, 30), "does not exist"),  # spring forward: 02:00 jumps to 03:00
        (date(2027, 11, 7), time(1, 30), "happens twice"),  # fall back: 01:00–02:00 runs twice
        (date(2027, 3, 14), time(3, 0), datetime(2027, 3, 14, 7, 0, tzinfo=UTC)),  # EDT, UTC-4
        (date(2027, 11, 7), time(2, 0), datetime(2027, 11, 7, 7, 0, tzinfo=UTC)),  # EST, UTC-5
        (date(2027, 7, 1), time(9, 15), datetime(2027, 7, 1, 13, 15, tzinfo=UTC)),
    ],
)
def test_local_times_become_one_utc_instant_or_a_clear_refusal(day, clock, expected):
    location = Location(name="Main Street Clinic", time_zone="America/New_York")
    if isinstance(expected, str):
        with pytest.raises(ValidationError, match=expected):
            local_instant(day, clock, location)
    else:
        assert local_instant(day, clock, location) == expected


# --- Appointment page --------------------------------------------------------------------------


def test_the_appointment_page_shows_details_history_and_local_time(clinic, as_user):
    appointment = book_now(clinic)
    client = as_user(clinic["actor"])
    response = client.get(reverse("scheduling:appointment", kwargs={"public_id": appointment.public_id}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "10:00 AM" in body and "Booked" in body and clinic["jane"].display_name in body
    assert AuditEvent.objects.filter(object_type="appointment", action="read").exists()


def test_reschedule_from_the_page_keeps_the_appointment_and_records_the_move(clinic, as_user):
    appointment = book_now(clinic)
    client = as_user(clinic["actor"])
    url = reverse("scheduling:appointment_move", kwargs={"public_id": appointment.public_id})
    response = client.post(url, {"date": clinic["monday"].isoformat(), "time": "14:30", "reason": "asked"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == at(clinic["monday"], 14, 30) and appointment.room == clinic["rooms"][0]
    assert appointment.changes.filter(what="moved", note="asked").count() == 1


def test_reschedule_onto_a_taken_time_shows_the_clash_and_moves_nothing(clinic, as_user):
    book_now(clinic, patient="joe", hour=14, room=1)
    appointment = book_now(clinic)
    client = as_user(clinic["actor"])
    url = reverse("scheduling:appointment_move", kwargs={"public_id": appointment.public_id})
    response = client.post(url, {"date": clinic["monday"].isoformat(), "time": "14:00"})
    assert response.status_code == 409
    assert "already has an appointment then" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.starts_at == at(clinic["monday"], 10)


def test_reschedule_into_a_daylight_saving_gap_is_refused(clinic, as_user):
    appointment = book_now(clinic)
    client = as_user(clinic["actor"])
    url = reverse("scheduling:appointment_move", kwargs={"public_id": appointment.public_id})
    day = _spring_forward(app_clock.today())
    response = client.post(url, {"date": day.isoformat(), "time": "02:15"})
    assert response.status_code == 422 and "does not exist" in response.content.decode()


def test_the_cancel_screen_says_whether_it_is_a_late_cancel(clinic, as_user):
    far = book_now(clinic)
    client = as_user(clinic["actor"])
    body = client.get(reverse("scheduling:appointment_cancel", kwargs={"public_id": far.public_id})).content.decode()
    assert "Not a late cancel" in body
    start = app_clock.now() + timedelta(hours=2)  # moved under the window without the service, on purpose
    Appointment.objects.filter(pk=far.pk).update(
        block_start=start, starts_at=start, ends_at=start + timedelta(minutes=20), block_end=start + timedelta(hours=1)
    )
    body = client.get(reverse("scheduling:appointment_cancel", kwargs={"public_id": far.public_id})).content.decode()
    assert "This will count as a late cancel" in body


def test_cancel_needs_a_reason_then_frees_the_slot(clinic, as_user):
    appointment = book_now(clinic)
    client = as_user(clinic["actor"])
    url = reverse("scheduling:appointment_cancel", kwargs={"public_id": appointment.public_id})
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 422
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    response = client.post(url, {"reason": "Patient called"})
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:slot_freed", kwargs={"public_id": appointment.public_id})
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason, appointment.late_cancel) == (
        "cancelled",
        "Patient called",
        False,
    )


# --- Who may do what -----------------------------------------------------------------------------


def test_a_clinician_reads_the_appointment_but_cannot_book_move_or_cancel(clinic, as_user, clinician):
    appointment = book_now(clinic)
    client = as_user(clinician)
    assert client.get(reverse("scheduling:appointment", kwargs={"public_id": appointment.public_id})).status_code == 200
    assert client.get(book_query(clinic)).status_code == 403
    assert client.post(reverse("scheduling:book"), book_form(clinic)).status_code == 403
    move = reverse("scheduling:appointment_move", kwargs={"public_id": appointment.public_id})
    assert client.post(move, {"date": clinic["monday"].isoformat(), "time": "14:00"}).status_code == 403
    cancel = reverse("scheduling:appointment_cancel", kwargs={"public_id": appointment.public_id})
    assert client.post(cancel, {"reason": "x"}).status_code == 403
    appointment.refresh_from_db()
    assert appointment.starts_at == at(clinic["monday"], 10) and appointment.status == "scheduled"


def test_a_biller_cannot_open_an_appointment(clinic, as_user, biller):
    appointment = book_now(clinic)
    response = as_user(biller).get(reverse("scheduling:appointment", kwargs={"public_id": appointment.public_id}))
    assert response.status_code == 403


def test_the_booked_message_ends_a_name_with_an_initial_in_one_period(clinic, as_user):
    jane = clinic["jane"]
    Patient.objects.filter(pk=jane.pk).update(middle_name="Beth")
    client = as_user(clinic["actor"])
    response = client.post(reverse("scheduling:book"), book_form(clinic), follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [f"Booked {Appointment.objects.get().appointment_type} for {jane.last_name}, {jane.first_name} B."]


def test_the_appointment_history_says_times_in_the_house_style_even_for_rows_written_in_iso(clinic, as_user):
    appointment = book_now(clinic)
    # A move recorded before the history used the house style kept ISO 8601 moments in UTC.
    appointment.changes.create(by=clinic["actor"], what="moved", note="asked",
                               old_value="2026-12-07T15:00:00+00:00 Dr. Okafor @ Main",
                               new_value="2026-12-08T19:30:00+00:00 Dr. Okafor @ Main")  # fmt: skip
    page = as_user(clinic["actor"]).get(reverse("scheduling:appointment", kwargs={"public_id": appointment.public_id}))
    body = page.content.decode()
    assert "Mon 12/07/2026 10:00 AM Dr. Okafor @ Main → Tue 12/08/2026 2:30 PM Dr. Okafor @ Main" in body
    assert "T15:00" not in body and "+00:00" not in body
