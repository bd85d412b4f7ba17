"""The availability API: versions, exceptions, holidays and slot search."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from clinicdesk.audit.models import AuditEvent
from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.models import AvailabilityTemplate
from clinicdesk.scheduling.setup import HoursInput

from .factories import make_location, make_provider, make_room, make_type

BASE = "/api/v1/scheduling"
PROBLEM = "application/problem+json"


@pytest.fixture
def setup(office_manager, clinician):
    hours = [HoursInput(weekday=d, opens=time(8), closes=time(17)) for d in range(5)]
    main = make_location(office_manager, opening_hours=hours)
    room = make_room(office_manager, main)
    lee = make_provider(office_manager, clinician, [main])
    kind = make_type(office_manager, [lee])
    return main, room, lee, kind


def _post(client, url, body):
    return client.post(url, data=body, content_type="application/json")


def test_the_office_manager_adds_hours_and_the_front_desk_finds_slots(
    as_user, office_manager, front_desk, setup, clock
):
    # Slot search offers nothing in the past: the week of the search is still ahead.
    clock.set(datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    main, room, lee, kind = setup
    client = as_user(office_manager)
    body = {
        "location": str(main.public_id),
        "valid_from": "2026-12-01",
        "blocks": [{"weekday": "mon", "starts": "09:00", "ends": "10:00", "rooms": [str(room.public_id)]}],
    }
    created = _post(client, f"{BASE}/providers/{lee.public_id}/templates", body)
    assert created.status_code == 201, created.content
    assert created.json()["blocks"][0]["rooms"] == [str(room.public_id)]
    assert len(client.get(f"{BASE}/providers/{lee.public_id}/templates").json()) == 1
    client = as_user(front_desk)
    found = client.get(
        f"{BASE}/slots",
        {"appointment_type": str(kind.public_id), "start_date": "2026-12-07", "end_date": "2026-12-07", "limit": 2},
    )
    assert found.status_code == 200, found.content
    data = found.json()
    assert data["count"] == 2 and data["days"][0]["day"] == "2026-12-07"
    assert data["days"][0]["slots"][0]["starts_at"].startswith("2026-12-07T14:00") and data["days"][0]["slots"][0][
        "room"
    ] == str(room.public_id)
    assert _post(client, f"{BASE}/providers/{lee.public_id}/templates", body).status_code == 403


def test_errors_are_problem_details_naming_the_field(as_user, office_manager, setup):
    main, _, lee, kind = setup
    client = as_user(office_manager)
    body = {
        "location": str(main.public_id),
        "valid_from": "2026-12-01",
        "blocks": [{"weekday": "sat", "starts": "09:00", "ends": "10:00"}],
    }
    bad = _post(client, f"{BASE}/providers/{lee.public_id}/templates", body)
    assert bad.status_code == 422 and bad["Content-Type"] == PROBLEM
    assert bad.json()["errors"][0]["field"] == "blocks.0.weekday" and AvailabilityTemplate.objects.count() == 0
    slots = client.get(
        f"{BASE}/slots", {"appointment_type": str(kind.public_id), "start_date": "2026-12-07", "end_date": "2026-12-01"}
    )
    assert slots.status_code == 422 and slots.json()["errors"][0]["field"] == "end_date"
    unknown = _post(
        client,
        f"{BASE}/exceptions",
        {
            "kind": "meeting",
            "provider": str(lee.public_id),
            "starts_at": "2026-12-07T10:00:00-05:00",
            "ends_at": "2026-12-07T11:00:00-05:00",
            "reason": "Staff meeting",
            "extra": 1,
        },
    )
    assert unknown.status_code == 422


def test_exceptions_and_holiday_overrides_through_the_api(as_user, office_manager, setup):
    main, _, lee, _ = setup
    client = as_user(office_manager)
    away = app_clock.today() + timedelta(days=14)
    created = _post(
        client,
        f"{BASE}/exceptions",
        {
            "kind": "vacation",
            "provider": str(lee.public_id),
            "starts_at": f"{away}T00:00:00-05:00",  # upcoming, whatever day the test runs
            "ends_at": f"{away + timedelta(days=3)}T00:00:00-05:00",
            "reason": "Vacation",
        },
    )
    assert created.status_code == 201, created.content
    assert [e["reason"] for e in client.get(f"{BASE}/providers/{lee.public_id}/exceptions").json()] == ["Vacation"]
    assert client.delete(f"{BASE}/exceptions/{created.json()['public_id']}").status_code == 204
    holidays = client.get(f"{BASE}/locations/{main.public_id}/holidays", {"year": 2026}).json()
    assert {"day": "2026-11-26", "name": "Thanksgiving Day", "open_anyway": False, "note": ""} in holidays
    opened = client.put(
        f"{BASE}/locations/{main.public_id}/holidays/2026-11-26/open",
        data={"note": "Flu shots"},
        content_type="application/json",
    )
    assert opened.status_code == 200 and opened.json()["open_anyway"] is True
    assert client.delete(f"{BASE}/locations/{main.public_id}/holidays/2026-11-26/open").status_code == 204
    assert AuditEvent.objects.filter(object_type__in=["availability_exception", "holiday_override"]).count() == 4
