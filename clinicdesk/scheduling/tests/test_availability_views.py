"""The availability pages (office manager) and the slot search page (front desk)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from clinicdesk.audit.models import AuditEvent
from clinicdesk.scheduling.models import AvailabilityException, AvailabilityTemplate, HolidayOverride
from clinicdesk.scheduling.setup import HoursInput

from .factories import make_location, make_patient, make_provider, make_room, make_template, make_type


@pytest.fixture
def setup(office_manager, clinician):
    hours = [HoursInput(weekday=d, opens=time(8), closes=time(17)) for d in range(5)]
    main = make_location(office_manager, opening_hours=hours)
    room = make_room(office_manager, main)
    lee = make_provider(office_manager, clinician, [main])
    kind = make_type(office_manager, [lee])
    return main, room, lee, kind


def test_the_office_manager_adds_weekly_hours_from_a_date(as_user, office_manager, setup):
    main, room, lee, _ = setup
    client = as_user(office_manager)
    url = f"/scheduling/setup/providers/{lee.public_id}/availability/new/"
    assert client.get(url).status_code == 200
    form = {
        "location": main.public_id,
        "valid_from": "2027-01-04",
        "block_0_weekday": "0",
        "block_0_starts": "09:00",
        "block_0_ends": "12:00",
        "block_0_rooms": [room.public_id],
    }
    response = client.post(url, form)
    assert response.status_code == 302
    version = AvailabilityTemplate.objects.get()
    assert version.valid_from == date(2027, 1, 4) and [b.starts for b in version.blocks.all()] == [time(9)]
    page = client.get(f"/scheduling/setup/providers/{lee.public_id}/availability/").content.decode()
    assert "9:00 AM–12:00 PM" in page and "Exam 1" in page and "Thanksgiving" in page


def test_a_block_outside_opening_hours_is_shown_beside_its_row(as_user, office_manager, setup):
    main, _, lee, _ = setup
    response = as_user(office_manager).post(
        f"/scheduling/setup/providers/{lee.public_id}/availability/new/",
        {
            "location": main.public_id,
            "valid_from": "2027-01-04",
            "block_3_weekday": "0",
            "block_3_starts": "07:00",
            "block_3_ends": "12:00",
        },
    )
    assert response.status_code == 422
    assert "opening hours" in response.context["form"].errors["block_3_starts"][0]
    assert AvailabilityTemplate.objects.count() == 0


def test_exceptions_are_added_with_a_reason_and_removed(as_user, office_manager, setup):
    main, _, lee, _ = setup
    client = as_user(office_manager)
    url = f"/scheduling/setup/providers/{lee.public_id}/availability/exceptions/"
    form = {
        "kind": "meeting",
        "location": main.public_id,
        "start_date": "2027-01-04",
        "start_time": "10:00",
        "end_date": "2027-01-04",
        "end_time": "11:00",
        "reason": "",
    }
    bad = client.post(url, form)
    assert bad.status_code == 422 and bad.context["exception_form"].errors["reason"]
    assert client.post(url, {**form, "reason": "Staff meeting"}).status_code == 302
    exception = AvailabilityException.objects.get()
    assert exception.starts_at.hour == 15  # 10:00 in New York in January
    delete = f"/scheduling/setup/availability/exceptions/{exception.public_id}/delete/"
    assert client.post(delete, {"provider": lee.public_id}).status_code == 302
    assert AvailabilityException.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="availability_exception").count() == 2


def test_a_holiday_is_opened_anyway_and_closed_again(as_user, office_manager, setup):
    main, _, lee, _ = setup
    client = as_user(office_manager)
    url = f"/scheduling/setup/providers/{lee.public_id}/availability/holidays/"
    assert client.post(url, {"location": main.public_id, "day": "2026-11-26", "open": "1"}).status_code == 302
    assert HolidayOverride.objects.filter(day=date(2026, 11, 26)).exists()
    assert client.post(url, {"location": main.public_id, "day": "2026-11-26", "open": "0"}).status_code == 302
    assert not HolidayOverride.objects.exists()


def test_the_front_desk_reads_availability_but_cannot_change_it(as_user, front_desk, setup):
    _, _, lee, _ = setup
    client = as_user(front_desk)
    page = client.get(f"/scheduling/setup/providers/{lee.public_id}/availability/")
    assert page.status_code == 200 and "New weekly hours" not in page.content.decode()
    assert client.get(f"/scheduling/setup/providers/{lee.public_id}/availability/new/").status_code == 403


def test_the_front_desk_finds_slots_grouped_by_day_with_booking_links(
    as_user, office_manager, front_desk, setup, clock
):
    # Slot search offers nothing in the past: the week of the search is still ahead.
    clock.set(datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    main, room, lee, kind = setup
    make_template(office_manager, lee, main, date(2026, 1, 1), [(0, "09:00", "10:00")])
    patient = make_patient(front_desk)
    client = as_user(front_desk)
    assert "Find a slot" in client.get("/scheduling/setup/slots/").content.decode()
    query = {
        "appointment_type": kind.public_id,
        "start_date": "2026-12-07",
        "end_date": "2026-12-14",
        "limit": 3,
        "grid_minutes": 15,
        "patient": patient.mrn,
    }
    response = client.get("/scheduling/setup/slots/", query)
    body = response.content.decode()
    assert response.status_code == 200
    assert "3 slots found" in body
    assert "Mon 12/07/2026" in body
    assert (
        f"/scheduling/book/?type={kind.public_id}" in body.replace("&amp;", "&")
        and "start=2026-12-07T14%3A00%3A00Z" in body
    )
    assert f"patient={patient.mrn}" in body


def test_bad_slot_search_input_is_shown_beside_the_fields(as_user, front_desk, setup):
    _, _, _, kind = setup
    response = as_user(front_desk).get(
        "/scheduling/setup/slots/",
        {
            "appointment_type": kind.public_id,
            "start_date": "2026-12-07",
            "end_date": "2026-12-01",
            "limit": 3,
            "grid_minutes": 15,
        },
    )
    assert response.status_code == 422 and "on or after" in response.context["form"].errors["end_date"][0]


def test_slot_times_are_shown_in_the_clinics_time_zone_not_the_practices(
    as_user, office_manager, front_desk, setup, settings, clock
):
    clock.set(datetime(2026, 11, 30, 17, 0, tzinfo=UTC))  # the week searched below is ahead
    main, _room, lee, kind = setup
    make_template(office_manager, lee, main, date(2026, 1, 1), [(0, "09:00", "10:00")])
    settings.TIME_ZONE = "Europe/London"  # a practice set up elsewhere; the clinic is in New York
    query = {"appointment_type": kind.public_id, "start_date": "2026-12-07", "end_date": "2026-12-14", "limit": 1,
             "grid_minutes": 15}  # fmt: skip
    body = as_user(front_desk).get("/scheduling/setup/slots/", query).content.decode()
    assert "Book 9:00 AM–9:20 AM" in body, body  # 14:00 UTC is 9 AM in New York (and 2 PM in London)


def test_the_slot_search_finds_the_patient_by_name(as_user, office_manager, front_desk, setup, clock):
    clock.set(datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    main, room, lee, kind = setup
    make_template(office_manager, lee, main, date(2026, 1, 1), [(0, "09:00", "10:00")])
    jane = make_patient(front_desk)
    query = {"appointment_type": kind.public_id, "start_date": "2026-12-07", "end_date": "2026-12-14", "limit": 2}
    client = as_user(front_desk)
    page = client.get("/scheduling/setup/slots/", {**query, "grid_minutes": 15, "patient": "Doe, Jane"})
    body = page.content.decode()
    assert page.status_code == 200 and "2 slots found" in body
    assert f"Chosen: <strong>{jane.display_name}</strong>" in body
    assert f"patient={jane.mrn}" in body  # each booking link carries the patient chosen by name
    # Two patients of that name: both are offered beside the field, with the search kept.
    john = make_patient(front_desk, "John", "Doe")
    page = client.get("/scheduling/setup/slots/", {**query, "grid_minutes": 15, "patient": "doe"})
    body = page.content.decode().replace("&amp;", "&")
    assert page.status_code == 422 and "2 patients match “doe”: choose one." in body
    for person in (jane, john):
        assert f"appointment_type={kind.public_id}" in body and f"patient={person.mrn}" in body
    assert "slots found" not in body
    page = client.get("/scheduling/setup/slots/", {**query, "grid_minutes": 15, "patient": "Nobody, Here"})
    assert page.status_code == 422 and "No patient matches" in page.context["form"].errors["patient"][0]
