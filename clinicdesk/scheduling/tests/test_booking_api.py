"""The booking API: same service, problem details, and no double booking over real HTTP."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import date, timedelta

from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.models import HOLDING_STATUSES, Appointment
from conftest import api_token_for

from .factories import make_location, make_provider, make_room, make_template, make_type
from .helpers import WEEKDAYS_8_TO_5, registered_patient


def _next_monday_10_utc():
    day = app_clock.now() + timedelta(days=7)
    return (day - timedelta(days=day.weekday())).replace(hour=15, minute=0, second=0, microsecond=0)


def _setup(office_manager, clinician):
    location = make_location(office_manager, opening_hours=WEEKDAYS_8_TO_5)
    room = make_room(office_manager, location)
    provider = make_provider(office_manager, clinician, [location])
    make_template(office_manager, provider, location, date(2026, 1, 1), [(d, "08:00", "17:00") for d in range(5)])
    kind = make_type(office_manager, [provider])
    return location, room, provider, kind


def _body(patient, provider, location, kind, at, **extra):
    return {
        "patient_mrn": patient.mrn,
        "provider": str(provider.public_id),
        "location": str(location.public_id),
        "appointment_type": str(kind.public_id),
        "starts_at": at.isoformat(),
        **extra,
    }


def test_book_read_move_and_cancel_over_the_api(client, office_manager, front_desk, clinician):
    location, room, provider, kind = _setup(office_manager, clinician)
    jane = registered_patient(front_desk)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(front_desk, name='desk', days=1)}"}
    at = _next_monday_10_utc()
    made = client.post(
        "/api/v1/scheduling/appointments",
        data=_body(jane, provider, location, kind, at, room=str(room.public_id)),
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201, made.content
    public_id = made.json()["public_id"]
    assert made.json()["room"] == str(room.public_id) and made.json()["patient_mrn"] == jane.mrn

    again = client.post(
        "/api/v1/scheduling/appointments",
        data=_body(registered_patient(front_desk, "Joe", "Roe"), provider, location, kind, at),
        content_type="application/json",
        **auth,
    )
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")
    assert "already has an appointment" in json.dumps(again.json())

    moved = client.post(
        f"/api/v1/scheduling/appointments/{public_id}/move",
        data={"starts_at": (at + timedelta(hours=1)).isoformat()},
        content_type="application/json",
        **auth,
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["public_id"] == public_id and moved.json()["room"] == str(room.public_id)

    read = client.get(f"/api/v1/scheduling/appointments/{public_id}", **auth)
    assert read.status_code == 200 and read.json()["starts_at"].startswith((at + timedelta(hours=1)).date().isoformat())

    gone = client.post(
        f"/api/v1/scheduling/appointments/{public_id}/cancel",
        data={"reason": "Patient called"},
        content_type="application/json",
        **auth,
    )
    assert gone.status_code == 200 and gone.json()["status"] == "cancelled"


def test_bad_requests_name_the_field(client, office_manager, front_desk, clinician):
    location, _room, provider, kind = _setup(office_manager, clinician)
    jane = registered_patient(front_desk)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(front_desk, name='desk', days=1)}"}
    at = _next_monday_10_utc()
    naive = _body(jane, provider, location, kind, at)
    naive["starts_at"] = at.replace(tzinfo=None).isoformat()
    unknown = _body(jane, provider, location, kind, at, room="00000000-0000-4000-8000-000000000000")
    past = _body(jane, provider, location, kind, app_clock.now() - timedelta(hours=1))
    for payload, status, field in ((naive, 422, "starts_at"), (unknown, 422, "room"), (past, 409, "starts_at")):
        answer = client.post("/api/v1/scheduling/appointments", data=payload, content_type="application/json", **auth)
        assert answer.status_code == status, answer.content
        assert field in json.dumps(answer.json())
    assert not Appointment.objects.exists()


def test_the_biller_cannot_book(client, office_manager, front_desk, biller, clinician):
    location, _room, provider, kind = _setup(office_manager, clinician)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(biller, name='b', days=1)}"}
    body = _body(registered_patient(front_desk), provider, location, kind, _next_monday_10_utc())
    answer = client.post("/api/v1/scheduling/appointments", data=body, content_type="application/json", **auth)
    assert answer.status_code in (403, 404) and not Appointment.objects.exists()


def test_32_simultaneous_http_bookings_of_one_slot_make_one_appointment(live_app):
    from conftest import make_staff

    office_manager = make_staff("om-http", "office_manager")
    front_desk = make_staff("fd-http", "front_desk")
    clinician = make_staff("dr-http", "clinician")
    location, _room, provider, kind = _setup(office_manager, clinician)
    token = api_token_for(front_desk, name="race", days=1)
    patients = [registered_patient(front_desk, f"Racer{n}", "Http") for n in range(32)]
    at = _next_monday_10_utc()
    barrier = threading.Barrier(len(patients))
    answers: list[tuple[int, dict]] = []

    def attempt(patient):
        request = urllib.request.Request(
            f"{live_app.url}/api/v1/scheduling/appointments",
            data=json.dumps(_body(patient, provider, location, kind, at)).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback test server)
                answers.append((response.status, json.load(response)))
        except urllib.error.HTTPError as error:
            answers.append((error.code, json.load(error)))

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * 31, answers
    assert all(
        "booked" in json.dumps(body) or "appointment then" in json.dumps(body) for s, body in answers if s == 409
    )
    assert Appointment.objects.filter(provider=provider, status__in=HOLDING_STATUSES).count() == 1
