from __future__ import annotations

import pytest

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.scheduling.models import AppointmentType, Location, Provider, Room

from .factories import make_location, make_provider, make_room, make_type

LOCATION_FORM = {
    "name": "Main Street Clinic",
    "address_line1": "120 Main Street",
    "city": "Kingston",
    "state": "NY",
    "zip_code": "12401",
    "time_zone": "America/New_York",
    "holiday_country": "US",
    "holiday_subdivision": "NY",
    "active": "on",
    "mon_opens": "08:00",
    "mon_closes": "17:00",
    "sat_opens": "09:00",
    "sat_closes": "12:00",
}


def test_the_office_manager_sees_practice_setup_in_the_navigation(as_user, office_manager):
    body = as_user(office_manager).get("/scheduling/setup/").content.decode()
    assert 'href="/scheduling/setup/"' in body and "Practice setup" in body
    assert "/scheduling/setup/locations/" in body and "/scheduling/setup/appointment-types/" in body


def test_the_office_manager_adds_a_location_with_hours(as_user, office_manager):
    response = as_user(office_manager).post("/scheduling/setup/locations/new/", LOCATION_FORM)
    location = Location.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/scheduling/setup/locations/{location.public_id}/"
    assert [(h.weekday, h.opens.hour, h.closes.hour) for h in location.opening_hours.all()] == [(0, 8, 17), (5, 9, 12)]
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="location").count() == 1


def test_closing_before_opening_is_shown_beside_that_day(as_user, office_manager):
    response = as_user(office_manager).post(
        "/scheduling/setup/locations/new/", {**LOCATION_FORM, "tue_opens": "17:00", "tue_closes": "08:00"}
    )
    assert response.status_code == 422
    assert "closing time must be after" in response.context["form"].errors["tue_closes"][0]
    assert 'value="120 Main Street"' in response.content.decode()
    assert Location.objects.count() == 0


def test_a_bad_time_zone_is_shown_beside_the_field(as_user, office_manager):
    response = as_user(office_manager).post("/scheduling/setup/locations/new/", {**LOCATION_FORM, "time_zone": "EST"})
    assert response.status_code == 422 and "daylight saving" in response.context["form"].errors["time_zone"][0]


def test_the_location_page_lists_hours_and_adds_rooms(as_user, office_manager):
    location = make_location(office_manager)
    client = as_user(office_manager)
    page = client.get(f"/scheduling/setup/locations/{location.public_id}/").content.decode()
    assert "Monday" in page and "8:00 AM–5:00 PM" in page
    url = f"/scheduling/setup/locations/{location.public_id}/rooms/new/"
    assert client.post(url, {"name": "Exam 1"}).status_code == 302
    duplicate = client.post(url, {"name": "exam 1"})
    assert duplicate.status_code == 422 and "already has a room" in duplicate.context["room_form"].errors["name"][0]
    assert list(Room.objects.values_list("name", flat=True)) == ["Exam 1"]


def test_the_office_manager_edits_hours_and_deactivates_a_room(as_user, office_manager):
    location = make_location(office_manager)
    room = make_room(office_manager, location)
    client = as_user(office_manager)
    edit = client.get(f"/scheduling/setup/locations/{location.public_id}/edit/")
    assert 'value="08:00"' in edit.content.decode()
    form = {**LOCATION_FORM, "mon_opens": "07:00"}
    assert client.post(f"/scheduling/setup/locations/{location.public_id}/edit/", form).status_code == 302
    assert location.opening_hours.get(weekday=0).opens.hour == 7
    assert client.post(f"/scheduling/setup/rooms/{room.public_id}/edit/", {"name": "Exam 1"}).status_code == 302
    room.refresh_from_db()
    assert room.active is False


