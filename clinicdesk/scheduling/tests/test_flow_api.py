from __future__ import annotations

from datetime import timedelta

import pytest

from clinicdesk.audit.models import AuditEvent
from clinicdesk.scheduling.models import Appointment, AppointmentChange, AppointmentStatus

from .factories import make_appointment, make_patient, make_practice
from .helpers import FLOW_NOW as NOW

S = AppointmentStatus
BASE = "/api/v1/scheduling"


@pytest.fixture
def clock(clock):
    clock.set(NOW)
    return clock


@pytest.fixture
def practice(office_manager, clinician):
    return make_practice(office_manager, clinician)


@pytest.fixture
def appointment(practice, front_desk):
    return make_appointment(
        front_desk, patient=make_patient(front_desk), provider=practice.provider, location=practice.location,
        kind=practice.kind, starts_at=NOW - timedelta(minutes=5), reason="Cough",
    )  # fmt: skip


def post(client, url, body=None):
    return client.post(url, data=body or {}, content_type="application/json")


def test_the_front_desk_moves_a_patient_through_the_whole_visit(clock, as_user, front_desk, practice, appointment):
    client = as_user(front_desk)
    url = f"{BASE}/appointments/{appointment.public_id}/flow"
    checked_in = post(client, url, {"to": "arrived", "demographics_verified": True})
    assert checked_in.status_code == 200, checked_in.content
    assert checked_in.json()["status"] == "arrived" and checked_in.json()["arrived_at"].startswith("2030-03-04T15:00")
    roomed = post(client, url, {"to": "roomed", "room": str(practice.rooms[0].public_id)})
    assert roomed.status_code == 200 and roomed.json()["room"] == str(practice.rooms[0].public_id)
    for to in ("with_provider", "checked_out", "completed"):
        clock.advance(minutes=10)
        assert post(client, url, {"to": to}).json()["status"] == to
    appointment.refresh_from_db()
    assert appointment.completed_at == NOW + timedelta(minutes=30)
    assert AppointmentChange.objects.filter(appointment=appointment, what="status").count() == 5
    assert AppointmentChange.objects.filter(appointment=appointment, what="room").count() == 1  # the room taken
    # Each step opens the appointment through access_appointment (a read of the patient's record,
    # audited) and writes its change (audited).
    events = AuditEvent.objects.filter(object_type="appointment", object_id=str(appointment.public_id))
    assert sorted(events.values_list("action", flat=True)) == ["read"] * 5 + ["update"] * 5


