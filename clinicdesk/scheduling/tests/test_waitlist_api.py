"""The waitlist API: same services as the pages, problem details, and the matrix on every route."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.booking import appointment_cancel
from clinicdesk.scheduling.models import Appointment, OfferStatus, WaitlistEntry, WaitlistOffer
from conftest import api_token_for

from .helpers import at, book_now, registered_patient

BASE = "/api/v1/scheduling/waitlist"


def _auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(user, name='desk', days=1)}"}


@pytest.fixture
def api(clinic):
    clinic["ann"] = registered_patient(clinic["actor"], "Ann", "Poe")
    clinic["auth"] = _auth(clinic["actor"])
    return clinic


def _post(client, path, body, auth):
    return client.post(path, data=body, content_type="application/json", **auth)


def _entry_body(api, **extra) -> dict:
    return {
        "patient_mrn": api["ann"].mrn,
        "appointment_type": str(api["type"].public_id),
        "wait_until": (api["monday"] + timedelta(days=14)).isoformat(),
        "providers": [str(api["provider"].public_id)],
        "weekdays": [0],
        **extra,
    }


def test_add_list_read_and_close_an_entry(client, api):
    made = _post(client, BASE, _entry_body(api, earliest_time="08:00", latest_time="12:00"), api["auth"])
    assert made.status_code == 201, made.content
    entry_id = made.json()["public_id"]
    assert made.json()["providers"] == [str(api["provider"].public_id)] and made.json()["weekdays"] == [0]
    listed = client.get(BASE, **api["auth"])
    assert [e["public_id"] for e in listed.json()] == [entry_id]
    assert client.get(f"{BASE}/{entry_id}", **api["auth"]).json()["patient_mrn"] == api["ann"].mrn
    closed = _post(client, f"{BASE}/{entry_id}/close", {"reason": "found a slot elsewhere"}, api["auth"])
    assert closed.status_code == 200 and closed.json()["active"] is False
    again = _post(client, f"{BASE}/{entry_id}/close", {}, api["auth"])
    assert again.status_code == 409 and again["Content-Type"].startswith("application/problem+json")
    assert client.get(BASE, **api["auth"]).json() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"wait_until": "2001-01-01"}, "wait_until"),
        ({"earliest_time": "12:00", "latest_time": "08:00"}, "latest_time"),
        ({"weekdays": [9]}, "weekdays"),
        ({"wait_until": 0}, "wait_until"),  # not read as 1970-01-01
        ({"colour": "blue"}, "colour"),  # unknown fields are an error
    ],
)
def test_a_bad_entry_is_a_422_naming_the_field(client, api, change, field):
    response = _post(client, BASE, _entry_body(api, **change), api["auth"])
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not WaitlistEntry.objects.exists()


def test_matches_for_a_freed_appointment_offer_and_accept(client, api):
    freed = book_now(api, patient="jane")
    appointment_cancel(actor=api["actor"], appointment=freed, reason="Patient called")
    entry_id = _post(client, BASE, _entry_body(api), api["auth"]).json()["public_id"]
    found = client.get(f"{BASE}/matches", {"appointment": str(freed.public_id)}, **api["auth"])
    assert found.status_code == 200 and [e["public_id"] for e in found.json()] == [entry_id]
    by_slot = client.get(
        f"{BASE}/matches",
        {
            "provider": str(api["provider"].public_id),
            "location": str(api["location"].public_id),
            "appointment_type": str(api["type"].public_id),
            "starts_at": freed.starts_at.isoformat(),
        },
        **api["auth"],
    )
    assert [e["public_id"] for e in by_slot.json()] == [entry_id]
    assert client.get(f"{BASE}/matches", **api["auth"]).status_code == 422

    slot = {
        "provider": str(api["provider"].public_id),
        "location": str(api["location"].public_id),
        "starts_at": freed.starts_at.isoformat(),
    }
    offered = _post(client, f"{BASE}/{entry_id}/offers", slot, api["auth"])
    assert offered.status_code == 201 and offered.json()["status"] == "offered" and offered.json()["channel"] == "staff"
    accepted = _post(client, f"{BASE}/offers/{offered.json()['public_id']}/accept", {}, api["auth"])
    assert accepted.status_code == 200, accepted.content
    booked = Appointment.objects.get(public_id=accepted.json()["public_id"])
    assert booked.patient == api["ann"] and booked.starts_at == freed.starts_at
    twice = _post(client, f"{BASE}/offers/{offered.json()['public_id']}/accept", {}, api["auth"])
    assert twice.status_code == 409


def test_an_offer_for_a_slot_already_taken_answers_409_and_stays_open(client, api):
    entry_id = _post(client, BASE, _entry_body(api), api["auth"]).json()["public_id"]
    slot = {
        "provider": str(api["provider"].public_id),
        "location": str(api["location"].public_id),
        "starts_at": at(api["monday"], 10).isoformat(),
    }
    offer_id = _post(client, f"{BASE}/{entry_id}/offers", slot, api["auth"]).json()["public_id"]
    book_now(api, patient="joe")
    refused = _post(client, f"{BASE}/offers/{offer_id}/accept", {}, api["auth"])
    assert refused.status_code == 409 and "already has an appointment" in refused.content.decode()
    assert WaitlistOffer.objects.get().status == OfferStatus.OFFERED
    declined = _post(client, f"{BASE}/offers/{offer_id}/decline", {}, api["auth"])
    assert declined.status_code == 200 and declined.json()["status"] == "declined"


def test_a_clinician_lists_the_waitlist_but_cannot_add_or_offer(client, api, clinician):
    auth = _auth(clinician)
    assert client.get(BASE, **auth).status_code == 200
    assert _post(client, BASE, _entry_body(api), auth).status_code == 403
    assert not WaitlistEntry.objects.exists()


def test_a_biller_cannot_read_the_waitlist(client, api, biller):
    assert client.get(BASE, **_auth(biller)).status_code == 403


def test_an_entry_of_the_past_is_not_listed(client, api):
    entry_id = _post(client, BASE, _entry_body(api), api["auth"]).json()["public_id"]
    WaitlistEntry.objects.filter(public_id=entry_id).update(wait_until=app_clock.today() - timedelta(days=1))
    assert client.get(BASE, **api["auth"]).json() == []