def test_the_office_manager_adds_a_provider(as_user, office_manager, clinician):
    location = make_location(office_manager)
    client = as_user(office_manager)
    page = client.get("/scheduling/setup/providers/new/").content.decode()
    assert str(clinician.public_id) in page and "Main Street Clinic" in page
    form = {
        "user": clinician.public_id,
        "npi": "1234567893",
        "taxonomy_code": "207Q00000X",
        "specialty": "Family medicine",
        "locations": [location.public_id],
        "active": "on",
    }
    assert client.post("/scheduling/setup/providers/new/", form).status_code == 302
    provider = Provider.objects.get()
    assert provider.user == clinician and list(provider.locations.all()) == [location]
    assert "Dr. Amara Okafor" in client.get("/scheduling/setup/providers/").content.decode()


def test_a_mistyped_npi_is_shown_beside_the_field(as_user, office_manager, clinician):
    location = make_location(office_manager)
    form = {
        "user": clinician.public_id,
        "npi": "1234567890",
        "taxonomy_code": "207Q00000X",
        "specialty": "Family medicine",
        "locations": [location.public_id],
    }
    response = as_user(office_manager).post("/scheduling/setup/providers/new/", form)
    assert response.status_code == 422 and "check digit" in response.context["form"].errors["npi"][0]
    assert Provider.objects.count() == 0


def test_the_office_manager_adds_and_edits_an_appointment_type(as_user, office_manager, clinician):
    location = make_location(office_manager)
    room = make_room(office_manager, location, "Procedure room")
    provider = make_provider(office_manager, clinician, [location])
    client = as_user(office_manager)
    form = {
        "name": "Procedure",
        "duration_minutes": "60",
        "color": "#D62728",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "10",
        "patient_kind": "any",
        "active": "on",
        "providers": [provider.public_id],
        "rooms": [room.public_id],
        "overbook_limit": "",
    }
    assert client.post("/scheduling/setup/appointment-types/new/", form).status_code == 302
    kind = AppointmentType.objects.get()
    assert (kind.duration_minutes, kind.buffer_after_minutes, list(kind.rooms.all())) == (60, 10, [room])
    edit_url = f"/scheduling/setup/appointment-types/{kind.public_id}/edit/"
    bad = client.post(edit_url, {**form, "color": "red"})
    assert bad.status_code == 422 and "hexadecimal" in bad.context["form"].errors["color"][0]
    assert client.post(edit_url, {**form, "duration_minutes": "45"}).status_code == 302
    kind.refresh_from_db()
    assert kind.duration_minutes == 45
    assert AuditEvent.objects.filter(object_type="appointment_type", action=Action.UPDATE).count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/scheduling/setup/locations/new/",
        "/scheduling/setup/providers/new/",
        "/scheduling/setup/appointment-types/new/",
    ],
)
def test_the_front_desk_is_refused_the_setup_forms(as_user, front_desk, path):
    client = as_user(front_desk)
    assert client.get(path).status_code == 403
    assert client.post(path, LOCATION_FORM).status_code == 403
    assert Location.objects.count() == 0


def test_the_front_desk_reads_the_lists_without_edit_links(as_user, office_manager, front_desk, clinician):
    location = make_location(office_manager)
    provider = make_provider(office_manager, clinician, [location])
    make_type(office_manager, [provider])
    client = as_user(front_desk)
    for path in ("/scheduling/setup/", "/scheduling/setup/locations/", "/scheduling/setup/providers/"):
        response = client.get(path)
        assert response.status_code == 200
        body = response.content.decode()
        assert "/edit/" not in body and "/scheduling/setup/locations/new/" not in body and "Add a" not in body
    assert "Follow-up" in client.get("/scheduling/setup/appointment-types/").content.decode()
    assert client.get(f"/scheduling/setup/locations/{location.public_id}/edit/").status_code == 403
    assert "Practice setup" not in client.get("/").content.decode()


def test_the_biller_reads_no_schedule_setup(as_user, biller):
    assert as_user(biller).get("/scheduling/setup/locations/").status_code == 403