def test_a_step_out_of_order_is_a_409_problem_saying_what_to_do(clock, as_user, front_desk, appointment):
    response = post(as_user(front_desk), f"{BASE}/appointments/{appointment.public_id}/flow", {"to": "checked_out"})
    assert response.status_code == 409 and response["Content-Type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["field"] == "to" and "first check the patient in" in error["message"]


def test_rooming_without_a_room_names_the_room_field(clock, as_user, front_desk, appointment):
    Appointment.objects.filter(pk=appointment.pk).update(status=S.ARRIVED, arrived_at=NOW)
    response = post(as_user(front_desk), f"{BASE}/appointments/{appointment.public_id}/flow", {"to": "roomed"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "room"


def test_unknown_fields_and_states_are_refused_by_the_schema(clock, as_user, front_desk, appointment):
    url = f"{BASE}/appointments/{appointment.public_id}/flow"
    assert post(as_user(front_desk), url, {"to": "teleported"}).status_code == 422
    assert post(as_user(front_desk), url, {"to": "arrived", "status": "x"}).status_code == 422


def test_no_show_and_confirmation_through_the_api(clock, as_user, front_desk, practice, appointment):
    client = as_user(front_desk)
    later = make_appointment(
        front_desk, patient=make_patient(front_desk, first="Max"), provider=practice.provider,
        location=practice.location, kind=practice.kind, starts_at=NOW + timedelta(days=1),
    )  # fmt: skip
    confirmed = post(
        client, f"{BASE}/appointments/{later.public_id}/confirmation", {"status": "confirmed", "method": "sms"}
    )
    assert confirmed.status_code == 200 and confirmed.json()["confirmation_method"] == "sms"
    missing = post(client, f"{BASE}/appointments/{later.public_id}/confirmation", {"status": "confirmed"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "method"
    too_early = post(client, f"{BASE}/appointments/{later.public_id}/no-show")
    assert too_early.status_code == 409 and "start time has passed" in too_early.json()["errors"][0]["message"]
    assert post(client, f"{BASE}/appointments/{appointment.public_id}/no-show").json()["status"] == "no_show"


def test_the_flow_board_and_the_day_schedule_read_through_the_api(clock, as_user, clinician, practice, appointment):
    Appointment.objects.filter(pk=appointment.pk).update(status=S.ARRIVED, arrived_at=NOW - timedelta(minutes=20))
    client = as_user(clinician)
    board = client.get(f"{BASE}/flow-board", {"location": str(practice.location.public_id)})
    assert board.status_code == 200
    row = board.json()["rows"][0]
    assert (row["patient_name"], row["wait_minutes"], row["wait_level"], row["next"]) == (
        "Doe, Jane",
        20,
        "amber",
        ["roomed"],
    )
    day = client.get(f"{BASE}/day-schedule", {"location": str(practice.location.public_id), "date": "2030-03-04"})
    assert day.status_code == 200
    (column,) = day.json()["providers"]
    assert column["provider"] == str(practice.provider.public_id)
    assert [a["public_id"] for a in column["appointments"]] == [str(appointment.public_id)]
    assert day.json()["time_zone"] == "America/New_York"
    assert AuditEvent.objects.filter(object_type__in=("flow_board", "schedule_day")).count() == 2


def test_the_clinician_reads_but_cannot_move_patients(clock, as_user, clinician, appointment):
    response = post(as_user(clinician), f"{BASE}/appointments/{appointment.public_id}/flow", {"to": "arrived"})
    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED


@pytest.mark.parametrize("persona", ["biller", "auditor"])
def test_billers_and_auditors_are_refused(request, clock, as_user, practice, appointment, persona):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(f"{BASE}/flow-board", {"location": str(practice.location.public_id)}).status_code == 403
    assert post(client, f"{BASE}/appointments/{appointment.public_id}/no-show").status_code == 403


def test_an_unknown_appointment_or_location_is_a_404(clock, as_user, front_desk):
    client = as_user(front_desk)
    fake = "00000000-0000-4000-8000-000000000000"
    assert post(client, f"{BASE}/appointments/{fake}/no-show").status_code == 404
    assert client.get(f"{BASE}/flow-board", {"location": fake}).status_code == 404


def test_the_latest_step_is_undone_through_the_api(clock, as_user, front_desk, practice, appointment):
    client = as_user(front_desk)
    url = f"{BASE}/appointments/{appointment.public_id}/flow"
    post(client, url, {"to": "arrived"})
    board = client.get(f"{BASE}/flow-board", {"location": str(practice.location.public_id)}).json()
    assert board["rows"][0]["can_undo"] is True
    clock.advance(minutes=3)
    response = post(client, f"{url}/undo", {"reason": "Wrong patient"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "scheduled" and response.json()["arrived_at"] is None
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED
    undo = AppointmentChange.objects.filter(appointment=appointment).latest("id")
    assert (undo.what, undo.by) == ("status undone", front_desk) and "Wrong patient" in undo.note
    again = post(client, f"{url}/undo", {"reason": "Wrong patient"})
    assert again.status_code == 409 and again["Content-Type"] == "application/problem+json"
    assert again.json()["errors"][0]["field"] == "to"


def test_an_undo_without_a_reason_is_a_422(clock, as_user, front_desk, appointment):
    response = post(as_user(front_desk), f"{BASE}/appointments/{appointment.public_id}/flow/undo", {"reason": ""})
    assert response.status_code == 422


def test_the_clinician_cannot_undo_through_the_api(clock, as_user, clinician, appointment):
    Appointment.objects.filter(pk=appointment.pk).update(status=S.ARRIVED, arrived_at=NOW)
    response = post(as_user(clinician), f"{BASE}/appointments/{appointment.public_id}/flow/undo", {"reason": "x"})
    assert response.status_code in (403, 404)
    appointment.refresh_from_db()
    assert appointment.status == S.ARRIVED
